"""Transactional outbox: events are rows written with the change they describe, then relayed.

``OutboxRelay`` is the dependency a service declares: workers get an ``Outbox`` to add events inside
their own transaction, and the relay publishes committed rows to ``<service>.events`` with publisher
confirms, marking each one published only after the broker confirmed it. Each message is signed
(``kit.signing``): consumers act on nothing else. A crash between confirm and
mark republishes the event with the same id, which consumers deduplicate on.
"""

import logging
import time

from nameko.standalone.events import get_event_exchange
from psycopg.types.json import Jsonb

from kit.drainer import TableDrainer
from kit.publisher import ConfirmingPublisher, PublishFailed
from kit.signing import event_key

log = logging.getLogger(__name__)


class Outbox:
    """What a worker sees: ``add(cur, event_type, data)`` inside its transaction."""

    def __init__(self, catalog, channel):
        self.catalog = catalog
        self.channel = channel

    def add(self, cur, event_type, data):
        envelope = self.catalog.envelope(event_type, data)
        # One round trip: the row, and the notification that wakes the relay at commit.
        cur.execute(
            "WITH added AS (INSERT INTO outbox (event_id, event_type, envelope) VALUES (%s, %s, %s))"
            " SELECT pg_notify(%s, '')",
            (envelope["id"], event_type, Jsonb(envelope), self.channel),
        )
        return envelope


def forget_published(cur, mentioning):
    """Delete the published events whose envelope mentions ``mentioning`` (an erased person's id): they
    are history nobody needs any more. Events not yet published stay: they must still go out."""
    cur.execute(
        "DELETE FROM outbox WHERE published_at IS NOT NULL AND envelope::text LIKE %s", (f"%{mentioning}%",)
    )


class OutboxRelay(TableDrainer):
    def __init__(self, catalog):
        super().__init__(catalog.source)
        self.catalog = catalog
        self.channel = f"{catalog.source}_outbox"

    def setup(self):
        super().setup()
        self.poll_interval = float(self.container.config.get("OUTBOX_POLL_INTERVAL", self.poll_interval))
        self.retention_hours = float(self.container.config.get("OUTBOX_RETENTION_HOURS", 168))
        self.next_cleanup = 0.0
        exchange = get_event_exchange(self.catalog.source, self.container.config).name
        key = event_key(self.container.config["SECRET_KEY"])
        self.publisher = ConfirmingPublisher(self.container.config["AMQP_URI"], exchange, key)

    def stop(self):
        super().stop()
        self.publisher.close()

    def get_dependency(self, worker_ctx):
        return Outbox(self.catalog, self.channel)

    def drain_once(self, conn):
        with conn.transaction():
            rows = conn.execute(
                "SELECT seq, event_type, envelope FROM outbox WHERE published_at IS NULL"
                " ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED",
                (self.batch_size,),
            ).fetchall()
            batch = [(row["event_type"], row["envelope"]["id"], row["envelope"]) for row in rows]
            try:
                confirmed, failure = self.publisher.publish(batch), None
            except PublishFailed as exc:  # keep what the broker confirmed, then let the loop back off
                confirmed, failure = exc.args[0], exc
            if confirmed:
                published = [row["seq"] for row in rows[:confirmed]]
                conn.execute("UPDATE outbox SET published_at = now() WHERE seq = ANY(%s)", (published,))
        if failure is not None:
            raise failure
        self.forget_old_events(conn)
        return len(rows)

    def forget_old_events(self, conn):
        """Published events are kept a while (to look into), then deleted: they carry personal data."""
        if time.monotonic() < self.next_cleanup:
            return
        self.next_cleanup = time.monotonic() + 600
        with conn.transaction():
            conn.execute(
                "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => %s)",
                (self.retention_hours * 3600,),
            )
