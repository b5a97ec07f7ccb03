"""The SMTP server goes away in the middle of a burst of registrations, then comes back.

What must hold: registering does not depend on the relay (every answer a 201, in time); the messages
wait in the delivery log, retried with backoff, none marked failed; once the relay is back every
registrant gets exactly one confirmation email and nothing else, and every registration's
``registration_confirmed`` reached an integrator's queue as usual.

The relay stays away ``AWAY_SECONDS`` = a minute, as a real outage might last, with the backoff of the
stack's settings here (``MAIL_RETRY_BASE`` 0.2 s doubling to ``MAIL_RETRY_CAP`` 1 s: the first message
goes again within a second of the relay's return). ``MAIL_MAX_ATTEMPTS`` is far above what a minute can
use, so no message may end ``failed``.
"""

import time

import psycopg
from e2e.client import Bus

from .support import answers, burst, check_counts, failed_deliveries

RPC_TIMEOUT, CLIENTS, BURST_SECONDS, AWAY_SECONDS = 4, 8, 10, 60
BACK_WITHIN = 20  # seconds after the relay's return: the backoff is 1 s at most
STACK_SETTINGS = {"RPC_TIMEOUT": RPC_TIMEOUT, "MAIL_MAX_ATTEMPTS": 1000}


def waiting(database_url, forum_id):
    """The forum's messages not yet sent, how many of them were tried already, the most attempts of one."""
    with psycopg.connect(database_url, options="-c search_path=notification") as conn:
        return conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE attempts > 0), coalesce(max(attempts), 0) FROM deliveries"
            " WHERE forum_id = %s AND status IN ('pending', 'sending')",
            (forum_id,),
        ).fetchone()


def test_emails_wait_for_the_relay_and_go_once_when_it_is_back(api, mail, stack, module_amqp_uri):
    bus = Bus(module_amqp_uri)  # bound before anything is registered
    url = stack.env["DATABASE_URL"]
    try:
        forum = api.create_forum(capacity=100_000)

        def fault():
            time.sleep(3)
            mail.stop()
            time.sleep(AWAY_SECONDS)
            unsent = waiting(url, forum["id"])
            mail.start()  # the same port and Maildir
            return unsent, time.monotonic()

        url_of_forum = api.url(f"/forums/{forum['id']}/registrations")
        registrants, outcome = burst(url_of_forum, CLIENTS, BURST_SECONDS, RPC_TIMEOUT + 1, fault)
        (unsent, tried, attempts), back = outcome
        during = answers(registrants)
        assert set(during) == {(201, False, False)}, during
        assert unsent > 0 and tried > 0, f"the outage was not felt: {unsent} unsent, {tried} tried"

        total, repeated = check_counts(url, bus, mail, forum["id"], registrants, timeout=BACK_WITHIN)
        took = time.monotonic() - back
        assert failed_deliveries(url, forum["id"]) == []
        print(f"\nSMTP away: answers {dict(during)}; {unsent} messages waiting when it came back"
              f" ({tried} tried already, up to {attempts} times), counted {took:.1f} s after;"
              f" {total} registrations; {repeated} repeated event deliveries")  # fmt: skip
    finally:
        bus.close()
