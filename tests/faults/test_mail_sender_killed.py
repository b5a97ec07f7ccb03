"""``kill -9`` of the notification process in the middle of a fan-out, then a restart.

What must hold: no subscriber is missed; a crash repeats at most one message per SMTP connection (the
one the relay may have accepted at that instant); and the killed process's claimed rows go out as soon
as a sender runs again, not when their lease (60 s here, as in production) runs out.
"""

import time

import pytest

from harness.testing import wait_until

from .support import received, remove_subscribers, seed_subscribers, statuses

CONNECTIONS = 4
LEASE = 60
STACK_SETTINGS = {"MAIL_CONNECTIONS": CONNECTIONS, "MAIL_LEASE_SECONDS": LEASE}
SUBSCRIBERS = 3000


@pytest.fixture
def subscribers(stack):
    addresses = seed_subscribers(stack.env["DATABASE_URL"], SUBSCRIBERS)
    yield addresses
    remove_subscribers(stack.env["DATABASE_URL"], addresses)


def test_a_killed_sender_repeats_at_most_one_message_per_connection_and_its_rows_go_at_once(
    api, mail, stack, subscribers
):
    forum = api.create_forum()  # open: announced to every confirmed subscriber

    def got():
        counts = received(mail)
        return {address: counts[address] for address in subscribers if counts[address]}

    wait_until(lambda: len(got()) >= SUBSCRIBERS // 4, timeout=60, message="a quarter announced")
    stack.kill("notification")
    at_kill = len(got())
    assert at_kill < SUBSCRIBERS, "the fan-out ended before the kill"

    restarted = time.monotonic()
    stack.start("notification")
    wait_until(lambda: len(got()) == SUBSCRIBERS, timeout=LEASE * 1.5, interval=0.2, message="everyone")
    took = time.monotonic() - restarted
    # Before, the killed sender's batch (up to 500 claimed rows) waited for the lease, a full minute.
    assert took < LEASE / 2, f"the killed sender's rows waited {took:.0f} s after the restart"

    wait_until(lambda: set(statuses(stack.env["DATABASE_URL"], forum["id"])) == {"sent"}, timeout=30,
               message="every row of the announcement marked sent")  # fmt: skip
    time.sleep(1.0)  # anything still on its way to the sink
    repeats = {address: n for address, n in got().items() if n > 1}
    assert sum(n - 1 for n in repeats.values()) <= CONNECTIONS, repeats
