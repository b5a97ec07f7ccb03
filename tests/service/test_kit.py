"""The shared kit inside running containers: cooperative database waits, migrations, outbox, relay."""

import time
import uuid

import eventlet
import psycopg
import psycopg.waiting
import pytest
from kombu import Connection, Queue
from marshmallow import Schema, fields
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ServiceRpcProxy

from kit.db import Database, use_cooperative_wait
from kit.events import EventCatalog
from kit.migrations import MigrationError, migrate
from kit.outbox import OutboxRelay
from kit.rpc import rpc

probe_catalog = EventCatalog("probe")


@probe_catalog.event("thing_happened")
class ThingHappened(Schema):
    """Sent when the probe records a value. Not sent when the recording fails."""

    value = fields.Integer(required=True)


class ProbeService:
    name = "probe"
    db = Database("probe")
    events = OutboxRelay(probe_catalog)

    @rpc
    def sleep(self, seconds):
        with self.db.transaction() as cur:
            cur.execute("SELECT pg_sleep(%s)", (seconds,))
        return "slept"

    @rpc
    def quick(self):
        with self.db.transaction() as cur:
            cur.execute("SELECT 1")
        return "quick"

    @rpc
    def wait_function(self):
        return psycopg.waiting.wait.__name__

    @rpc
    def record(self, value, fail=False):
        with self.db.transaction() as cur:
            self.events.add(cur, "thing_happened", {"value": value})
            if fail:
                raise ValueError("the change is rolled back, and its event with it")
        return value


@pytest.fixture
def probe_bus(service_config):
    """An integrator's queue on probe.events, declared before anything is published."""
    with Connection(service_config["AMQP_URI"]) as conn:
        exchange = get_event_exchange("probe", {})
        queue = Queue(f"probe-listener-{uuid.uuid4().hex[:6]}", exchange, routing_key="#", durable=True)
        queue(conn.default_channel).declare()
        with conn.SimpleQueue(queue) as simple:

            def next_values(count, timeout=10):
                values = []
                for _ in range(count):
                    message = simple.get(timeout=timeout)
                    message.ack()
                    values.append(message.payload["data"]["value"])
                return values

            def empty():
                return simple.qsize() == 0

            next_values.empty = empty
            yield next_values


def start_probe(container_factory, service_config, **overrides):
    container = container_factory(ProbeService, service_config | overrides)
    container.start()
    return container


def test_concurrent_queries_in_one_service_interleave(container_factory, service_config):
    start_probe(container_factory, service_config)
    with (
        ServiceRpcProxy("probe", service_config, timeout=20) as slow_proxy,
        ServiceRpcProxy("probe", service_config, timeout=20) as quick_proxy,
    ):
        assert quick_proxy.wait_function() == "wait_green"
        slow = eventlet.spawn(slow_proxy.sleep, 3)
        eventlet.sleep(0.5)  # the slow query is now running in the service
        assert quick_proxy.quick() == "quick"
        # With a blocking wait the service could not have answered before the slow query ended.
        assert not slow.dead
        assert slow.wait() == "slept"


def test_a_green_wait_with_a_deadline_ends_at_it_and_one_without_waits_for_the_answer(database_url):
    # The relays wait for notifications with a deadline (to answer stop() promptly); a statement has none.
    use_cooperative_wait()
    with psycopg.connect(database_url, autocommit=True) as listener, psycopg.connect(database_url) as other:
        listener.execute("LISTEN kit_green_wait")
        started = time.monotonic()
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []
        assert 0.25 < time.monotonic() - started < 3
        sender = eventlet.spawn_after(
            0.2, lambda: (other.execute("NOTIFY kit_green_wait, 'hi'"), other.commit())
        )
        heard = list(listener.notifies(timeout=5, stop_after=1))
        assert [notice.payload for notice in heard] == ["hi"]
        sender.wait()
        slow = listener.execute(
            "SELECT pg_sleep(0.4), 'answered' AS answer"
        ).fetchone()  # longer than any timer
        assert slow[1] == "answered"


