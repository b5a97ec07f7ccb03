"""Reminders before each forum: stored in the database, sent once to the confirmed registrants, moved
with the forum's date, dropped with the forum. The timer is triggered directly instead of waited for."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import entrypoint_hook

from harness.testing import wait_until
from services.notification.service import NotificationService
from services.registration.events import catalog

from .test_notification_emails import forum_block, handled, query, registration, someone, text_of

LEAD_HOURS = 2
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def start_notification(container_factory, service_config):
    def start(lead_hours=LEAD_HOURS):
        container = container_factory(
            NotificationService, service_config | {"REMINDER_LEAD_HOURS": lead_hours}
        )
        container.start()
        return container

    return start


def forum_in(delta, **changes):
    starts = datetime.now(UTC).replace(microsecond=0) + delta
    return forum_block(starts_at=starts, ends_at=starts + timedelta(hours=8), **changes)


def send_reminders(container):
    with entrypoint_hook(container, "send_reminders") as hook:
        hook()


def reminded(config, forum):
    rows = query(
        config,
        "SELECT recipient FROM deliveries WHERE template = 'forum_reminder' AND forum_id = %s",
        forum["id"],
    )
    return sorted(row["recipient"] for row in rows)


def reminder_mail(sink, address):
    """The one reminder received at this address (confirmations and updates are left aside)."""

    def found():
        mails = [m for m in sink.messages() if m["To"].addresses[0].addr_spec.lower() == address.lower()]
        return [m for m in mails if m["Subject"].startswith(("Rappel", "Reminder"))]

    [message] = wait_until(found, message=f"a reminder to {address}")
    return message


def reminder_row(config, forum):
    return query(config, "SELECT starts_at, sent_at FROM reminders WHERE forum_id = %s", forum["id"])


def opened_with_one_confirmed(publish, config, starts_in, locale):
    """A forum opened ``starts_in`` from now with one confirmed registrant, both handled by the service."""
    forum, person = forum_in(starts_in), someone(locale)
    events = [
        catalog.envelope("forum_opened", {"forum": forum}),
        registration("registration_confirmed", forum, person),
    ]
    publish(*events)
    handled(config, *events)
    return forum, person


def moved(forum, starts):
    return catalog.envelope(
        "forum_updated",
        {
            "forum": forum | {"starts_at": starts, "ends_at": starts + timedelta(hours=8)},
            "changes": ["ends_at", "starts_at"],
            "previous": {
                "starts_at": forum["starts_at"].isoformat(),
                "ends_at": forum["ends_at"].isoformat(),
            },
        },
    )


def test_only_the_confirmed_registrants_get_one_reminder_each(
    start_notification, publish, smtp_sink, service_config
):
    notification = start_notification()
    forum = forum_in(timedelta(hours=1), title="Forum imminent")
    french, english, waiting, leaving, erased = (someone(locale) for locale in ("fr", "en", "fr", "fr", "en"))
    left = registration("registration_confirmed", forum, leaving)
    events = [
        catalog.envelope("forum_scheduled", {"forum": forum}),
        registration("registration_confirmed", forum, french, attendee_code="K7P2QX"),
        registration("registration_confirmed", forum, english, attendee_code="M3Z8RT"),
        registration("registration_waitlisted", forum, waiting, waitlist_position=1),
        left,
        registration(
            "registration_cancelled",
            forum,
            leaving,
            left["data"]["registration_id"],
            cancelled_by="person",
            previous_status="confirmed",
        ),
        registration("registration_confirmed", forum, erased),
    ]
    publish(*events)
    handled(service_config, *events)
    gone = catalog.envelope(
        "person_erased", {"person_id": erased["person_id"], "email": erased["email"], "erased_by": "person"}
    )
    publish(gone)
    handled(service_config, gone)

    send_reminders(notification)
    french_mail = reminder_mail(smtp_sink, french["email"])
    assert french_mail["Subject"].startswith("Rappel : Forum imminent, ")
    assert "Forum imminent" in text_of(french_mail) and "139 rue de Bercy" in text_of(french_mail)
    english_mail = reminder_mail(smtp_sink, english["email"])
    assert english_mail["Subject"].startswith("Reminder: Forum imminent, ")
    assert "/en/me/session?token=" in text_of(english_mail)
    assert reminded(service_config, forum) == sorted([french["email"], english["email"]])
    assert reminder_row(service_config, forum)[0]["sent_at"] is not None

    send_reminders(notification)  # again, and once more from a second container: nothing new
    send_reminders(start_notification())
    assert reminded(service_config, forum) == sorted([french["email"], english["email"]])
    assert len(query(service_config, "SELECT 1 FROM reminders WHERE forum_id = %s", forum["id"])) == 1


def test_a_rescheduled_forum_moves_its_reminder(start_notification, publish, smtp_sink, service_config):
    notification = start_notification()
    forum, person = opened_with_one_confirmed(publish, service_config, timedelta(hours=1), "en")
    later = forum["starts_at"] + timedelta(days=30)
    postponed = moved(forum, later)
    publish(postponed)
    handled(service_config, postponed)
    assert reminder_row(service_config, forum)[0]["starts_at"] == later

    send_reminders(notification)
    assert reminded(service_config, forum) == []  # not due any more

    soon = forum["starts_at"] + timedelta(minutes=30)
    brought_forward = moved(forum | {"starts_at": later, "ends_at": later + timedelta(hours=8)}, soon)
    publish(brought_forward)
    handled(service_config, brought_forward)
    send_reminders(notification)
    assert reminded(service_config, forum) == [person["email"]]
    message = reminder_mail(smtp_sink, person["email"])
    assert f"from {soon.astimezone(PARIS):%H:%M}." in text_of(message)  # the new time


def test_a_cancelled_forum_drops_its_reminder(start_notification, publish, service_config):
    notification = start_notification()
    forum, person = opened_with_one_confirmed(publish, service_config, timedelta(hours=1), "fr")
    assert reminder_row(service_config, forum)
    cancelled = catalog.envelope(
        "forum_cancelled", {"forum": forum | {"status": "cancelled"}, "reason": "Grève"}
    )
    publish(cancelled)
    handled(service_config, cancelled)
    assert reminder_row(service_config, forum) == []
    late = catalog.envelope(
        "forum_updated", {"forum": forum, "changes": ["title"], "previous": {"title": "x"}}
    )
    publish(late)  # an older copy arriving late does not bring the reminder back
    handled(service_config, late)

    send_reminders(notification)
    assert reminder_row(service_config, forum) == []
    assert reminded(service_config, forum) == []


def test_a_reminder_survives_a_restart(start_notification, publish, smtp_sink, service_config):
    first = start_notification(lead_hours=2)
    forum, person = opened_with_one_confirmed(publish, service_config, timedelta(hours=3), "fr")
    send_reminders(first)
    assert reminded(service_config, forum) == []  # due in an hour
    first.stop()

    second = start_notification(lead_hours=4)  # a new process, and a longer lead: now due
    send_reminders(second)
    assert reminded(service_config, forum) == [person["email"]]
    assert reminder_mail(smtp_sink, person["email"])["Subject"].startswith("Rappel : ")
