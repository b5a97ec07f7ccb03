"""PostgreSQL stopped (``pg_ctl stop -m fast``, as a restart does) and started again in the middle of a
burst of registrations, under the whole platform (a PostgreSQL server of the test's own).

What must hold: during the outage every answer is a 201 or a 503 with Retry-After (never a 500, never
later than the RPC timeout), readiness is down while liveness stays up, and no process dies. Afterwards
the platform is ready again by itself; each client sends its failed requests again with their own
Idempotency-Key and gets a 201; every registration is stored once, its ``registration_confirmed``
reaches an integrator's queue, and each registrant gets one confirmation email and nothing else (the
events that found the notification service's database away waited for it, none was dead-lettered).
"""

import time

import pytest
import requests

from .postgres import PrivatePostgres
from .support import broken_mid_burst

pytestmark = pytest.mark.skipif(
    not PrivatePostgres.available(),
    reason="needs PostgreSQL's server programs and root (to run them as postgres)",
)
RPC_TIMEOUT, CLIENTS, BURST_SECONDS, OUTAGE_SECONDS = 4, 8, 16, 6
PROCESSES = ("gateway", "registration", "notification", "topics")  # each must stay alive through it
STACK_SETTINGS = {"RPC_TIMEOUT": RPC_TIMEOUT, "DATABASE_WAIT_SECONDS": 2}
ANSWERS = {(201, False, False), (503, True, False)}


@pytest.fixture(scope="module")
def postgres():
    server = PrivatePostgres().start()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def database_url(postgres):
    """The platform's database is on the private server (the e2e stack fixture takes it from here)."""
    return postgres.url


def test_a_database_outage_mid_burst_loses_nothing_and_needs_no_hand(
    api, mail, stack, module_amqp_uri, postgres
):
    seen = {}

    def outage():
        time.sleep(3)
        postgres.stop()
        time.sleep(1)
        seen["health"] = [
            requests.get(f"{stack.base_url}/health/{what}", timeout=10).status_code
            for what in ("ready", "live")
        ]
        time.sleep(OUTAGE_SECONDS - 1)
        seen["alive"] = {name: stack.running(name) for name in PROCESSES}
        postgres.start()
        stack.wait_ready()

    during, *_ = broken_mid_burst(
        api,
        stack,
        mail,
        module_amqp_uri,
        "database stopped",
        outage,
        ANSWERS,
        RPC_TIMEOUT,
        CLIENTS,
        BURST_SECONDS,
    )
    assert seen["health"] == [503, 200]
    assert all(seen["alive"].values()), seen["alive"]  # nobody died
    assert during[(503, True, False)] > 0, f"the outage was not felt: {during}"
    assert all(stack.running(name) for name in PROCESSES)
