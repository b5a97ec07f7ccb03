"""``kill -9`` of the gateway in the middle of a burst of registrations, then a restart.

What must hold: a request cut off by the kill (or sent while nothing listens) is a connection error on
the client, never a 500; once the gateway is back, each client sends those requests again with their
own Idempotency-Key and gets a 201: the original answer when the registration service had committed the
request (it goes on working when its caller dies), else the registration made by the retry; never 409
"already registered". Then every registration is stored once, its ``registration_confirmed`` reaches an
integrator's queue, and each registrant gets one confirmation email and nothing else.
"""

from .support import killed_mid_burst

RPC_TIMEOUT, CLIENTS, BURST_SECONDS, DOWN_SECONDS = 4, 8, 14, 2
STACK_SETTINGS = {"RPC_TIMEOUT": RPC_TIMEOUT}


def test_gateway_killed_mid_burst_loses_nothing_and_does_nothing_twice(api, mail, stack, module_amqp_uri):
    during, *_ = killed_mid_burst(
        api, stack, mail, module_amqp_uri, "gateway", DOWN_SECONDS, RPC_TIMEOUT, CLIENTS, BURST_SECONDS
    )
    assert during[("ConnectionError", False, False)] > 0, f"the kill was not felt: {during}"
