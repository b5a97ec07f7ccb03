"""Nothing published on the bus by a stranger grants access: events act only when their service signed
them, so a made-up event can neither send a link to someone's data nor put words in an email."""

import json
import uuid

import pika

from harness.testing import wait_until
from kit.events import dataschema_uri
from kit.signing import HEADER, event_key, sign

from .client import EXCHANGE, mail_to, person, stays_true, wait_for_mail


def made_up(event_type, data):
    """An envelope as the registration service would write it, with the data of the attacker's choosing."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "registration",
        "time": "2027-01-02T10:00:00Z",
        "dataschema": dataschema_uri("registration", event_type),
        "datacontenttype": "application/json",
        "data": data,
    }


def forge(bus, envelope, headers=None):
    """Publish as anyone holding broker credentials could: straight onto registration.events."""
    body = json.dumps(envelope).encode()
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2, headers=headers)
    bus.channel.basic_publish(EXCHANGE, envelope["type"], body, properties)
    return body


def victim_on_the_bus(api, bus):
    forum = api.create_forum(capacity=5)
    victim = person()
    registration = api.register(forum["id"], victim).json()
    delivery = bus.wait_for(
        lambda e: (
            e["type"] == "registration_confirmed" and e["data"]["registration_id"] == registration["id"]
        ),
        message="the victim's registration on the bus",
    )
    return forum, victim, delivery.envelope["data"]


def test_a_made_up_management_link_request_sends_nothing_to_the_attacker(api, bus, mail):
    forum, victim, data = victim_on_the_bus(api, bus)
    attacker = f"attacker-{uuid.uuid4().hex[:8]}@evil.example"
    stolen = data["person"] | {"email": attacker}  # the victim's person id, the attacker's address
    unsigned = made_up("management_link_requested", {"person": stolen, "forum": data["forum"]})
    forge(bus, unsigned)
    wrongly_signed = made_up("management_link_requested", {"person": stolen, "forum": None})
    raw = json.dumps(wrongly_signed).encode()
    forge(bus, wrongly_signed, {HEADER: sign(event_key("a key the attacker guessed"), raw)})

    later = person()  # the service goes on handling genuine events after the forged ones
    assert api.register(forum["id"], later).status_code == 201
    wait_for_mail(mail, [later["email"]])
    stays_true(lambda: not mail_to(mail, attacker)[attacker], 2.0, "the attacker received an email")


def test_a_made_up_registration_event_puts_no_words_in_the_owners_mailbox(api, bus, mail):
    forum, victim, data = victim_on_the_bus(api, bus)
    wait_for_mail(mail, [victim["email"]])
    lure = data["person"] | {"first_name": "Votre compte est suspendu, allez sur https://evil.example/"}
    promoted = data | {"person": lure, "reason": "a seat was freed", "cause": "cancellation"}
    forge(bus, made_up("registration_promoted", promoted))

    later = person()
    assert api.register(forum["id"], later).status_code == 201
    wait_for_mail(mail, [later["email"]])
    stays_true(
        lambda: len(mail_to(mail, victim["email"])[victim["email"]]) == 1,
        2.0,
        "a forged event made the platform email its owner again",
    )


def test_an_unsigned_event_is_recorded_as_a_dead_letter_organisers_can_see(api, bus):
    forum, victim, data = victim_on_the_bus(api, bus)
    forged = made_up("management_link_requested", {"person": data["person"], "forum": None})
    forge(bus, forged)

    def recorded():
        response = api.organiser("GET", "/notifications/dead-letters")
        items = response.json()["items"] if response.status_code == 200 else []
        return [item for item in items if item.get("event_id") == forged["id"]]

    [row] = wait_until(recorded, message="the forged event among the dead letters")
    assert row["reason"] == "invalid" and "signature" in row["errors"]
