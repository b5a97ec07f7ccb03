"""Events the notification service cannot handle (a real container, broker and database): each one is
recorded once in its dead letters, with why, for organisers to see; the service keeps going; erasing a
person strips the bodies that mention them."""

import json

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from harness.testing import wait_until
from kit.handlers import MAX_ATTEMPTS
from services.notification.service import NotificationService
from services.registration.events import catalog

from .test_notification_emails import forum_block, mail_to, registration, someone

CONFIRMED_QUEUE = "evt-registration-registration_confirmed--notification.handle_registration_confirmed"


@pytest.fixture
def quick_retries(service_config):
    """A failing event goes through its attempts in about a second."""
    return service_config | {"EVENT_RETRY_BASE": 0.02, "EVENT_RETRY_CAP": 0.2}


@pytest.fixture
def notification_rpc(container_factory, quick_retries):
    container_factory(NotificationService, quick_retries).start()
    with ServiceRpcProxy("notification", quick_retries, timeout=30) as proxy:
        yield proxy


def dead_letters_of(proxy, *envelopes):
    """The listed dead letters of these events (the database is shared by the session's tests)."""
    ids = {str(envelope["id"]) for envelope in envelopes}
    return [row for row in proxy.list_dead_letters(100)["items"] if row["event_id"] in ids]


def test_a_malformed_and_a_failing_event_are_listed_once_with_why_and_the_service_keeps_going(
    notification_rpc, publish, smtp_sink
):
    malformed = registration("registration_confirmed", forum_block(), someone())
    del malformed["data"]["person"]["email"]
    # Well formed, but PostgreSQL cannot store a NUL character: every attempt fails.
    failing = registration("registration_confirmed", forum_block(), someone() | {"first_name": "Lou\x00"})
    publish(malformed, failing)
    wait_until(lambda: len(dead_letters_of(notification_rpc, malformed, failing)) == 2, message="2 dead")
    good = someone()
    publish(registration("registration_confirmed", forum_block(), good))
    mail_to(smtp_sink, good["email"])

    listed = dead_letters_of(notification_rpc, malformed, failing)
    assert len(listed) == 2  # each once
    rows = {row["event_id"]: row for row in listed}
    invalid, exhausted = rows[str(malformed["id"])], rows[str(failing["id"])]
    assert invalid["reason"] == "invalid" and invalid["attempts"] == 1
    assert invalid["errors"] == {"person": {"email": ["Missing data for required field."]}}
    assert exhausted["reason"] == "delivery_limit" and exhausted["attempts"] == MAX_ATTEMPTS + 1
    assert exhausted["errors"] is None
    for row, event in ((invalid, malformed), (exhausted, failing)):
        assert (row["event_type"], row["source"], row["queue"]) == (
            event["type"],
            "registration",
            CONFIRMED_QUEUE,
        )
        assert (row["exchange"], row["routing_key"]) == ("registration.events", event["type"])
        assert row["dead_at"] and row["recorded_at"] and row["erased_at"] is None
        assert "body" not in row  # a listing never shows what the event said of a person
    assert len(smtp_sink.messages()) == 1  # neither dead event sent anything

    assert notification_rpc.get_dead_letter(exhausted["id"])["body"].count("Lou\\u0000") == 1
    shown = notification_rpc.get_dead_letter(invalid["id"])
    assert shown["content_type"] == "application/json"
    fixed = json.loads(shown["body"])  # what was published, to fix and replay
    assert fixed["id"] == str(malformed["id"]) and "email" not in fixed["data"]["person"]
    fixed["data"]["person"]["email"] = "fixed@example.org"
    publish(fixed)
    mail_to(smtp_sink, "fixed@example.org")


def test_dead_letters_are_paged_newest_first_and_unknown_ones_are_refused(notification_rpc, publish):
    events = [registration("registration_confirmed", forum_block(), someone()) for _ in range(3)]
    for event in events:
        del event["data"]["forum"]["title"]
    publish(*events)
    wait_until(lambda: len(dead_letters_of(notification_rpc, *events)) == 3, message="3 dead")
    ours = {row["id"] for row in dead_letters_of(notification_rpc, *events)}
    paged, cursor = [], None
    while True:  # two at a time, through every dead letter of the session
        page = notification_rpc.list_dead_letters(2, cursor)
        paged += [row["id"] for row in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert paged == sorted(set(paged), reverse=True)  # newest first, none twice
    assert ours <= set(paged)
    assert [row["id"] for row in notification_rpc.list_dead_letters(100)["items"]] == paged[:100]
    for call, args, error in [
        (notification_rpc.get_dead_letter, (10**12,), "DeadLetterNotFound"),
        (notification_rpc.get_dead_letter, ("seven",), "DeadLetterNotFound"),
        (notification_rpc.list_dead_letters, (2, "not-a-cursor"), "InvalidCursor"),
    ]:
        with pytest.raises(RemoteError) as raised:
            call(*args)
        assert raised.value.exc_type == error


def test_erasing_a_person_strips_the_dead_letters_that_mention_them(notification_rpc, publish):
    person, other = someone(email="Camille.Erased@Example.org"), someone()
    about = registration("registration_confirmed", forum_block(), person)
    del about["data"]["forum"]["venue"]
    not_about = registration("registration_confirmed", forum_block(), other)
    del not_about["data"]["forum"]["venue"]
    publish(about, not_about)
    wait_until(lambda: len(dead_letters_of(notification_rpc, about, not_about)) == 2, message="2 dead")
    rows = {row["event_id"]: row for row in dead_letters_of(notification_rpc, about, not_about)}

    erased = {"person_id": person["person_id"], "email": "camille.erased@example.ORG", "erased_by": "person"}
    publish(catalog.envelope("person_erased", erased))
    wait_until(
        lambda: notification_rpc.get_dead_letter(rows[str(about["id"])]["id"])["erased_at"],
        message="the erasure",
    )
    shown = notification_rpc.get_dead_letter(rows[str(about["id"])]["id"])
    assert shown["body"] is None and shown["reason"] == "invalid" and shown["event_id"] == str(about["id"])
    kept = notification_rpc.get_dead_letter(rows[str(not_about["id"])]["id"])
    assert kept["erased_at"] is None and other["email"] in kept["body"]
