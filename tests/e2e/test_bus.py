"""What an integrator sees on the event bus, and why a redelivered event is harmless."""

import uuid

from harness.testing import wait_until
from kit.events import EnvelopeSchema
from services.registration.events import catalog

from .client import mail_to, person, stays_true, wait_for_mail


def confirmed_for(registration):
    def matches(envelope):
        return (
            envelope["type"] == "registration_confirmed"
            and envelope["data"]["registration_id"] == registration["id"]
        )

    return matches


def test_an_integrator_receives_registration_confirmed_with_the_registrant(api, bus):
    forum = api.create_forum(capacity=5)
    someone = person("fr", organisation="Association Regards Citoyens", stakeholder_group="civil_society")
    response = api.register(forum["id"], someone)
    assert response.status_code == 201, response.text
    registration = response.json()

    delivery = bus.wait_for(confirmed_for(registration), message="registration_confirmed on the bus")
    envelope = delivery.envelope
    assert delivery.routing_key == "registration_confirmed"
    assert delivery.properties.content_type == "application/json"
    assert EnvelopeSchema().validate(envelope) == {}
    assert catalog.schemas["registration_confirmed"].validate(envelope["data"]) == {}
    assert (envelope["specversion"], envelope["source"]) == ("1.0", "registration")
    assert uuid.UUID(envelope["id"])
    data = envelope["data"]
    assert {
        key: value for key, value in data["person"].items() if key not in ("person_id", "token_version")
    } == {
        "email": someone["email"],
        "first_name": someone["first_name"],
        "last_name": someone["last_name"],
        "locale": "fr",
    }
    assert uuid.UUID(data["person"]["person_id"]) and data["person"]["token_version"] == 0
    assert len(data["attendee_code"]) == 8
    assert (data["organisation"], data["stakeholder_group"]) == (someone["organisation"], "civil_society")
    assert data["status"] == "confirmed"
    assert (data["forum"]["id"], data["forum"]["title"]) == (forum["id"], forum["title"])
    assert data["forum"]["venue"]["city"] == forum["venue"]["city"]


def test_a_redelivered_event_sends_no_second_email(api, mail, bus):
    forum = api.create_forum(capacity=5)
    first = person()
    registration = api.register(forum["id"], first).json()
    delivery = bus.wait_for(confirmed_for(registration), message="registration_confirmed on the bus")
    wait_for_mail(mail, [first["email"]])

    bus.republish(delivery)  # the exact message again: same body, same event id, same properties
    event_id = delivery.envelope["id"]
    wait_until(
        lambda: sum(d.envelope["id"] == event_id for d in bus.poll()) == 2,
        message="the copy to be routed to every queue bound to registration.events",
    )
    # A registration made after the copy does get its email: the service went on consuming.
    later = person()
    assert api.register(forum["id"], later).status_code == 201
    wait_for_mail(mail, [later["email"]])
    stays_true(
        lambda: len(mail_to(mail, first["email"])[first["email"]]) == 1,
        3.0,
        f"a second email reached {first['email']} after the event was delivered again",
    )
