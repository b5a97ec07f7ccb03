"""The notification service: every email people receive from the platform.

Handlers validate the event with this service's own schema of it, then (in one transaction) record it
in the inbox, apply it to the roster and write the messages to the delivery log; the mail sender
delivers them. A redelivered event finds its id in the inbox and changes nothing.
"""

from datetime import UTC, datetime
from pathlib import Path

from nameko.timer import timer

from kit import audit, dead_letters, health
from kit.db import Database
from kit.events import InvalidEvent, read_envelope
from kit.handlers import event_handler
from kit.idempotency import Idempotency
from kit.inbox import first_time
from kit.ratelimit import AddressLimits
from kit.rpc import rpc
from kit.tx import Transactions, Tx
from services.notification import console_links, domain, moderation, reminders
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


class NotificationService(health.HealthChecks, dead_letters.DeadLetterLog, audit.AuditTrail, Transactions):
    name = "notification"

    db = Database("notification", MIGRATIONS)
    wake_sender = MailSender()
    announcement_writer = AnnouncementWriter()
    links = LinkMinter()
    reminder_lead_hours = reminders.ReminderLead()
    moderation_digest = moderation.DigestSettings()  # checks ORGANISER_EMAILS at start
    actor = audit.Actor()  # the organiser a call acts for, for the audit trail
    once = Idempotency(EXPECTED)  # an organiser's retry, redelivered or sent again, acts once
    mail_limits = AddressLimits()  # RATE_LIMIT_ADDRESS_EMAILS, for what anyone may ask us to send

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

    @event_handler("topics", "topic_published")
    def handle_topic_published(self, body):
        self._handle(body, "topic_published")

    @event_handler("topics", "topic_rejected")
    def handle_topic_rejected(self, body):
        self._handle(body, "topic_rejected")

    @event_handler("topics", "topic_edited")
    def handle_topic_edited(self, body):
        self._handle(body, "topic_edited")

    @event_handler("topics", "topic_merged")
    def handle_topic_merged(self, body):
        self._handle(body, "topic_merged")

    @event_handler("topics", "round_opened")
    def handle_round_opened(self, body):
        self._handle(body, "round_opened")

    @event_handler("topics", "round_closing_soon")
    def handle_round_closing_soon(self, body):
        self._handle(body, "round_closing_soon")

    @event_handler("topics", "round_closed")
    def handle_round_closed(self, body):
        self._handle(body, "round_closed")

    @event_handler("restitution", "restitution_published")
    def handle_restitution_published(self, body):
        self._handle(body, "restitution_published")

    @event_handler("restitution", "comment_submitted")
    def handle_comment_submitted(self, body):
        self._handle(body, "comment_submitted")

    @event_handler("restitution", "comment_published")
    def handle_comment_published(self, body):
        self._handle(body, "comment_published")

    @event_handler("restitution", "comment_hidden")
    def handle_comment_hidden(self, body):
        self._handle(body, "comment_hidden")

    @timer(interval=30)
    def send_moderation_digest(self):
        """The organisers' digest of the comments waiting for moderation, when one is owed."""
        with self.db.transaction() as cur:
            if moderation.send(cur, RENDERER, self.links, self.moderation_digest):
                self.wake_sender(cur)

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
    def _tx(self, cur):
        return Tx(cur, None, datetime.now(UTC), self.actor)  # this service emits no event

    def _waking(self, action):
        """``action``, then the mail sender woken when the transaction commits (the retried rows are due)."""

        def run(tx, *args):
            answer = action(tx, *args)
            self.wake_sender(tx.cur)
            return answer

        return run

    @answer
    def list_deliveries(self, forum_id=None, status=None, recipient=None, limit=20, cursor=None):
        return self._read(delivery_log.listing, forum_id, status, recipient, limit, cursor)

    @answer
    def delivery_summary(self, forum_id=None):
        return self._read(delivery_log.summary, forum_id)

    @answer
    def retry_delivery(self, delivery_id):
        return self._run(self._waking(delivery_log.retry_one), delivery_id)

    @answer
    def retry_failed(self, forum_id):
        return self._run(self._waking(delivery_log.retry_forum), forum_id)

    @answer
    def list_templates(self):
        return RENDERER.templates()

    @answer
    def preview_template(self, template, locale="fr"):
        return preview(RENDERER, template, locale, self.links.base_url)

    # The organisers' emailed sign-in link to the console (``console_links``): the list decides, not the caller.
    @answer
    def send_console_link(self, email, locale="fr"):
        def send(tx, email, locale):
            addresses = self.moderation_digest.addresses  # ORGANISER_EMAILS, checked at start
            return console_links.send(
                tx, RENDERER, self.links.base_url, addresses, self.mail_limits, email, locale
            )

        return self._run(self._waking(send), email, locale)

    @answer
    def spend_console_link(self, digest):
        # no answer kept under the caller's key: a link signs in once, a retry included
        return self._in_one_transaction(console_links.spend, digest)
