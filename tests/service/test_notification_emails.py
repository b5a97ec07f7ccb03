"""Every email the registration events call for, from a real container to a real SMTP server."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import icalendar
import psycopg
from psycopg.rows import dict_row

from harness.testing import wait_until
from kit import tokens
from services.notification.qr import qr_png
from services.registration.events import catalog

STARTS = datetime(2027, 5, 4, 7, 30, tzinfo=UTC)
STATUS = {"registration_waitlisted": "waitlisted", "registration_cancelled": "cancelled"}


def forum_block(**changes):
    return {
        "id": uuid.uuid4(),
        "slug": "forum-mai",
        "title": "Forum de mai",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=8),
        "timezone": "Europe/Paris",
        "venue": {
            "name": "Bercy",
            "address": "139 rue de Bercy",
            "city": "Paris",
            "accessibility": "Plain-pied",
        },
        "capacity": 10,
        "status": "open",
    } | changes


def someone(locale="fr", email=None):
    tag = uuid.uuid4().hex[:8]
    return {
        "person_id": uuid.uuid4(),
        "token_version": 2,
        "email": email or f"{tag}@example.org",
        "first_name": "Lou",
        "last_name": f"Durand {tag[:4]}",
        "locale": locale,
    }


def registration(event_type, forum, person, registration_id=None, **extra):
    data = {"registration_id": registration_id or uuid.uuid4(), "forum": forum, "person": person}
    data |= {
        "organisation": "",
        "stakeholder_group": "citizen",
        "status": STATUS.get(event_type, "confirmed"),
    }
    return catalog.envelope(event_type, data | extra)


def query(config, sql, *params):
    """Rows (as dicts) from the notification service's schema."""
    with psycopg.connect(
        config["DATABASE_URL"], options="-c search_path=notification", row_factory=dict_row
    ) as conn:
        return conn.execute(sql, params).fetchall()


def handled(config, *envelopes):
    """Wait until the service has handled these events (their ids are in its inbox)."""
    ids = [e["id"] for e in envelopes]
    wait_until(
        lambda: (
            query(config, "SELECT count(*) FROM inbox WHERE event_id = ANY(%s)", ids)[0]["count"] == len(ids)
        ),
        message="the events to be handled",
    )


def mail_to(sink, address, count=1):
    def found():
        return [m for m in sink.messages() if m["To"].addresses[0].addr_spec.lower() == address.lower()]

    wait_until(lambda: len(found()) >= count, message=f"{count} emails to {address}")
    return found()


def text_of(message):
    return message.get_body(("plain",)).get_content()


def files_of(message):
    return {part.get_filename(): part for part in message.iter_attachments()}


def link_token(text, page):
    return re.search(rf"https?://\S+/{page}[#?]token=([^\s&]+)", text).group(1)


def test_a_confirmation_carries_the_code_its_qr_the_invitation_and_the_management_link(
    notification, publish, smtp_sink, service_config
):
    forum, person = forum_block(), someone("en")
    event = registration("registration_confirmed", forum, person, attendee_code="K7P2QX")
    publish(event)
    [message] = mail_to(smtp_sink, person["email"])
    assert message["Subject"] == "Registration confirmed: Forum de mai"
    text = text_of(message)
    assert "Your attendee code : K7P2QX" in text and "Accessibility : Plain-pied" in text
    assert "Tuesday 4 May 2027, from 09:30 to 17:30 (Europe/Paris)" in text
    subject, version = tokens.read(service_config["SECRET_KEY"], link_token(text, "me/session"), "manage")
    assert (subject, version) == (str(person["person_id"]), 2)
    files = files_of(message)
    assert files["attendee-code.png"].get_content_type() == "image/png"
    assert files["attendee-code.png"].get_content() == qr_png("K7P2QX")
    ics = files["invitation.ics"]
    assert ics.get_content_type() == "text/calendar"
    [vevent] = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert vevent.decoded("DTSTART") == STARTS and vevent.decoded("DTEND") == STARTS + timedelta(hours=8)
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(vevent["SUMMARY"]) == "Forum de mai"
    assert str(vevent["LOCATION"]) == "Bercy, 139 rue de Bercy, Paris"
    assert str(event["data"]["registration_id"]) in str(vevent["UID"])


def test_a_subscription_request_sends_the_confirmation_link(notification, publish, smtp_sink, service_config):
    person, subscription_id = someone("en"), uuid.uuid4()
    publish(
        catalog.envelope("subscription_requested", {"subscription_id": subscription_id, "person": person})
    )
    [message] = mail_to(smtp_sink, person["email"])
    assert message["Subject"] == "Confirm your subscription to the Open d'Etat forums"
    token = link_token(text_of(message), "subscriptions/confirm")
    assert tokens.read(service_config["SECRET_KEY"], token, "confirm_subscription")[0] == str(subscription_id)
    page = f"{service_config['PUBLIC_BASE_URL'].rstrip('/')}/en/subscriptions/confirm#token={token}"
    assert page in text_of(message)  # the confirmation page in the person's language


def test_a_management_link_request_sends_the_link_and_names_the_forum(
    notification, publish, smtp_sink, service_config
):
    person, forum = someone("fr"), forum_block()
    publish(catalog.envelope("management_link_requested", {"person": person, "forum": forum}))
    [message] = mail_to(smtp_sink, person["email"])
    assert message["Subject"] == "Vous êtes déjà inscrit·e : Forum de mai"
    text = text_of(message)
    assert "Cette adresse est déjà inscrite au forum « Forum de mai »" in text
    assert tokens.read(service_config["SECRET_KEY"], link_token(text, "me/session"), "manage") == (
        str(person["person_id"]),
        2,
    )
