"""The registration service in a real container: RPC in, rows and outbox events out."""

import logging
import uuid

import pytest
from nameko.exceptions import RemoteError

from .registration_support import forum_payload, person


def remote(call, *args, **kwargs):
    """The class name of the service's error for this call (the test fails if there is none)."""
    with pytest.raises(RemoteError) as error:
        call(*args, **kwargs)
    return error.value.exc_type


def test_seats_then_waitlist_and_events_through_the_outbox(registration, bus):
    forum = registration.create_forum(forum_payload(capacity=2))
    results = [registration.register(forum["id"], person(n)) for n in range(4)]
    assert [r["status"] for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r["waitlist_position"] for r in results] == [None, None, 1, 2]
    assert all(len(r["attendee_code"]) == 8 for r in results[:2]) and results[2]["attendee_code"] is None
    events = bus.take(6)
    assert [e["type"] for e in events] == ["forum_scheduled", "forum_opened"] + [
        "registration_confirmed"
    ] * 2 + ["registration_waitlisted"] * 2
    assert events[2]["data"]["person"]["email"] == "p0@example.org"
    assert events[2]["data"]["attendee_code"] == results[0]["attendee_code"]
    assert events[2]["data"]["forum"]["title"] == "Forum de test"
    assert events[5]["data"]["waitlist_position"] == 2
    assert len({e["id"] for e in events}) == 6
    assert registration.get_forum(forum["id"])["seats_left"] == 0


def test_the_same_address_cannot_register_twice_and_is_sent_its_link(registration, bus):
    forum = registration.create_forum(forum_payload())
    registration.register(forum["id"], person(1))
    assert (
        remote(registration.register, forum["id"], person(1, email="P1@Example.org")) == "AlreadyRegistered"
    )
    assert registration.get_forum(forum["id"])["seats_left"] == 1  # the refused attempt took nothing
    kinds = [e["type"] for e in bus.drain()]
    assert kinds[-1] == "management_link_requested"  # committed although the call failed
    assert kinds.count("registration_confirmed") == 1


def test_a_draft_opens_closes_reopens_is_held_and_then_nothing_moves(registration, bus):
    forum = registration.create_forum(forum_payload(status="draft"))
    assert remote(registration.get_forum, forum["id"]) == "ForumNotFound"  # drafts are not public
    assert remote(registration.register, forum["id"], person()) == "RegistrationClosed"
    assert registration.open_forum(forum["id"])["status"] == "open"
    registration.register(forum["id"], person())
    assert registration.close_forum(forum["id"])["registration_open"] is False
    assert remote(registration.register, forum["id"], person()) == "RegistrationClosed"
    registration.open_forum(forum["id"])
    assert registration.hold_forum(forum["id"])["status"] == "held"
    for action in (registration.open_forum, registration.close_forum):
        assert remote(action, forum["id"]) == "InvalidTransition"
    assert remote(registration.cancel_forum, forum["id"], "trop tard") == "InvalidTransition"
    assert remote(registration.update_forum, forum["id"], {"title": "x"}) == "InvalidTransition"
    kinds = [e["type"] for e in bus.drain()]
    assert kinds == [
        "forum_scheduled", "forum_opened", "registration_confirmed", "forum_closed", "forum_opened", "forum_held"
    ]  # fmt: skip


def test_cancelling_a_forum_cancels_every_registration_with_the_reason(registration, bus):
    forum = registration.create_forum(forum_payload(capacity=1))
    first, second = (registration.register(forum["id"], person()) for _ in range(2))
    cancelled = registration.cancel_forum(forum["id"], "Grève des transports")
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_reason"] == "Grève des transports"
    events = bus.drain()
    cancellations = [e["data"] for e in events if e["type"] == "registration_cancelled"]
    assert {c["registration_id"] for c in cancellations} == {first["id"], second["id"]}
    assert {c["cancelled_by"] for c in cancellations} == {"forum_cancelled"}
    assert {c["reason"] for c in cancellations} == {"Grève des transports"}
    assert not [e for e in events if e["type"] == "registration_promoted"]
    assert events[-1]["type"] == "forum_cancelled" and events[-1]["data"]["reason"] == "Grève des transports"


def test_the_registration_window_is_enforced(registration):
    opens_later = forum_payload(registration_opens_at=forum_payload()["starts_at"])
    forum = registration.create_forum(opens_later | {"registration_opens_at": "2099-01-01T00:00:00+00:00"})
    assert remote(registration.register, forum["id"], person()) == "RegistrationClosed"
    closed = registration.create_forum(forum_payload(registration_closes_at="2020-01-01T00:00:00+00:00"))
    assert closed["registration_open"] is False
    assert remote(registration.register, closed["id"], person()) == "RegistrationClosed"


def test_a_cancellation_promotes_the_next_person_and_says_why(registration, bus):
    forum = registration.create_forum(forum_payload(capacity=1))
    seated = registration.register(forum["id"], person())
    waiting = [registration.register(forum["id"], person()) for _ in range(2)]
    assert registration.cancel_registration(seated["id"])["cancelled_by"] == "organiser"
    promoted = registration.get_registration(waiting[0]["id"])
    assert promoted["status"] == "confirmed" and promoted["attendee_code"]
    assert "first on the waiting list" in promoted["promotion_reason"]
    assert registration.get_registration(waiting[1]["id"])["waitlist_position"] == 1
    events = [e for e in bus.drain() if e["type"] in ("registration_cancelled", "registration_promoted")]
    assert [e["type"] for e in events] == ["registration_cancelled", "registration_promoted"]
    assert events[1]["data"]["registration_id"] == waiting[0]["id"]
    assert "cancellation" in events[1]["data"]["reason"]
    assert (events[1]["data"]["cause"], events[1]["data"]["reserved_for"]) == ("cancellation", None)
    assert registration.cancel_registration(seated["id"])["status"] == "cancelled"  # twice: no new event
    assert bus.drain(quiet=0.5) == []


