"""The routes, one module per resource: mixins of the one ``GatewayService``, whose dependencies
(``auth``, ``registration``…) they use.

Every handler is thin: check who calls, load and validate with a schema, make one RPC call, answer.
"""

PRIVATE = {"Cache-Control": "no-store"}  # personal data: no cache keeps a copy
