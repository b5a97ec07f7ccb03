"""``kill -9`` of the registration process in the middle of a burst of registrations, then a restart.

What must hold: while it is down every answer is a 201 or a 503 with Retry-After, never a 500 and never
later than the RPC timeout (the gateway stays up); once it is back, each client sends its failed
requests again with their own Idempotency-Key and gets a 201 (a request the killed process committed
before its answer was lost is answered as it was, not "already registered"). Then every registration is
stored once, its ``registration_confirmed`` reaches an integrator's queue (one event id, delivered once
or more: the outbox may publish again what it had sent without recording it), and each registrant gets
one confirmation email and nothing else.
"""

from .support import killed_mid_burst

RPC_TIMEOUT, CLIENTS, BURST_SECONDS = 4, 8, 16
# Down longer than the RPC timeout, so that the gateway gives up on the requests it sent meanwhile (a
# shorter crash is not felt: the restarted process answers the redelivered requests in time).
DOWN_SECONDS = RPC_TIMEOUT + 2
STACK_SETTINGS = {"RPC_TIMEOUT": RPC_TIMEOUT}


def test_registration_killed_mid_burst_loses_nothing_and_does_nothing_twice(
    api, mail, stack, module_amqp_uri
):
    during, *_ = killed_mid_burst(
        api, stack, mail, module_amqp_uri, "registration", DOWN_SECONDS, RPC_TIMEOUT, CLIENTS, BURST_SECONDS
    )
    assert during[(503, True, False)] > 0, f"the kill was not felt: {during}"