def test_reserved_seats_go_first_to_the_group_under_its_quota(registration):
    forum = registration.create_forum(forum_payload(capacity=3, quotas={"civil_society": 1}))
    citizens = [registration.register(forum["id"], person()) for _ in range(3)]
    assert [r["status"] for r in citizens] == [
        "confirmed",
        "confirmed",
        "waitlisted",
    ]  # the reserved seat is kept
    association = registration.register(forum["id"], person(stakeholder_group="civil_society"))
    assert association["status"] == "confirmed"
    late_association = registration.register(forum["id"], person(stakeholder_group="civil_society"))
    assert late_association["status"] == "waitlisted"
    registration.cancel_registration(association["id"])  # a reserved seat is free again
    promoted = registration.get_registration(late_association["id"])
    assert promoted["status"] == "confirmed"  # ahead of the citizen who waited longer
    assert "reserved for civil_society" in promoted["promotion_reason"]
    assert registration.get_registration(citizens[2]["id"])["status"] == "waitlisted"


def test_capacity_and_quotas_cannot_go_below_what_is_confirmed_and_raising_promotes(registration, bus):
    forum = registration.create_forum(forum_payload(capacity=2, quotas={"company": 1}))
    registration.register(forum["id"], person(stakeholder_group="company"))
    registration.register(forum["id"], person())
    waiting = registration.register(forum["id"], person())
    assert remote(registration.update_forum, forum["id"], {"capacity": 1}) == "CapacityBelowConfirmed"
    assert remote(registration.update_forum, forum["id"], {"quotas": {"company": 0}}) == "QuotaInvalid"
    assert remote(registration.update_forum, forum["id"], {"quotas": {"company": 3}}) == "QuotaInvalid"
    bus.drain()
    updated = registration.update_forum(forum["id"], {"capacity": 3})
    assert updated["capacity"] == 3 and updated["seats_left"] == 0
    assert registration.get_registration(waiting["id"])["status"] == "confirmed"
    events = bus.drain()
    assert [e["type"] for e in events] == ["forum_updated", "registration_promoted"]
    assert events[0]["data"]["changes"] == ["capacity"] and events[0]["data"]["previous"] == {"capacity": 2}


def test_a_change_of_date_or_venue_says_what_changed(registration, bus):
    forum = registration.create_forum(forum_payload())
    bus.drain()
    assert registration.update_forum(forum["id"], {"title": forum["title"]})["title"] == forum["title"]
    assert bus.drain(quiet=0.5) == []  # nothing changed, nothing said
    moved = registration.update_forum(
        forum["id"], {"venue": {"name": "Bercy", "address": "1 rue", "city": "Paris"}}
    )
    [event] = bus.drain()
    assert event["type"] == "forum_updated" and event["data"]["changes"] == ["venue"]
    assert event["data"]["previous"]["venue"]["name"] == "Hôtel de Ville"
    assert moved["venue"]["name"] == "Bercy"


def test_a_forums_agenda_and_documents_are_kept_and_replaced_whole(registration, bus):
    agenda = [
        {"at": "09:30", "title": "Accueil", "details": ""},
        {"at": "10:00", "title": "Ateliers", "details": "B"},
    ]
    documents = [{"title": "Dossier", "url": "https://example.org/d.pdf", "language": "fr"}]
    forum = registration.create_forum(forum_payload(agenda=agenda, documents=documents))
    assert (forum["agenda"], forum["documents"]) == (agenda, documents)
    assert registration.create_forum(forum_payload())["agenda"] == []  # none given: none
    bus.drain()
    changed = registration.update_forum(forum["id"], {"agenda": agenda[1:], "documents": []})
    assert (changed["agenda"], changed["documents"]) == (agenda[1:], [])
    assert registration.get_forum(forum["id"])["agenda"] == agenda[1:]
    [event] = bus.drain()
    assert event["type"] == "forum_updated" and event["data"]["changes"] == ["agenda", "documents"]
    assert event["data"]["previous"]["documents"] == documents


def test_listing_upcoming_forums_is_paginated_and_hides_drafts(registration):
    ids = [registration.create_forum(forum_payload(title=f"Série {n}"))["id"] for n in range(3)]
    registration.create_forum(forum_payload(status="draft"))
    seen, cursor = [], None
    while True:
        page = registration.list_forums("upcoming", 2, cursor)
        seen += [forum["id"] for forum in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    assert all(f["status"] != "draft" for f in registration.list_forums("all", 100)["items"])
    assert any(f["status"] == "draft" for f in registration.list_forums("all", 100, None, True)["items"])
    assert remote(registration.list_forums, "upcoming", 2, "not-a-cursor") == "InvalidCursor"
    by_slug = registration.get_forum(registration.get_forum(ids[0])["slug"])
    assert by_slug["id"] == ids[0]


def test_an_expected_error_is_logged_in_one_line_without_its_traceback(registration, caplog):
    with caplog.at_level(logging.WARNING, logger="nameko.containers"):
        assert remote(registration.get_forum, str(uuid.uuid4())) == "ForumNotFound"
    [record] = [r for r in caplog.records if "ForumNotFound" in r.getMessage()]
    assert record.exc_info is None and "refused: ForumNotFound" in record.getMessage()
    assert "Traceback" not in caplog.text
