"""The notification service: every email people receive from the platform.

Handlers validate the event with this service's own schema of it, then (in one transaction) record it
in the inbox, apply it to the roster and write the messages to the delivery log; the mail sender
delivers them. A redelivered event finds its id in the inbox and changes nothing.
"""

from pathlib import Path

from kit import health
from kit.db import Database
from kit.events import InvalidEvent, read_envelope
from kit.handlers import event_handler
from kit.inbox import first_time
from services.notification import domain
from services.notification.incoming import SCHEMAS
from services.notification.links import LinkMinter
from services.notification.mailer import MailSender
from services.notification.rendering import Renderer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RENDERER = Renderer()


class NotificationService(health.HealthChecks):
    name = "notification"

    db = Database("notification", MIGRATIONS)
    wake_sender = MailSender()
    links = LinkMinter()

    @event_handler("registration", "registration_confirmed")
    def handle_registration_confirmed(self, body):
        self._handle(body, "registration_confirmed")

    @event_handler("registration", "registration_waitlisted")
    def handle_registration_waitlisted(self, body):
        self._handle(body, "registration_waitlisted")

    @event_handler("registration", "registration_promoted")
    def handle_registration_promoted(self, body):
        self._handle(body, "registration_promoted")

    @event_handler("registration", "registration_cancelled")
    def handle_registration_cancelled(self, body):
        self._handle(body, "registration_cancelled")

    @event_handler("registration", "forum_scheduled")
    def handle_forum_scheduled(self, body):
        self._handle(body, "forum_scheduled")

    @event_handler("registration", "forum_opened")
    def handle_forum_opened(self, body):
        self._handle(body, "forum_opened")

    @event_handler("registration", "forum_updated")
    def handle_forum_updated(self, body):
        self._handle(body, "forum_updated")

    @event_handler("registration", "forum_closed")
    def handle_forum_closed(self, body):
        self._handle(body, "forum_closed")

    @event_handler("registration", "forum_held")
    def handle_forum_held(self, body):
        self._handle(body, "forum_held")

    @event_handler("registration", "forum_cancelled")
    def handle_forum_cancelled(self, body):
        self._handle(body, "forum_cancelled")

    @event_handler("registration", "subscription_requested")
    def handle_subscription_requested(self, body):
        self._handle(body, "subscription_requested")

    @event_handler("registration", "subscription_confirmed")
    def handle_subscription_confirmed(self, body):
        self._handle(body, "subscription_confirmed")

    @event_handler("registration", "subscription_ended")
    def handle_subscription_ended(self, body):
        self._handle(body, "subscription_ended")

    @event_handler("registration", "management_link_requested")
    def handle_management_link_requested(self, body):
        self._handle(body, "management_link_requested")

    @event_handler("registration", "person_erased")
    def handle_person_erased(self, body):
        self._handle(body, "person_erased")

    def _handle(self, body, event_type):
        envelope, data = read_envelope(body, SCHEMAS[event_type])
        if envelope["type"] != event_type:
            raise InvalidEvent(event_type, {"type": [f"routed as {event_type}, says {envelope['type']}"]})
        with self.db.transaction() as cur:
            if first_time(cur, envelope) and domain.HANDLERS[event_type](
                cur, RENDERER, self.links, envelope, data
            ):
                self.wake_sender(cur)
