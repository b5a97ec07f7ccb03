"""The mail sender loses its database connections while the relay is accepting messages.

What must hold: a message the relay accepted is recorded as sent once the database is back, and is
never sent again (not after the lease, which is short here so that a row left in ``sending`` would go
again within the test); nothing is lost.
"""

import time

import psycopg
import pytest

from harness.testing import SmtpSink, wait_until

from .support import received, remove_subscribers, seed_subscribers, statuses

STACK_SETTINGS = {"MAIL_CONNECTIONS": 4, "MAIL_LEASE_SECONDS": 3}
SUBSCRIBERS = 400
DROPS = 3

# As a database restart would: every session of the test database (the services'), this test's own excepted.
TERMINATE = """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    """A slow relay (50 ms per message): a drop always finds messages being accepted."""
    sink = SmtpSink(tmp_path_factory.mktemp("mail") / "maildir", delay=0.05).start()
    yield sink
    sink.stop()


@pytest.fixture
def subscribers(stack):
    addresses = seed_subscribers(stack.env["DATABASE_URL"], SUBSCRIBERS)
    yield addresses
    remove_subscribers(stack.env["DATABASE_URL"], addresses)


def test_what_the_relay_accepted_is_never_sent_again_after_a_database_drop(api, mail, stack, subscribers):
    url = stack.env["DATABASE_URL"]
    forum = api.create_forum()

    def got():
        counts = received(mail)
        return {address: counts[address] for address in subscribers if counts[address]}

    for drop in range(1, DROPS + 1):
        reached = drop * SUBSCRIBERS // (DROPS + 2)
        wait_until(lambda n=reached: len(got()) >= n, timeout=60, message=f"{reached} announced")
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute(TERMINATE).fetchall(), "no session to cut"
    wait_until(lambda: len(got()) == SUBSCRIBERS, timeout=90, message="everyone")
    wait_until(lambda: set(statuses(url, forum["id"])) == {"sent"}, timeout=30, message="every row sent")
    time.sleep(STACK_SETTINGS["MAIL_LEASE_SECONDS"] + 2)  # a row left behind would go again by now
    assert {address: n for address, n in got().items() if n > 1} == {}
