"""The registration service's own events, as it emits them, become the right emails.

Both services run in real containers; the test acts through the registration service's RPC methods
and reads what the SMTP server received. The notification container starts first, so that its queues
exist before the first event is published.
"""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.notification.qr import qr_png
from services.notification.service import NotificationService
from services.registration.service import RegistrationService

from .registration_support import forum_payload, person
from .test_notification_emails import files_of, link_token, mail_to, text_of

MOVED = datetime(2027, 6, 15, 7, 0, tzinfo=UTC)


@pytest.fixture
def services(container_factory, service_config):
    for service in (NotificationService, RegistrationService):
        container_factory(service, service_config).start()
    with ServiceRpcProxy("registration", service_config, timeout=30) as proxy:
        yield proxy


def test_a_forums_life_as_its_registrants_hear_of_it(services, smtp_sink):
    registration = services
    forum = registration.create_forum(forum_payload(capacity=1, title="Forum des communs"))
    seated, waiting = person(locale="en"), person(locale="fr")
    first = registration.register(forum["id"], seated)
    registration.register(forum["id"], waiting)
    [confirmation] = mail_to(smtp_sink, seated["email"])
    assert confirmation["Subject"] == "Registration confirmed: Forum des communs"
    assert first["attendee_code"] in text_of(confirmation)
    assert files_of(confirmation)["attendee-code.png"].get_content() == qr_png(first["attendee_code"])
    # The link this service minted is one the registration service accepts.
    mine = registration.me(link_token(text_of(confirmation), "me/session"))
    assert mine["person"]["email"] == seated["email"]
    [waitlisted] = mail_to(smtp_sink, waiting["email"])
    assert waitlisted["Subject"] == "Liste d'attente : Forum des communs" and "position 1" in text_of(
        waitlisted
    )

    moved_to = {"starts_at": MOVED.isoformat(), "ends_at": (MOVED + timedelta(hours=8)).isoformat()}
    registration.update_forum(forum["id"], moved_to)
    [_, moved] = mail_to(smtp_sink, seated["email"], 2)
    assert moved["Subject"] == "Forum changed: Forum des communs"
    assert "→ Tuesday 15 June 2027, from 09:00 to 17:00 (Europe/Paris)" in text_of(moved)
    [_, moved_too] = mail_to(smtp_sink, waiting["email"], 2)
    assert "→ mardi 15 juin 2027, de 09:00 à 17:00 (Europe/Paris)" in text_of(moved_too)

    registration.cancel_registration(first["id"])  # by an organiser: the waiting person gets the seat
    [*_, cancelled] = mail_to(smtp_sink, seated["email"], 3)
    assert cancelled["Subject"] == "Registration cancelled: Forum des communs"
    assert "The organisers cancelled your registration" in text_of(cancelled)
    [*_, promoted] = mail_to(smtp_sink, waiting["email"], 3)
    assert promoted["Subject"] == "Une place pour vous : Forum des communs"
    assert "Pourquoi vous : une place s’est libérée par une annulation" in text_of(promoted)
    [vevent] = icalendar.Calendar.from_ical(files_of(promoted)["invitation.ics"].get_content()).walk("VEVENT")
    assert vevent.decoded("DTSTART") == MOVED  # the promotion speaks of the forum as it is now

    registration.cancel_forum(forum["id"], "La salle est indisponible")
    [*_, called_off] = mail_to(smtp_sink, waiting["email"], 4)
    assert called_off["Subject"] == "Forum annulé : Forum des communs"
    assert "Raison donnée par les organisateurs : La salle est indisponible" in text_of(called_off)
    assert len(mail_to(smtp_sink, seated["email"])) == 3  # already cancelled: not told again
