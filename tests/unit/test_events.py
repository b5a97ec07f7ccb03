import uuid
from datetime import UTC, datetime

import pytest

from kit.events import ENVELOPE, InvalidEvent, read_envelope
from services.notification.incoming import REGISTRATION_NOTICE
from services.registration.events import catalog

FORUM = {
    "id": uuid.uuid4(),
    "slug": "forum-1",
    "title": "Forum 1",
    "starts_at": datetime(2027, 3, 1, 8, tzinfo=UTC),
    "ends_at": datetime(2027, 3, 1, 16, tzinfo=UTC),
    "timezone": "Europe/Paris",
    "venue": {"name": "Salle", "address": "1 rue", "city": "Lyon", "accessibility": ""},
    "capacity": 10,
    "status": "open",
}
REGISTRATION = {
    "registration_id": uuid.uuid4(),
    "forum": FORUM,
    "person": {"email": "a@example.org", "first_name": "A", "last_name": "B", "locale": "en"},
    "organisation": "",
    "stakeholder_group": "citizen",
    "status": "confirmed",
}


def test_envelope_is_cloudevents_shaped_and_validates():
    envelope = catalog.envelope("registration_confirmed", REGISTRATION)
    assert ENVELOPE.validate(envelope) == {}
    assert envelope["specversion"] == "1.0"
    assert envelope["source"] == "registration"
    assert envelope["type"] == "registration_confirmed"
    assert envelope["dataschema"].endswith("registration_confirmed:v1")
    assert envelope["time"].endswith("Z")
    assert envelope["data"]["forum"]["starts_at"] == "2027-03-01T08:00:00+00:00"
    assert envelope["id"] != catalog.envelope("registration_confirmed", REGISTRATION)["id"]


def test_an_event_missing_a_field_is_never_built():
    with pytest.raises(InvalidEvent) as error:
        catalog.envelope("registration_waitlisted", REGISTRATION)  # no waitlist_position
    assert "waitlist_position" in error.value.errors


def test_every_event_says_when_it_is_sent():
    for name, _schema, description in catalog.asyncapi_channels():
        assert "Sent" in description, name


def test_a_consumer_reads_only_what_it_needs_and_ignores_additions():
    envelope = catalog.envelope("registration_confirmed", REGISTRATION)
    envelope["data"]["a_field_added_later"] = 1
    _, data = read_envelope(envelope, REGISTRATION_NOTICE)
    assert data["person"]["email"] == "a@example.org"
    assert data["forum"]["starts_at"] == FORUM["starts_at"]


@pytest.mark.parametrize("broken", [{}, {"specversion": "1.0"}, "not an object", {"data": {}}])
def test_a_malformed_envelope_is_invalid(broken):
    with pytest.raises(InvalidEvent):
        read_envelope(broken, REGISTRATION_NOTICE)


def test_an_envelope_with_bad_data_is_invalid():
    envelope = catalog.envelope("registration_confirmed", REGISTRATION)
    envelope["data"]["person"]["email"] = "not-an-address"
    with pytest.raises(InvalidEvent):
        read_envelope(envelope, REGISTRATION_NOTICE)


def test_asyncapi_document_lists_every_event_with_its_data_schema():
    from kit.asyncapi import build_asyncapi

    document = build_asyncapi([catalog])
    channel = document["channels"]["registration.events"]
    assert set(channel["messages"]) == set(catalog.schemas)
    confirmed = document["components"]["schemas"]["registration.registration_confirmed.v1"]
    assert {"registration_id", "forum", "person"} <= set(confirmed["required"])
