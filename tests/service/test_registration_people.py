"""People without accounts: magic links, subscriptions, check-in, organiser views, export and erasure."""

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
from nameko.testing.services import entrypoint_hook

from kit import tokens

from .registration_support import forum_payload, person
from .test_registration_service import remote


def manage_token(config, event):
    """The link the notification service would mint from a registration event (tests stand in for it)."""
    person = event["data"]["person"]
    return tokens.mint(config["SECRET_KEY"], "manage", person["person_id"], person["token_version"])


def test_a_person_sees_and_cancels_only_their_own_registration_with_their_link(
    registration, bus, service_config
):
    forum = registration.create_forum(forum_payload())
    mine, theirs = registration.register(forum["id"], person()), registration.register(forum["id"], person())
    events = {e["data"]["registration_id"]: e for e in bus.take(4)[2:]}
    token = manage_token(service_config, events[mine["id"]])
    assert registration.get_registration(mine["id"], token)["email"] == mine["email"]
    assert remote(registration.get_registration, theirs["id"], token) == "NotYourRegistration"
    assert remote(registration.cancel_registration, theirs["id"], token) == "NotYourRegistration"
    assert remote(registration.get_registration, mine["id"], token[:-3] + "abc") == "InvalidToken"
    assert registration.cancel_registration(mine["id"], token)["cancelled_by"] == "person"
    registration.revoke_links(token)
    assert remote(registration.get_registration, mine["id"], token) == "InvalidToken"


def test_consents_export_and_a_public_list_of_those_who_agreed(registration, bus, service_config):
    forum = registration.create_forum(forum_payload(capacity=5))
    shy = registration.register(forum["id"], person(organisation="Ministère"))
    proud = registration.register(forum["id"], person(organisation="Asso", consent_public_list=True))
    token = manage_token(service_config, bus.take(4)[2])
    assert [p["organisation"] for p in registration.participants(forum["id"])] == ["Asso"]
    changed = registration.update_consents(
        token, shy["id"], {"consent_public_list": True, "consent_updates": True}
    )
    assert changed["consents"] == {"attend": True, "updates": True, "public_list": True}
    assert len(registration.participants(forum["id"])) == 2
    assert "subscription_requested" in [e["type"] for e in bus.drain()]
    export = registration.me(token)
    assert export["person"]["email"] == shy["email"]
    assert [r["id"] for r in export["registrations"]] == [shy["id"]]
    assert export["registrations"][0]["forum"]["title"] == "Forum de test"
    assert [s["status"] for s in export["subscriptions"]] == ["pending"]
    assert proud["id"] not in str(export)


def test_the_export_of_someone_waiting_lists_their_subscription_too(registration, bus, service_config):
    forum = registration.create_forum(forum_payload(capacity=1))
    registration.register(forum["id"], person())
    waiting = registration.register(forum["id"], person(consent_updates=True))
    token = manage_token(service_config, bus.take(5)[3])
    export = registration.me(token)
    assert [(r["id"], r["waitlist_position"]) for r in export["registrations"]] == [(waiting["id"], 1)]
    assert [s["status"] for s in export["subscriptions"]] == ["pending"]


def test_subscribing_is_pending_until_the_link_is_followed(registration, bus, service_config):
    pending = registration.subscribe({"email": "curious@example.org", "locale": "en", "first_name": "Cu"})
    assert pending["status"] == "pending"
    assert registration.subscribe({"email": "Curious@example.org", "locale": "en"})["status"] == "pending"
    requested = bus.take(2)
    assert [e["type"] for e in requested] == ["subscription_requested"] * 2  # asking again resends the link
    assert requested[0]["data"]["subscription_id"] == pending["subscription_id"]
    assert "token" not in json.dumps(requested).replace("token_version", "")  # ids travel, never links
    secret = service_config["SECRET_KEY"]
    confirm = tokens.mint(secret, "confirm_subscription", pending["subscription_id"])
    assert remote(
        registration.confirm_subscription, tokens.mint(secret, "unsubscribe", pending["subscription_id"])
    ) == ("InvalidToken")  # a link for something else
    assert registration.confirm_subscription(confirm)["status"] == "confirmed"
    assert registration.confirm_subscription(confirm)["status"] == "confirmed"  # followed twice
    assert registration.subscribe({"email": "curious@example.org", "locale": "en"})["status"] == "confirmed"
    leave = tokens.mint(secret, "unsubscribe", pending["subscription_id"])
    assert registration.unsubscribe(leave)["status"] == "ended"
    assert registration.unsubscribe(leave)["status"] == "ended"
    assert [e["type"] for e in bus.drain()] == ["subscription_confirmed", "subscription_ended"]


def subscription_links(config, event, version=None):
    """The confirmation and unsubscribe links the notification service would mint for this subscription,
    with the token version the event carries (or ``version``)."""
    person = event["data"]["person"]
    version = person["token_version"] if version is None else version
    subscription_id = event["data"]["subscription_id"]
    return [
        tokens.mint(config["SECRET_KEY"], purpose, subscription_id, version)
        for purpose in ("confirm_subscription", "unsubscribe")
    ]


