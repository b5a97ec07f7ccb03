"""What the notification service reads from events and the links it mints, without a broker."""

import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from kit import tokens
from kit.events import InvalidEvent, read_envelope
from services.notification.incoming import RESTITUTION_SCHEMAS, SCHEMAS, TOPICS_SCHEMAS
from services.notification.links import Links
from services.notification.rules import changed_kinds
from services.registration.events import catalog

SECRET = "unit-secret"
LINKS = Links("https://forums.example.org/", SECRET)
FORUM = {
    "id": uuid.uuid4(),
    "slug": "forum-mai",
    "title": "Forum de mai",
    "starts_at": datetime(2027, 5, 4, 7, 30, tzinfo=UTC),
    "ends_at": datetime(2027, 5, 4, 15, 30, tzinfo=UTC),
    "timezone": "Europe/Paris",
    "venue": {"name": "Bercy", "address": "139 rue de Bercy", "city": "Paris", "accessibility": "Lift"},
    "capacity": 10,
    "status": "open",
}
PERSON = {"email": "a@example.org", "first_name": "A", "last_name": "B", "locale": "en"}


def read(event_type, data):
    return read_envelope(catalog.envelope(event_type, data), SCHEMAS[event_type])[1]


def token_of(url):
    return url.split("token=")[1].split("&")[0]


def test_the_management_link_verifies_for_the_person_and_their_token_version():
    person_id = uuid.uuid4()
    url = LINKS.manage({"person_id": person_id, "token_version": 3})
    assert url.startswith("https://forums.example.org/me/session?token=")  # opens /me without JavaScript
    assert tokens.read(SECRET, token_of(url), "manage") == (str(person_id), 3)
    english = LINKS.manage({"person_id": person_id, "token_version": 3, "locale": "en"})
    assert english.startswith("https://forums.example.org/en/me/session?token=")  # the email's language
    with pytest.raises(tokens.InvalidToken):
        tokens.read(SECRET, token_of(url), "confirm_subscription")
    assert LINKS.manage({"person_id": None}) is None  # an event that does not say who: no link


def test_the_subscription_link_verifies_for_the_subscription():
    subscription_id = uuid.uuid4()
    url = LINKS.confirm_subscription(subscription_id)
    assert url.startswith("https://forums.example.org/subscriptions/confirm#token=")
    english = LINKS.confirm_subscription(subscription_id, 0, "en")  # the page in the email's language
    assert english.startswith("https://forums.example.org/en/subscriptions/confirm#token=")
    assert tokens.read(SECRET, token_of(english), "confirm_subscription") == (str(subscription_id), 0)
    assert tokens.read(SECRET, token_of(url), "confirm_subscription") == (str(subscription_id), 0)
    with pytest.raises(tokens.InvalidToken):
        tokens.read("another-secret", token_of(url), "confirm_subscription")


def test_every_event_the_service_handles_reads_from_the_registration_contract():
    registration = {"registration_id": uuid.uuid4(), "forum": FORUM, "person": PERSON}
    registration |= {"organisation": "", "stakeholder_group": "citizen", "status": "confirmed"}
    samples = {
        "registration_confirmed": registration | {"attendee_code": "K7P2QX"},
        "registration_waitlisted": registration | {"waitlist_position": 2},
        "registration_promoted": registration | {"attendee_code": "K7P2QX", "reason": "freed"},
        "registration_cancelled": registration | {"cancelled_by": "person", "previous_status": "confirmed"},
        "forum_updated": {"forum": FORUM, "changes": ["title"], "previous": {"title": "Old"}},
        "forum_cancelled": {"forum": FORUM, "reason": "strike"},
        "subscription_requested": {"subscription_id": uuid.uuid4(), "person": PERSON},
        "subscription_confirmed": {
            "subscription_id": uuid.uuid4(),
            "person": PERSON | {"person_id": uuid.uuid4(), "token_version": 0},
        },
        "subscription_ended": {
            "subscription_id": uuid.uuid4(),
            "person_id": uuid.uuid4(),
            "email": "a@example.org",
            "reason": "unsubscribed",
        },
        "management_link_requested": {"person": PERSON | {"person_id": uuid.uuid4(), "token_version": 1}},
        "person_erased": {"person_id": uuid.uuid4(), "email": "a@example.org", "erased_by": "person"},
    }
    for name in ("forum_scheduled", "forum_opened", "forum_closed", "forum_held"):
        samples[name] = {"forum": FORUM}
    assert set(samples) == set(SCHEMAS) - set(TOPICS_SCHEMAS) - set(RESTITUTION_SCHEMAS)
    for event_type, data in samples.items():
        assert read(event_type, data), event_type
    assert read("forum_updated", samples["forum_updated"])["previous_forum"]["title"] == "Old"


def test_a_management_link_request_without_a_person_id_is_invalid():
    with pytest.raises(InvalidEvent):
        read("management_link_requested", {"person": PERSON})


def test_an_unknown_time_zone_is_invalid_rather_than_failing_later():
    with pytest.raises(ValidationError):
        SCHEMAS["forum_opened"].load({"forum": {**FORUM, "id": str(FORUM["id"]), "timezone": "Mars/Olympus"}})


def updated(changes, previous):
    return read("forum_updated", {"forum": FORUM, "changes": changes, "previous": previous})


def test_the_previous_forum_is_the_current_one_with_the_former_values():
    data = updated(
        ["starts_at", "venue"], {"starts_at": "2027-04-27T07:30:00+00:00", "venue": {"name": "Ségur"}}
    )
    before = data["previous_forum"]
    assert before["starts_at"] == datetime(2027, 4, 27, 7, 30, tzinfo=UTC)
    assert before["ends_at"] == FORUM["ends_at"]
    assert before["venue"] == FORUM["venue"] | {"name": "Ségur"}


def test_only_a_change_of_date_or_venue_is_worth_telling():
    assert changed_kinds(updated(["title"], {"title": "Old"})) == []
    assert changed_kinds(updated(["capacity"], {"capacity": 5})) == []
    assert changed_kinds(updated(["ends_at"], {"ends_at": "2027-05-04T17:00:00+00:00"})) == ["date"]
    assert changed_kinds(updated(["timezone"], {"timezone": "Europe/London"})) == ["date"]
    moved = updated(["venue", "starts_at"], {"venue": {"city": "Lyon"}, "starts_at": "2027-05-03T07:30:00Z"})
    assert changed_kinds(moved) == ["date", "venue"]
    assert changed_kinds(updated(["venue"], {"venue": {"accessibility": ""}})) == ["accessibility"]


def test_a_malformed_previous_value_is_an_invalid_event():
    with pytest.raises(InvalidEvent):
        updated(["starts_at"], {"starts_at": "not a date"})
