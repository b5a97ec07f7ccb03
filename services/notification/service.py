"""The notification service: every email people receive from the platform.

Handlers validate the event with this service's own schema of it, then (in one transaction) record it
in the inbox, apply it to the roster and write the messages to the delivery log; the mail sender
delivers them. A redelivered event finds its id in the inbox and changes nothing.
"""

from pathlib import Path

from nameko.timer import timer

from kit import audit, dead_letters, health
from kit.db import Database
from kit.events import InvalidEvent, read_envelope
from kit.handlers import event_handler
from kit.inbox import first_time
from kit.rpc import rpc
from services.notification import announcements, domain, reminders
from services.notification import log as delivery_log
from services.notification.announcements import AnnouncementWriter
from services.notification.errors import EXPECTED
from services.notification.incoming import SCHEMAS
from services.notification.links import LinkMinter
from services.notification.mailer import MailSender
from services.notification.rendering import Renderer
from services.notification.samples import preview

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RENDERER = Renderer()
answer = rpc(expected_exceptions=EXPECTED)  # 4xx (and 503 in an outage), not errors, in the logs


class NotificationService(health.HealthChecks, dead_letters.DeadLetterLog, audit.AuditTrail):
    name = "notification"

    db = Database("notification", MIGRATIONS)
    wake_sender = MailSender()
    announcement_writer = AnnouncementWriter()
    links = LinkMinter()
    reminder_lead_hours = reminders.ReminderLead()
    actor = audit.Actor()  # the organiser a call acts for, for the audit trail

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

    @timer(interval=30)
    def send_reminders(self):
        """Write the reminders now due to the delivery log, one forum per transaction."""
        while True:
            with self.db.transaction() as cur:
                logged = reminders.send_next(cur, RENDERER, self.links, self.reminder_lead_hours)
                if logged:
                    self.wake_sender(cur)
            if logged is None:
                return

    def _handle(self, body, event_type):
        envelope, data = read_envelope(body, SCHEMAS[event_type])
        if envelope["type"] != event_type:
            raise InvalidEvent(event_type, {"type": [f"routed as {event_type}, says {envelope['type']}"]})
        with self.db.transaction() as cur:
            if first_time(cur, envelope) and domain.HANDLERS[event_type](
                cur, RENDERER, self.links, envelope, data
            ):
                self.wake_sender(cur)

    # What organisers see and do (through the gateway): the log without the bodies, retries, previews.
    @answer
    def list_deliveries(self, forum_id=None, status=None, recipient=None, limit=20, cursor=None):
        with self.db.transaction() as cur:
            return delivery_log.listing(cur, forum_id, status, recipient, limit, cursor)

    @answer
    def delivery_summary(self, forum_id=None):
        with self.db.transaction() as cur:
            counts = delivery_log.summary(cur, forum_id)
            if forum_id:  # and its announcement to subscribers, as it is being written to the log
                counts["announcement"] = announcements.progress(cur, counts["forum_id"])
            return counts

    @answer
    def retry_delivery(self, delivery_id):
        with self.db.transaction() as cur:
            row = delivery_log.retry_one(cur, int(delivery_id))
            audit.record(cur, self.actor, "delivery_retried", row["id"], {"template": row["template"]})
            self.wake_sender(cur)
            return row

    @answer
    def retry_failed(self, forum_id):
        with self.db.transaction() as cur:
            retried = delivery_log.retry_forum(cur, forum_id)
            if retried:
                audit.record(cur, self.actor, "deliveries_retried", forum_id, {"retried": retried})
                self.wake_sender(cur)
            return {"forum_id": str(forum_id), "retried": retried}

    @answer
    def list_templates(self):
        return RENDERER.templates()

    @answer
    def preview_template(self, template, locale="fr"):
        return preview(RENDERER, template, locale, self.links.base_url)
