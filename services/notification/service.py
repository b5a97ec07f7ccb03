"""The notification service: every email people receive from the platform.

Handlers validate the event, then (in one transaction) record it in the inbox and write the messages
to the delivery log; the mail sender delivers them. A redelivered event finds its id in the inbox and
changes nothing.
"""

from pathlib import Path

from kit import health
from kit.db import Database
from kit.events import read_envelope
from kit.handlers import event_handler
from kit.inbox import first_time
from services.notification import domain
from services.notification.incoming import REGISTRATION_NOTICE
from services.notification.mailer import MailSender
from services.notification.rendering import Renderer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RENDERER = Renderer()


class NotificationService(health.HealthChecks):
    name = "notification"

    db = Database("notification", MIGRATIONS)
    wake_sender = MailSender()

    @event_handler("registration", "registration_confirmed")
    def handle_registration_confirmed(self, body):
        self._tell_registrant(body, "registration_confirmed")

    @event_handler("registration", "registration_waitlisted")
    def handle_registration_waitlisted(self, body):
        self._tell_registrant(body, "registration_waitlisted")

    def _tell_registrant(self, body, template):
        envelope, data = read_envelope(body, REGISTRATION_NOTICE)
        with self.db.transaction() as cur:
            if first_time(cur, envelope) and domain.queue_registration_message(
                cur, RENDERER, envelope, data, template
            ):
                self.wake_sender(cur)
