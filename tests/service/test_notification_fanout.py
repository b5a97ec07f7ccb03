"""An announcement to thousands of subscribers: written in batches, sent on several connections, each
subscriber exactly once with their own unsubscribe link, through a replica stopping and starting midway.

The subscribers are written straight into the service's table (the subscription events that fill it
are exercised in test_notification_announcements); each test removes its own afterwards, since the
session's database is shared.
"""

import os
import re
import uuid
from collections import Counter

import psycopg
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from harness.testing import free_port, wait_until
from kit import tokens
from kit.migrations import migrate
from services.notification.announcements import AnnouncementWriter
from services.notification.service import MIGRATIONS, NotificationService
from services.registration.events import catalog

from .test_bench_sink import FastSink
from .test_notification_emails import forum_block, handled, query, text_of

SUBSCRIBERS = AnnouncementWriter.batch_size + 600  # two batches, the second one short
SUBJECTS = {"fr": "Inscriptions ouvertes : Forum <de> juin", "en": "Registration open: Forum <de> juin"}
AWKWARD_NAME = '<b>Zoé</b>\r\nBcc: victim@example.org "Ô"'


@pytest.fixture
def subscribers(service_config):
    """Confirmed subscribers at a domain of this test's own; removed afterwards."""
    migrate(service_config["DATABASE_URL"], "notification", MIGRATIONS)  # the table, before a service starts
    domain = f"fanout-{uuid.uuid4().hex[:8]}.example.org"
    rows = [
        (uuid.uuid4(), uuid.uuid4(), f"fan-{n}@{domain}", AWKWARD_NAME if n == 7 else f"Fan {n}",
         "Martin", "en" if n % 3 == 0 else "fr")
        for n in range(SUBSCRIBERS)
    ]  # fmt: skip
    with psycopg.connect(service_config["DATABASE_URL"], options="-c search_path=notification") as conn:
        with conn.cursor().copy(
            "COPY subscribers (subscription_id, person_id, email, first_name, last_name, locale, status,"
            " as_of) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((*row, "confirmed", "2026-01-01T00:00:00Z"))
    yield {row[2]: row for row in rows}
    with psycopg.connect(service_config["DATABASE_URL"], options="-c search_path=notification") as conn:
        conn.execute("DELETE FROM subscribers WHERE email LIKE %s", (f"%@{domain}",))


def received(sink):
    folder = sink.directory / "new"
    return len(os.listdir(folder)) if folder.exists() else 0


def test_an_announcement_reaches_every_subscriber_once_through_a_replica_restart(
    container_factory, publish, smtp_sink, service_config, subscribers
):
    config = service_config | {"MAIL_CONNECTIONS": 3}
    steady = container_factory(NotificationService, config)
    restarted = container_factory(NotificationService, config)
    steady.start()
    restarted.start()
    # The session's database may hold other tests' subscribers: they are announced to as well.
    others = {
        r["email"] for r in query(service_config, "SELECT email FROM subscribers WHERE status = 'confirmed'")
    }
    others -= set(subscribers)
    everyone = SUBSCRIBERS + len(others)
    forum = forum_block(title="Forum <de> juin")
    opened = catalog.envelope("forum_opened", {"forum": forum})
    publish(opened)

    wait_until(lambda: received(smtp_sink) >= everyone // 4, timeout=60, message="a quarter sent")
    restarted.stop()  # a graceful stop midway: its messages in flight finish, the rest goes back
    stopped_at = received(smtp_sink)
    assert stopped_at < everyone  # it did stop midway
    container_factory(NotificationService, config).start()
    wait_until(lambda: received(smtp_sink) >= everyone, timeout=120, message="every announcement")

    rows = query(
        service_config,
        "SELECT status, count(*) AS n FROM deliveries WHERE event_id = %s GROUP BY status",
        opened["id"],
    )
    assert {row["status"]: row["n"] for row in rows} == {"sent": everyone}
    with ServiceRpcProxy("notification", config, timeout=30) as notification:
        summary = notification.delivery_summary(forum["id"])  # what organisers see of it
    assert summary["announcement"]["queued"] == everyone
    assert summary["announcement"]["finished_at"] is not None
    assert summary["by_template"]["forum_announced"]["sent"] == everyone

    messages = smtp_sink.messages()
    assert len(messages) == everyone  # nothing more came in after the last row was marked sent
    by_recipient = Counter(m["To"].addresses[0].addr_spec for m in messages)
    assert set(by_recipient) == set(subscribers) | others and set(by_recipient.values()) == {1}
    assert len({m["Message-ID"] for m in messages}) == everyone
    messages = [m for m in messages if m["To"].addresses[0].addr_spec in subscribers]
    for message in messages:
        subscription_id, _, _, first_name, _, locale = subscribers[message["To"].addresses[0].addr_spec]
        link = re.fullmatch(r"<(\S+)>", message["List-Unsubscribe"]).group(1)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        subject, _ = tokens.read(service_config["SECRET_KEY"], link.rsplit("/", 1)[1], "unsubscribe")
        assert subject == str(subscription_id)  # their own link...
        assert link in text_of(message)  # ...in the body too
        assert message["Subject"] == SUBJECTS[locale]
        if first_name != AWKWARD_NAME:
            assert f"{first_name} Martin" in text_of(message)
    awkward = next(m for m in messages if subscribers[m["To"].addresses[0].addr_spec][3] == AWKWARD_NAME)
    html = awkward.get_body(("html",)).get_content()
    assert "&lt;b&gt;Zoé&lt;/b&gt; Bcc: victim@example.org &#34;Ô&#34;" in html  # escaped, on one line
    assert "<b>Zoé" not in html and awkward["Bcc"] is None
    assert "Forum &lt;de&gt; juin" in html
    assert '<b>Zoé</b> Bcc: victim@example.org "Ô" Martin' in text_of(awkward)


def test_a_relay_offering_pipelining_gets_every_announcement_once(
    container_factory, publish, service_config, subscribers, tmp_path
):
    relay = FastSink(tmp_path / "relay-status").start()  # counts what it accepts; offers PIPELINING
    try:
        config = service_config | {"SMTP_PORT": relay.port, "MAIL_CONNECTIONS": 2}
        container_factory(NotificationService, config).start()
        everyone = query(service_config, "SELECT count(*) FROM subscribers WHERE status = 'confirmed'")[0][
            "count"
        ]
        opened = catalog.envelope("forum_opened", {"forum": forum_block()})
        publish(opened)
        wait_until(lambda: relay.counts().messages >= everyone, timeout=60, message="every announcement")

        def statuses():
            rows = query(
                service_config,
                "SELECT status, count(*) AS n FROM deliveries WHERE event_id = %s GROUP BY status",
                opened["id"],
            )
            return {row["status"]: row["n"] for row in rows}

        wait_until(lambda: statuses() == {"sent": everyone}, message="every row marked sent")
        counts = relay.settled_counts()
        assert counts.messages == everyone and counts.peak == 2  # once each, on two connections at once
    finally:
        relay.stop()


def test_a_replica_killed_midway_loses_nothing_and_repeats_only_what_it_had_in_flight(
    container_factory, publish, service_config, subscribers, tmp_path
):
    relay = FastSink(tmp_path / "relay-status").start()
    try:
        # A short lease: the killed replica's claimed rows come back after 2 s instead of a minute.
        config = service_config | {"SMTP_PORT": relay.port, "MAIL_CONNECTIONS": 4, "MAIL_LEASE_SECONDS": 2}
        crashing = container_factory(NotificationService, config)
        crashing.start()
        everyone = query(service_config, "SELECT count(*) FROM subscribers WHERE status = 'confirmed'")[0][
            "count"
        ]
        opened = catalog.envelope("forum_opened", {"forum": forum_block()})
        publish(opened)
        wait_until(lambda: relay.counts().messages >= everyone // 3, timeout=60, message="a third sent")
        crashing.kill()  # as a crash: its greenlets die where they are, nothing is recorded any more
        at_crash = relay.settled_counts().messages
        assert at_crash < everyone
        container_factory(NotificationService, config).start()
        wait_until(lambda: relay.counts().messages >= everyone, timeout=60, message="every announcement")
        rows = query(
            service_config,
            "SELECT status, count(*) AS n FROM deliveries WHERE event_id = %s GROUP BY status",
            opened["id"],
        )
        assert {row["status"]: row["n"] for row in rows} == {"sent": everyone}  # nothing lost
        repeated = relay.settled_counts().messages - everyone
        # Only what was in flight (up to two per connection) or accepted during the last commit can go
        # out again: far fewer than a claimed batch (500), which is what lost records would repeat.
        assert 0 <= repeated <= 20, f"{repeated} announcements sent twice"
    finally:
        relay.stop()


def test_an_erasure_purges_the_persons_announcement_not_yet_sent(
    container_factory, publish, service_config, subscribers
):
    closed = service_config | {"SMTP_PORT": free_port()}  # nothing listens: every message waits, pending
    forum = forum_block()
    opened = catalog.envelope("forum_opened", {"forum": forum})
    try:
        container_factory(NotificationService, closed).start()
        publish(opened)
        subscription_id, person_id, email, *_ = next(iter(subscribers.values()))

        def announcement_to(address):
            sql = "SELECT * FROM deliveries WHERE event_id = %s AND recipient = %s"
            return query(service_config, sql, opened["id"], address)

        wait_until(lambda: announcement_to(email), message="the announcement logged for the subscriber")
        erased = catalog.envelope(
            "person_erased", {"person_id": person_id, "email": email, "erased_by": "person"}
        )
        publish(erased)
        handled(service_config, erased)
        assert announcement_to(email) == []
        # Kept without anything personal (counts stay right); or deleted, if the sender held it at that moment.
        kept = query(
            service_config, "SELECT * FROM deliveries WHERE event_id = %s AND person_id IS NULL", opened["id"]
        )
        assert len(kept) <= 1
        for row in kept:
            assert row["status"] == "failed" and row["fill"] is None and row["recipient_name"] == ""
            assert row["recipient"].startswith("erased-")
            assert row["last_error"] == "not sent: the recipient's personal data was erased"
        assert (
            query(
                service_config, "SELECT count(*) FROM subscribers WHERE subscription_id = %s", subscription_id
            )[0]["count"]
            == 0
        )
    finally:  # its messages would otherwise wait in the session's shared log for the next tests' senders
        with psycopg.connect(service_config["DATABASE_URL"], options="-c search_path=notification") as conn:
            conn.execute("DELETE FROM deliveries WHERE event_id = %s", (opened["id"],))