def test_an_event_leaves_only_with_its_committed_change(container_factory, service_config, probe_bus):
    start_probe(container_factory, service_config)
    with ServiceRpcProxy("probe", service_config, timeout=10) as probe:
        probe.record(1)
        with pytest.raises(Exception, match="rolled back"):
            probe.record(2, fail=True)
        probe.record(3)
    assert probe_bus(2) == [1, 3]
    with psycopg.connect(service_config["DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT envelope->'data'->>'value', published_at FROM probe.outbox").fetchall()
    assert sorted(value for value, _ in rows) == ["1", "3"]
    assert all(published_at is not None for _, published_at in rows)


def test_notify_wakes_the_relay_long_before_its_poll(container_factory, service_config, probe_bus):
    start_probe(container_factory, service_config, OUTBOX_POLL_INTERVAL=600)
    eventlet.sleep(1)  # the relay is now waiting on LISTEN, with ten minutes to its next poll
    with ServiceRpcProxy("probe", service_config, timeout=10) as probe:
        probe.record(7)
    assert probe_bus(1, timeout=15) == [7]


def test_the_poll_catches_a_row_whose_notification_was_lost(container_factory, service_config, probe_bus):
    start_probe(container_factory, service_config, OUTBOX_POLL_INTERVAL=1)
    envelope = probe_catalog.envelope("thing_happened", {"value": 9})
    with psycopg.connect(service_config["DATABASE_URL"]) as conn:  # no pg_notify here
        conn.execute(
            "INSERT INTO probe.outbox (event_id, event_type, envelope) VALUES (%s, %s, %s)",
            (envelope["id"], envelope["type"], psycopg.types.json.Jsonb(envelope)),
        )
    assert probe_bus(1, timeout=15) == [9]


def test_migrations_apply_once_in_order_and_refuse_edits(database_url, tmp_path):
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    (tmp_path / "001_first.sql").write_text("CREATE TABLE things (id int PRIMARY KEY);")
    (tmp_path / "002_second.sql").write_text("ALTER TABLE things ADD COLUMN name text;")
    assert migrate(database_url, schema, tmp_path) == [
        "kit-001_outbox_inbox.sql",
        "kit-002_dead_letters.sql",
        "kit-003_audit.sql",
        "kit-004_idempotency.sql",
        "001_first.sql",
        "002_second.sql",
    ]
    assert migrate(database_url, schema, tmp_path) == []
    with psycopg.connect(database_url) as conn:
        conn.execute(f"INSERT INTO {schema}.things (id, name) VALUES (1, 'a')")
        recorded = conn.execute(f"SELECT count(*) FROM {schema}.schema_migrations").fetchone()[0]
    assert recorded == 6
    (tmp_path / "001_first.sql").write_text("CREATE TABLE things (id bigint PRIMARY KEY);")
    with pytest.raises(MigrationError, match="edited"):
        migrate(database_url, schema, tmp_path)


def test_a_batch_is_confirmed_whole_and_the_publisher_recovers_from_a_lost_connection(service_config):
    from kit.publisher import ConfirmingPublisher, PublishFailed

    with Connection(service_config["AMQP_URI"]) as conn:
        queue = Queue("batch-listener", get_event_exchange("probe", {}), routing_key="#", durable=True)
        queue(conn.default_channel).declare()
        publisher = ConfirmingPublisher(service_config["AMQP_URI"], "probe.events", b"key")
        batch = [("thing_happened", str(n), {"value": n}) for n in range(500)]
        assert publisher.publish(batch) == 500
        publisher.kombu.connection.sock.close()  # the broker connection drops under the publisher
        with pytest.raises(PublishFailed):
            publisher.publish(batch[:1])
        assert publisher.publish(batch[:2]) == 2  # a fresh connection on the next batch
        publisher.close()
        with conn.SimpleQueue(queue) as simple:
            received = []
            for _ in range(502):
                message = simple.get(timeout=10)
                message.ack()
                received.append(message.payload["value"])
        assert received == list(range(500)) + [0, 1]
        assert simple.qsize() == 0


def test_a_first_batch_that_finds_no_broker_fails_as_unconfirmed():
    """Before any batch went out, the publisher had no first tag: a broker away at the start raised an
    AttributeError instead of saying that nothing was confirmed."""
    from harness.stack import free_port
    from kit.publisher import ConfirmingPublisher, PublishFailed

    publisher = ConfirmingPublisher(f"pyamqp://guest:guest@127.0.0.1:{free_port()}//", "probe.events", b"key")
    with pytest.raises(PublishFailed) as failed:
        publisher.publish([("thing_happened", "1", {"value": 1})])
    assert failed.value.args[0] == 0
