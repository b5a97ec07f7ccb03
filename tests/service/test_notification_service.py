"""The notification service in a real container: registration events in, real emails out, once."""

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from harness.testing import wait_until
from services.notification.service import NotificationService
from services.registration.events import catalog

CONFIRMED_QUEUE = "evt-registration-registration_confirmed--notification.handle_registration_confirmed"


def registration_event(email=None, locale="fr", event_type="registration_confirmed", **extra):
    starts = datetime(2027, 5, 4, 7, 30, tzinfo=UTC)
    data = {
        "registration_id": uuid.uuid4(),
        "forum": {
            "id": uuid.uuid4(),
            "slug": "forum-mai",
            "title": "Forum de mai",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=8),
            "timezone": "Europe/Paris",
            "venue": {"name": "Bercy", "address": "139 rue de Bercy", "city": "Paris", "accessibility": ""},
            "capacity": 10,
            "status": "open",
        },
        "person": {
            "email": email or f"{uuid.uuid4().hex[:8]}@example.org",
            "first_name": "Lou",
            "last_name": "Durand",
            "locale": locale,
        },
        "organisation": "",
        "stakeholder_group": "civil_society",
        "status": "confirmed" if event_type == "registration_confirmed" else "waitlisted",
    } | extra
    return catalog.envelope(event_type, data)


def deliveries(service_config, events):
    """The delivery log rows of these events (the database is shared by the session's tests)."""
    with psycopg.connect(service_config["DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT recipient, template, status, attempts, last_error FROM notification.deliveries"
            " WHERE event_id = ANY(%s)",
            ([e["id"] for e in events],),
        ).fetchall()


def test_a_confirmed_registration_becomes_one_email_in_the_persons_language(notification, publish, smtp_sink):
    event = registration_event(locale="en")
    publish(event)
    [message] = smtp_sink.wait_for(1)
    assert message["To"].addresses[0].addr_spec == event["data"]["person"]["email"]
    assert message["Subject"] == "Registration confirmed: Forum de mai"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Tuesday 4 May 2027" in text and "09:30" in text and "139 rue de Bercy" in text
    assert "Lou Durand" in html
    # An event without a person id or attendee code: the invitation still, but no link and no QR code.
    assert [part.get_filename() for part in message.iter_attachments()] == ["invitation.ics"]
    assert "#token=" not in text


def test_a_redelivered_event_sends_nothing_more(container_factory, publish, smtp_sink, service_config):
    # One worker: the queue is handled in order, so once the last event's email is out, the repeats
    # ahead of it have all been handled.
    container_factory(NotificationService, service_config | {"max_workers": 1}).start()
    event, later = registration_event(), registration_event()
    for envelope in (event, event, event, later):
        publish(envelope)
    last = later["data"]["person"]["email"]
    wait_until(
        lambda: any(m["To"].addresses[0].addr_spec == last for m in smtp_sink.messages()),
        message="the last email",
    )
    assert len(smtp_sink.messages()) == 2
    assert sorted(row[2] for row in deliveries(service_config, [event, later])) == ["sent", "sent"]


def test_a_malformed_event_is_dead_lettered_and_the_service_keeps_going(
    notification, publish, smtp_sink, service_config
):
    broken = registration_event()
    del broken["data"]["person"]["email"]
    publish(broken)
    publish(registration_event(email="after@example.org"))
    [message] = smtp_sink.wait_for(1)
    assert message["To"].addresses[0].addr_spec == "after@example.org"

    def dead_letters():
        with psycopg.connect(service_config["DATABASE_URL"]) as conn:
            return conn.execute(
                "SELECT reason, queue FROM notification.dead_letters WHERE event_id = %s",
                (str(broken["id"]),),
            ).fetchall()

    assert wait_until(dead_letters, message="the dead letter recorded") == [("invalid", CONFIRMED_QUEUE)]


def test_mail_waits_while_the_smtp_server_is_down_then_goes_out_once(
    notification, publish, smtp_sink, service_config
):
    smtp_sink.stop()
    events = [registration_event() for _ in range(3)]
    for event in events:
        publish(event)
    wait_until(
        lambda: (
            len(deliveries(service_config, events)) == 3
            and any(r[4] and "Refused" in r[4] for r in deliveries(service_config, events))
        ),
        message="failed attempts to be recorded",
    )
    assert all(row[2] in ("pending", "sending") for row in deliveries(service_config, events))
    smtp_sink.start()
    messages = smtp_sink.wait_for(3)
    wait_until(
        lambda: all(r[2] == "sent" for r in deliveries(service_config, events)), message="all marked sent"
    )
    recipients = sorted(m["To"].addresses[0].addr_spec for m in messages)
    assert recipients == sorted(e["data"]["person"]["email"] for e in events)
