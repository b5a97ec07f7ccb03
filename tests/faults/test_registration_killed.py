"""``kill -9`` of the registration process in the middle of a burst of registrations, then a restart.

What must hold: while it is down every answer is a 201 or a 503 with Retry-After, never a 500 and never
later than the RPC timeout (the gateway stays up); once it is back, each client sends its failed
requests again with their own Idempotency-Key and gets a 201 (a request the killed process committed
before its answer was lost is answered as it was, not "already registered"). Then every registration is
stored once, its ``registration_confirmed`` reaches an integrator's queue (one event id, delivered once
or more: the outbox may publish again what it had sent without recording it), and each registrant gets
one confirmation email and nothing else.
"""

import time

from e2e.client import Bus

from .support import answers, burst, check_counts, retry_failures

RPC_TIMEOUT, CLIENTS, BURST_SECONDS = 4, 8, 16
# Down longer than the RPC timeout, so that the gateway gives up on the requests it sent meanwhile (a
# shorter crash is not felt: the restarted process answers the redelivered requests in time).
DOWN_SECONDS = RPC_TIMEOUT + 2
STACK_SETTINGS = {"RPC_TIMEOUT": RPC_TIMEOUT}


def test_registration_killed_mid_burst_loses_nothing_and_does_nothing_twice(
    api, mail, stack, module_amqp_uri
):
    bus = Bus(module_amqp_uri)  # bound before anything is registered
    try:
        forum = api.create_forum(capacity=100_000)

        def fault():
            time.sleep(3)
            stack.kill("registration")
            time.sleep(DOWN_SECONDS)
            stack.start("registration")
            stack.wait_ready()

        registrants, _ = burst(api.url(f"/forums/{forum['id']}/registrations"), CLIENTS, BURST_SECONDS,
                               RPC_TIMEOUT + 1, fault)  # fmt: skip
        during = answers(registrants)
        # No 500, no 503 without Retry-After, nothing later than the RPC timeout. The gateway stays up,
        # but a connection error would be a failure like a 503, to send again.
        allowed = {(201, False, False), (503, True, False), ("ConnectionError", False, False)}
        assert set(during) <= allowed, during
        assert during[(503, True, False)] > 0, f"the kill was not felt: {during}"
        assert [registrant.refused for registrant in registrants if registrant.refused] == []

        retried, committed = retry_failures(registrants, stack.env["DATABASE_URL"], forum["id"])
        assert set(retried) == {201}, (retried, [r.refused[:3] for r in registrants if r.refused])
        total, repeated = check_counts(stack.env["DATABASE_URL"], bus, mail, forum["id"], registrants)
        print(f"\nregistration killed: answers {dict(during)}; retried {dict(retried)}, {committed} of them"
              f" already stored; {total} registrations; {repeated} repeated event deliveries")  # fmt: skip
    finally:
        bus.close()
