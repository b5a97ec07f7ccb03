"""The kit's event handlers in a real container, broker and database: what a handler gives up on is
recorded once in the service's ``dead_letters`` table, with why, and acked only then."""

import time
import uuid
from collections import Counter

import eventlet
import psycopg
import pytest
from kombu import Connection, Producer
from marshmallow import Schema, fields
from nameko.standalone.events import get_event_exchange
from psycopg.rows import dict_row

from harness.testing import DatabaseOutage, publish_signed, wait_until
from kit import handlers
from kit.db import Database
from kit.events import EventCatalog, read_envelope
from kit.handlers import DEAD_LETTER_EXCHANGE, MAX_ATTEMPTS, event_handler
from kit.inbox import first_time

catalog = EventCatalog("probe")
QUEUE = "evt-probe-thing_happened--deadprobe.handle_thing_happened"
DEAD_LETTERS = "deadprobe.dead-letters"  # the service's one dead-letter queue
EVENTS = get_event_exchange("probe", {})
CALLS = Counter()  # attempts per event id, in this process


@catalog.event("thing_happened")
class ThingHappened(Schema):
    """Sent by nobody: the tests publish it."""

    value = fields.Integer(required=True)


class DeadLetterProbe:
    """Handles ``thing_happened``; a negative value is a bug that fails every time."""

    name = "deadprobe"
    db = Database("deadprobe")

    @event_handler("probe", "thing_happened")
    def handle_thing_happened(self, body):
        CALLS[body["id"]] += 1
        envelope, data = read_envelope(body, ThingHappened())
        if data["value"] < 0:
            raise RuntimeError("a negative value")
        with self.db.transaction() as cur:
            first_time(cur, envelope)


@pytest.fixture
def probe(container_factory, service_config):
    """The probe with one worker (so each queue is handled in order), and a way to publish to it."""
    config = service_config | {"EVENT_RETRY_BASE": 0.02, "EVENT_RETRY_CAP": 0.2, "max_workers": 1}
    config |= {"DATABASE_WAIT_SECONDS": 0.2}  # a database that is away is known as such at once
    container = container_factory(DeadLetterProbe, config)
    container.start()
    with Connection(config["AMQP_URI"]) as conn:
        producer = Producer(conn.default_channel)

        def publish(body, exchange=EVENTS, routing_key="thing_happened", **kwargs):
            if kwargs.get("serializer", "json") is None:  # raw bytes, as given
                producer.publish(body, exchange=exchange, routing_key=routing_key, **kwargs)
            else:  # as a service's outbox relay publishes it: signed
                publish_signed(producer, config["SECRET_KEY"], body, routing_key, exchange=exchange, **kwargs)

        def left_over(*queues):
            """Messages in these queues once the probe has stopped (what it had not acked is back)."""
            container.stop()
            return [conn.default_channel.queue_declare(queue, passive=True).message_count for queue in queues]

        publish.left_over = left_over
        yield publish


def rows(config, sql, *params):
    with psycopg.connect(
        config["DATABASE_URL"], options="-c search_path=deadprobe", row_factory=dict_row
    ) as c:
        return c.execute(sql, params).fetchall()


def dead_letters(config, event_id):
    return rows(config, "SELECT * FROM dead_letters WHERE event_id = %s ORDER BY id", str(event_id))


def handled(config, envelope):
    return rows(config, "SELECT event_id FROM inbox WHERE event_id = %s", envelope["id"])


def test_an_invalid_event_is_recorded_at_once_with_its_field_errors(probe, service_config):
    invalid = catalog.envelope("thing_happened", {"value": 1})
    invalid["data"] = {"value": "many"}
    probe(invalid)
    [row] = wait_until(lambda: dead_letters(service_config, invalid["id"]), message="the dead letter")
    assert (row["reason"], row["attempts"], row["errors"]) == (
        "invalid",
        1,
        {"value": ["Not a valid integer."]},
    )
    assert (row["queue"], row["exchange"], row["routing_key"]) == (QUEUE, "probe.events", "thing_happened")
    assert (row["event_type"], row["source"]) == ("thing_happened", "probe")
    assert '"many"' in row["body"] and row["content_type"] == "application/json"
    good = catalog.envelope("thing_happened", {"value": 2})
    probe(good)
    wait_until(lambda: handled(service_config, good), message="the next event handled")
    assert CALLS[str(invalid["id"])] == 1  # never retried
    assert probe.left_over(QUEUE, DEAD_LETTERS) == [0, 0]


