"""Commands keyed by the gateway act once: a retry with the same key, or the very same RPC request
delivered twice (the service committed, then died before replying), answers what the first answered."""

import json
import uuid

import psycopg
import pytest
from kombu import Connection, Exchange, Producer, Queue
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from .registration_support import forum_payload, person


@pytest.fixture
def keyed(registration_container, service_config):
    """An RPC proxy whose calls carry an idempotency key, as the gateway's do."""

    def proxy(key):
        return ServiceRpcProxy(
            "registration", service_config, context_data={"idempotency_key": key}, timeout=30
        )

    return proxy


def error_of(call, *args):
    with pytest.raises(RemoteError) as error:
        call(*args)
    return error.value.exc_type


def events_of(bus, kind):
    return [event for event in bus.drain() if event["type"] == kind]


def test_a_retry_with_the_same_key_gets_the_first_answer_and_takes_one_seat(registration, keyed, bus):
    forum = registration.create_forum(forum_payload(capacity=3))
    someone, key = person(), str(uuid.uuid4())
    with keyed(key) as first, keyed(key) as retry:
        answer = first.register(forum["id"], someone)
        assert retry.register(forum["id"], someone) == answer
    assert registration.get_forum(forum["id"])["seats_left"] == 2
    assert len(events_of(bus, "registration_confirmed")) == 1


def test_a_key_used_again_for_another_request_is_refused_and_changes_nothing(registration, keyed, bus):
    forum = registration.create_forum(forum_payload(capacity=3))
    key = str(uuid.uuid4())
    with keyed(key) as proxy:
        proxy.register(forum["id"], person())
        assert error_of(proxy.register, forum["id"], person()) == "IdempotencyKeyReused"
    assert registration.get_forum(forum["id"])["seats_left"] == 2


def test_an_error_whose_effect_was_committed_is_answered_again_without_acting_again(registration, keyed, bus):
    forum = registration.create_forum(forum_payload(capacity=3))
    someone = person()
    registration.register(forum["id"], someone)
    with keyed(str(uuid.uuid4())) as proxy:
        assert error_of(proxy.register, forum["id"], someone) == "AlreadyRegistered"
        assert error_of(proxy.register, forum["id"], someone) == "AlreadyRegistered"
    assert len(events_of(bus, "management_link_requested")) == 1  # one link emailed, not two


def test_the_same_rpc_request_delivered_twice_registers_once_and_answers_twice_alike(
    registration, service_config, bus
):
    """What RabbitMQ does when a service dies after its commit and before its reply: it delivers the
    request again, with the same headers (so the same key the gateway made)."""
    forum = registration.create_forum(forum_payload(capacity=3))
    rpc = Exchange("nameko-rpc", type="topic", durable=True)
    with Connection(service_config["AMQP_URI"]) as conn:
        name = f"test-replies-{uuid.uuid4().hex[:8]}"
        replies = Queue(name, rpc, routing_key=name, exclusive=True)
        replies(conn.default_channel).declare()
        request = json.dumps({"args": [forum["id"], person()], "kwargs": {}})
        headers = {"nameko.idempotency_key": f"gateway-{uuid.uuid4()}", "nameko.call_id_stack": ["test.1"]}
        producer = Producer(conn.default_channel, exchange=rpc)
        for attempt in range(2):
            producer.publish(
                request,
                routing_key="registration.register",
                reply_to=replies.name,
                correlation_id=f"attempt-{attempt}",
                headers=headers,
                content_type="application/json",
                serializer=None,
            )
        answers = []
        with conn.SimpleQueue(replies) as simple:
            for _ in range(2):
                message = simple.get(timeout=30)
                message.ack()
                answers.append(message.payload)
    assert answers[0]["error"] is None, answers[0]
    assert answers[1] == answers[0]
    assert registration.get_forum(forum["id"])["seats_left"] == 2
    assert len(events_of(bus, "registration_confirmed")) == 1


def test_an_erasure_forgets_the_answers_kept_about_the_person(registration, keyed, service_config):
    forum = registration.create_forum(forum_payload(capacity=3))
    someone, key = person(), str(uuid.uuid4())
    with keyed(key) as proxy:
        proxy.register(forum["id"], someone)
    url = service_config["DATABASE_URL"]
    with psycopg.connect(url, options="-c search_path=registration") as conn:
        kept = "SELECT count(*) FROM idempotency_keys WHERE key = %s"
        assert conn.execute(kept, (key,)).fetchone()[0] == 1
        registration.erase_person(someone["email"])
        assert conn.execute(kept, (key,)).fetchone()[0] == 0