def test_revoking_ones_links_ends_the_subscription_links_too(registration, bus, service_config):
    registration.subscribe({"email": "careful@example.org", "locale": "en", "first_name": "Ca"})
    [requested] = bus.take(1)
    old_confirm, old_leave = subscription_links(service_config, requested)
    person = requested["data"]["person"]
    manage = tokens.mint(service_config["SECRET_KEY"], "manage", person["person_id"], person["token_version"])
    registration.revoke_links(manage)
    [fresh] = [e for e in bus.drain() if e["type"] == "management_link_requested"]
    assert fresh["data"]["person"]["token_version"] == person["token_version"] + 1
    assert remote(registration.confirm_subscription, old_confirm) == "InvalidToken"
    assert remote(registration.unsubscribe, old_leave) == "InvalidToken"

    # Links minted with the version the person's newest event carries work (what the emails will hold).
    confirm, leave = subscription_links(service_config, requested, fresh["data"]["person"]["token_version"])
    assert registration.confirm_subscription(confirm)["status"] == "confirmed"
    assert remote(registration.unsubscribe, old_leave) == "InvalidToken"
    assert registration.unsubscribe(leave)["status"] == "ended"


def test_check_in_by_code_once_and_attendance_by_group(registration, bus):
    forum = registration.create_forum(forum_payload(capacity=3))
    public_servant = registration.register(forum["id"], person(stakeholder_group="administration"))
    registration.register(forum["id"], person(stakeholder_group="civil_society"))
    first = registration.check_in(forum["id"], public_servant["attendee_code"].lower())
    assert first["already_checked_in"] is False and first["registration"]["checked_in_at"]
    assert registration.check_in(forum["id"], public_servant["attendee_code"])["already_checked_in"] is True
    assert remote(registration.check_in, forum["id"], "NOPE1234") == "UnknownAttendeeCode"
    attendance = registration.attendance(forum["id"])
    assert attendance["by_group"]["administration"] == {"confirmed": 1, "checked_in": 1}
    assert attendance["by_group"]["civil_society"] == {"confirmed": 1, "checked_in": 0}
    assert attendance["totals"] == {"confirmed": 2, "checked_in": 1}
    assert [e["type"] for e in bus.drain()].count("attendee_checked_in") == 1


def test_organiser_views_filter_count_and_export_safely(registration):
    forum = registration.create_forum(forum_payload(capacity=1, quotas={"company": 0}))
    registration.register(forum["id"], person(first_name='=HYPERLINK("x")', stakeholder_group="company"))
    for _ in range(3):
        registration.register(forum["id"], person())
    waiting = registration.list_registrations(forum["id"], "waitlisted", None, 2, None)
    assert [r["waitlist_position"] for r in waiting["items"]] == [1, 2] and waiting["next_cursor"]
    rest = registration.list_registrations(forum["id"], "waitlisted", None, 2, waiting["next_cursor"])
    assert [r["waitlist_position"] for r in rest["items"]] == [3] and rest["next_cursor"] is None
    assert len(registration.list_registrations(forum["id"], None, "company", 50, None)["items"]) == 1
    summary = registration.registration_summary(forum["id"])
    assert summary["by_group"]["citizen"]["waitlisted"] == 3 and summary["totals"]["confirmed"] == 1
    rows = list(csv.DictReader(io.StringIO(registration.registrations_csv(forum["id"]))))
    assert len(rows) == 4 and rows[0]["first_name"].startswith("'=")  # not a formula in a spreadsheet
    assert remote(registration.registrations_csv, "00000000-0000-0000-0000-000000000000") == "ForumNotFound"


def test_erasure_anonymises_frees_the_seat_and_keeps_the_counts(registration, bus, service_config):
    forum = registration.create_forum(forum_payload(capacity=1))
    leaving = registration.register(forum["id"], person(organisation="Secret Org"))
    waiting = registration.register(forum["id"], person())
    token = manage_token(service_config, bus.take(3)[2])
    assert registration.erase_me(token) == {"erased": True}
    assert remote(registration.me, token) == "InvalidToken"
    assert registration.get_registration(waiting["id"])["status"] == "confirmed"
    erased = registration.get_registration(leaving["id"])
    assert erased["status"] == "cancelled" and erased["email"].endswith("@erased.invalid")
    assert (erased["first_name"], erased["organisation"]) == ("", "")
    assert registration.registration_summary(forum["id"])["totals"]["cancelled"] == 1
    kinds = [e["type"] for e in bus.drain()]
    assert "person_erased" in kinds and "registration_cancelled" not in kinds
    with psycopg.connect(service_config["DATABASE_URL"]) as conn:
        left = conn.execute(
            "SELECT count(*) FROM registration.outbox WHERE published_at IS NOT NULL AND envelope::text LIKE %s"
            " AND event_type <> 'person_erased'",
            (f"%{leaving['email']}%",),
        ).fetchone()[0]
    assert left == 0  # no published event about them is kept (the erasure notice goes with the retention)
    assert registration.erase_person("nobody@example.org") == {"erased": False}


def test_reserved_seats_are_released_at_their_date(registration, registration_container):
    release_at = datetime.now(UTC) + timedelta(seconds=2)
    forum = registration.create_forum(
        forum_payload(capacity=2, quotas={"research_media": 1}, quota_release_at=release_at.isoformat())
    )
    registration.register(forum["id"], person())
    waiting = registration.register(forum["id"], person())
    assert waiting["status"] == "waitlisted"
    time.sleep(max(0.0, (release_at - datetime.now(UTC)).total_seconds()) + 0.2)
    with entrypoint_hook(registration_container, "release_reserved_seats") as release:
        release()  # what the timer does every 30 s
    promoted = registration.get_registration(waiting["id"])
    assert promoted["status"] == "confirmed" and "released" in promoted["promotion_reason"]