def test_a_failing_event_is_recorded_with_the_brokers_reason_after_its_attempts(probe, service_config):
    failing = catalog.envelope("thing_happened", {"value": -1})
    probe(failing)
    [row] = wait_until(lambda: dead_letters(service_config, failing["id"]), message="the dead letter")
    assert (row["reason"], row["attempts"], row["errors"]) == ("delivery_limit", MAX_ATTEMPTS + 1, None)
    assert CALLS[str(failing["id"])] == MAX_ATTEMPTS + 1
    assert (row["queue"], row["exchange"], row["routing_key"]) == (QUEUE, "probe.events", "thing_happened")
    assert row["dead_at"] <= row["recorded_at"]
    assert probe.left_over(QUEUE, DEAD_LETTERS) == [0, 0]


def test_a_database_outage_costs_an_event_no_attempt(probe, service_config, postgres_server):
    """Away for longer than all its attempts would last (8 here, each 0.2 s of waiting for a connection
    and 0.02 to 0.2 s apart): the event waits in hand and is handled once the database is back, not
    dead-lettered."""
    event = catalog.envelope("thing_happened", {"value": 4})
    with DatabaseOutage(postgres_server, service_config["DATABASE_URL"]):
        probe(event)
        wait_until(lambda: CALLS[str(event["id"])], message="a first attempt")
        time.sleep(4)
    wait_until(lambda: handled(service_config, event), message="the event handled once the database is back")
    assert dead_letters(service_config, event["id"]) == []
    assert probe.left_over(QUEUE, DEAD_LETTERS) == [0, 0]


def test_a_dead_letter_delivered_again_is_recorded_once(probe, service_config):
    """As when the row was committed but the connection went before the ack."""
    event_id = str(uuid.uuid4())
    body = {"id": event_id, "type": "thing_happened", "source": "probe", "data": {}}
    death = {
        "queue": QUEUE,
        "reason": "rejected",
        "exchange": "probe.events",
        "routing-keys": ["thing_happened"],
    }
    headers = {"x-death": [death | {"count": 1}], "x-first-death-reason": "rejected"}
    for copy in (body, body, body | {"data": {"value": 3}}):  # the last one says something else
        probe(copy, exchange=DEAD_LETTER_EXCHANGE, routing_key=QUEUE, headers=headers)
    wait_until(
        lambda: any('"value": 3' in row["body"] for row in dead_letters(service_config, event_id)),
        message="the last one recorded, after the two copies",
    )
    assert probe.left_over(DEAD_LETTERS) == [0]
    first, other = dead_letters(service_config, event_id)
    assert (first["reason"], first["attempts"], first["routing_key"]) == ("rejected", None, "thing_happened")
    assert '"value": 3' in other["body"] and first["fingerprint"] != other["fingerprint"]


def test_a_body_that_is_not_json_is_recorded_as_it_is_and_the_handler_keeps_going(probe, service_config):
    probe(b'{"id": "not json', serializer=None, content_type="application/json", content_encoding="utf-8")
    good = catalog.envelope("thing_happened", {"value": 4})
    probe(good)
    wait_until(lambda: handled(service_config, good), message="the next event handled")
    [row] = wait_until(
        lambda: rows(service_config, "SELECT * FROM dead_letters WHERE body = %s", '{"id": "not json'),
        message="the dead letter",
    )
    assert (row["reason"], row["queue"], row["event_id"], row["routing_key"]) == (
        "rejected",
        QUEUE,
        None,
        "thing_happened",
    )
    assert row["errors"]["body"][0].startswith("cannot be decoded")
    assert probe.left_over(QUEUE, DEAD_LETTERS) == [0, 0]


def test_an_invalid_event_the_database_cannot_take_yet_is_recorded_once_it_can(
    probe, service_config, monkeypatch
):
    monkeypatch.setattr(handlers, "RECORD_RETRY_SECONDS", 0.2)
    invalid = catalog.envelope("thing_happened", {"value": 1})
    del invalid["data"]["value"]
    with psycopg.connect(service_config["DATABASE_URL"], autocommit=True) as admin:
        admin.execute("ALTER TABLE deadprobe.dead_letters RENAME TO dead_letters_away")
        try:
            probe(invalid)
            wait_until(lambda: CALLS[invalid["id"]] == 1, message="the event handled")
            eventlet.sleep(1)  # dead-lettered, and the dead-letter consumer keeps trying
        finally:
            admin.execute("ALTER TABLE deadprobe.dead_letters_away RENAME TO dead_letters")
    [row] = wait_until(lambda: dead_letters(service_config, invalid["id"]), message="the dead letter")
    assert (row["reason"], row["errors"]) == ("rejected", None)  # the broker's reason; the errors are logged
    assert CALLS[invalid["id"]] == 1
    assert probe.left_over(QUEUE, DEAD_LETTERS) == [0, 0]
