"""The registration service in a real container: RPC in, rows and outbox events out."""

import json

import pytest
from kombu import Connection, Exchange, Queue
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.registration.service import RegistrationService


def forum_payload(capacity=2):
    return {
        "title": "Forum de test",
        "starts_at": "2027-03-01T09:00:00+01:00",
        "ends_at": "2027-03-01T17:00:00+01:00",
        "venue": {"name": "Hôtel de Ville", "address": "Place de l'Hôtel de Ville", "city": "Paris"},
        "capacity": capacity,
    }


def person(n, **extra):
    return {
        "email": f"p{n}@example.org",
        "first_name": "Ana",
        "last_name": f"P{n}",
        "stakeholder_group": "citizen",
        "locale": "fr",
    } | extra


@pytest.fixture
def registration(container_factory, service_config):
    container = container_factory(RegistrationService, service_config)
    container.start()
    with ServiceRpcProxy("registration", service_config, timeout=10) as proxy:
        yield proxy


@pytest.fixture
def bus(service_config):
    """A queue of our own bound to registration.events, read like an integrator would."""
    with Connection(service_config["AMQP_URI"]) as conn:
        queue = Queue(
            "test-integrator",
            Exchange("registration.events", "topic", durable=True),
            routing_key="#",
            durable=True,
        )
        queue(conn.default_channel).declare()

        def received(count, timeout=10):
            bodies = []
            with conn.SimpleQueue(queue) as simple:
                for _ in range(count):
                    message = simple.get(timeout=timeout)
                    message.ack()
                    bodies.append(
                        json.loads(message.body) if isinstance(message.body, str | bytes) else message.payload
                    )
            return bodies

        yield received


def test_seats_then_waitlist_and_events_through_the_outbox(registration, bus):
    forum = registration.create_forum(forum_payload(capacity=2))
    results = [registration.register(forum["id"], person(n)) for n in range(4)]
    assert [r["status"] for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r["waitlist_position"] for r in results] == [None, None, 1, 2]
    events = bus(5)
    assert [e["type"] for e in events] == ["forum_scheduled"] + ["registration_confirmed"] * 2 + [
        "registration_waitlisted"
    ] * 2
    assert events[1]["data"]["person"]["email"] == "p0@example.org"
    assert events[1]["data"]["forum"]["title"] == "Forum de test"
    assert events[4]["data"]["waitlist_position"] == 2
    assert len({e["id"] for e in events}) == 5
    assert registration.get_forum(forum["id"])["seats_left"] == 0


def test_the_same_address_cannot_register_twice(registration):
    forum = registration.create_forum(forum_payload())
    registration.register(forum["id"], person(1))
    with pytest.raises(RemoteError) as error:
        registration.register(forum["id"], person(1, email="P1@Example.org"))
    assert error.value.exc_type == "AlreadyRegistered"
    assert registration.get_forum(forum["id"])["seats_left"] == 1  # the refused attempt took nothing
