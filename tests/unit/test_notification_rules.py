"""The notification rules on plain values: no database, no broker, no SMTP server."""

import smtplib
import uuid
from datetime import UTC, datetime, timedelta

from services.notification import rules
from services.notification.rules import classify, unreachable

T0 = datetime(2027, 5, 3, 7, 30, tzinfo=UTC)
VENUE = {"name": "Bercy", "address": "1 rue", "city": "Paris", "accessibility": ""}


def update(changes, before=None, now=None):
    return {
        "changes": changes,
        "previous_forum": {"venue": VENUE | (before or {})},
        "forum": {"venue": VENUE | (now or {})},
    }


def test_a_registrant_only_moves_forward_waitlisted_confirmed_cancelled():
    ranks = [rules.registrant_rank(status) for status in ("waitlisted", "confirmed", "cancelled")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 3
    # (rank, time): a later confirmation does not undo a cancellation; within a rank the later one wins
    cancelled = (rules.registrant_rank("cancelled"), T0)
    confirmed_later = (rules.registrant_rank("confirmed"), T0 + timedelta(hours=1))
    assert confirmed_later < cancelled
    assert (rules.registrant_rank("confirmed"), T0) < confirmed_later


def test_a_forum_never_leaves_a_final_status():
    assert rules.forum_rank("held") == rules.forum_rank("cancelled") > rules.forum_rank("open")
    assert rules.forum_rank("closed") == rules.forum_rank("draft") == rules.forum_rank("open")
    assert rules.is_final("cancelled") and rules.is_final("held") and not rules.is_final("closed")


def test_the_status_a_forum_event_tells():
    assert rules.forum_status("forum_cancelled", {"status": "open"}) == "cancelled"
    assert rules.forum_status("forum_opened", {"status": None}) == "open"
    assert rules.forum_status("forum_updated", {"status": "closed"}) == "closed"
    assert rules.forum_status("registration_confirmed", {"status": None}) == "open"  # not told: open


def test_a_seat_comes_with_the_invitation():
    assert rules.with_a_seat("registration_confirmed") and rules.with_a_seat("registration_promoted")
    assert not rules.with_a_seat("registration_waitlisted") and not rules.with_a_seat(
        "registration_cancelled"
    )
    assert rules.REGISTRANT_STATUS["registration_promoted"] == "confirmed"


def test_only_an_opened_forum_still_open_is_announced():
    assert rules.announces("forum_opened", "open")
    assert not rules.announces("forum_opened", "cancelled")  # cancelled meanwhile: its copy says so
    assert not rules.announces("forum_updated", "open")


def test_registrants_hear_of_a_change_of_date_or_venue_unless_the_forum_is_over():
    moved = update(["starts_at", "venue.city"], before={"city": "Lyon"})
    assert rules.changes_to_tell("forum_updated", moved, "open") == ["date", "venue"]
    assert rules.changes_to_tell("forum_updated", moved, "cancelled") == []
    assert rules.changes_to_tell("forum_closed", moved, "closed") == []
    assert rules.changes_to_tell("forum_updated", update(["title"]), "open") == []
    access = update(["venue.accessibility"], now={"accessibility": "Plain-pied"})
    assert rules.changes_to_tell("forum_updated", access, "open") == ["accessibility"]


def test_a_reminder_has_one_event_id_per_forum_and_start():
    forum_id = uuid.uuid4()
    assert rules.reminder_event_id(forum_id, T0) == rules.reminder_event_id(forum_id, T0)
    assert rules.reminder_event_id(forum_id, T0) != rules.reminder_event_id(forum_id, T0 + timedelta(days=1))
    assert rules.reminder_event_id(forum_id, T0) != rules.reminder_event_id(uuid.uuid4(), T0)


def test_the_backoff_doubles_up_to_its_cap():
    assert [rules.backoff(n, 2.0, 300.0) for n in range(10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_temporary_and_permanent_smtp_failures():
    assert classify(ConnectionRefusedError())
    assert classify(smtplib.SMTPResponseException(451, b"try later"))
    assert not classify(smtplib.SMTPResponseException(550, b"no such user"))
    assert not classify(smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no")}))
    assert unreachable(ConnectionRefusedError()) and unreachable(smtplib.SMTPServerDisconnected())
    assert not unreachable(smtplib.SMTPResponseException(550, b"no such user"))


def test_a_refusal_of_the_relay_settings_waits_for_them_to_be_fixed_and_stops_the_batch():
    for refusal in (
        smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
        smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", "forums@example.org"),
        smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."),
    ):
        assert classify(refusal) and unreachable(refusal)


def test_a_refusal_of_one_message_is_not_the_server_out_of_reach():
    assert not unreachable(smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"mailbox busy")}))
    assert classify(smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"mailbox busy")}))
    assert unreachable(smtplib.SMTPConnectError(421, b"too many connections")) and unreachable(TimeoutError())


def test_counts_by_status_in_all_per_template_and_per_forum():
    forum = uuid.uuid4()
    rows = [
        {"forum_id": forum, "template": "registration_confirmed", "status": "sent", "count": 3},
        {"forum_id": forum, "template": "forum_updated", "status": "failed", "count": 1},
        {"forum_id": None, "template": "subscription_requested", "status": "pending", "count": 2},
    ]
    totals, by_template, by_forum = rules.tally(rows)
    assert totals == {"pending": 2, "sending": 0, "sent": 3, "failed": 1}
    assert by_template["forum_updated"] == {"pending": 0, "sending": 0, "sent": 0, "failed": 1}
    assert by_forum == {
        str(forum): {"pending": 0, "sending": 0, "sent": 3, "failed": 1},
        "none": {"pending": 2, "sending": 0, "sent": 0, "failed": 0},
    }
    assert rules.tally([]) == ({"pending": 0, "sending": 0, "sent": 0, "failed": 0}, {}, {})
