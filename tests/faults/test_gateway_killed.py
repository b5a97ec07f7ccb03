"""``kill -9`` of the gateway in the middle of a burst of registrations, then a restart.

What must hold: a request cut off by the kill (or sent while nothing listens) is a connection error on
the client, never a 500; once the gateway is back, each client sends those requests again with their
own Idempotency-Key and gets a 201: the original answer when the registration service had committed the
request (it goes on working when its caller dies), else the registration made by the retry; never 409
"already registered". Then every registration is stored once, its ``registration_confirmed`` reaches an
integrator's queue, and each registrant gets one confirmation email and nothing else.
"""

import time

from e2e.client import Bus

from .support import answers, burst, check_counts, retry_failures

RPC_TIMEOUT, CLIENTS, BURST_SECONDS, DOWN_SECONDS = 4, 8, 14, 2
STACK_SETTINGS = {"RPC_TIMEOUT": RPC_TIMEOUT}


def test_gateway_killed_mid_burst_loses_nothing_and_does_nothing_twice(api, mail, stack, module_amqp_uri):
    bus = Bus(module_amqp_uri)  # bound before anything is registered
    try:
        forum = api.create_forum(capacity=100_000)

        def fault():
            time.sleep(3)
            stack.kill("gateway")
            time.sleep(DOWN_SECONDS)
            stack.start("gateway")
            stack.wait_ready()

        registrants, _ = burst(api.url(f"/forums/{forum['id']}/registrations"), CLIENTS, BURST_SECONDS,
                               RPC_TIMEOUT + 1, fault)  # fmt: skip
        during = answers(registrants)
        # No 500, no 503 without Retry-After, nothing later than the RPC timeout; no answer at all while
        # the gateway is down (a request cut off, or refused: both to send again).
        allowed = {(201, False, False), (503, True, False), ("ConnectionError", False, False)}
        assert set(during) <= allowed, during
        assert during[("ConnectionError", False, False)] > 0, f"the kill was not felt: {during}"
        assert [registrant.refused for registrant in registrants if registrant.refused] == []

        retried, committed = retry_failures(registrants, stack.env["DATABASE_URL"], forum["id"])
        assert set(retried) == {201}, (retried, [r.refused[:3] for r in registrants if r.refused])
        total, repeated = check_counts(stack.env["DATABASE_URL"], bus, mail, forum["id"], registrants)
        print(f"\ngateway killed: answers {dict(during)}; retried {dict(retried)}, {committed} of them"
              f" already stored; {total} registrations; {repeated} repeated event deliveries")  # fmt: skip
    finally:
        bus.close()
