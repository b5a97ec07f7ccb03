"""The restitution service: the published record of each forum, and the commitments followed across the
series.

Entrypoints stay thin: each calls one use case in one transaction (``kit.tx.Transactions``). The facts a
restitution states (forums, attendance by group, round results, topic titles) come from the registration
and topics events, kept here: this service never calls another and works when they are down.
"""

from datetime import UTC, datetime
from pathlib import Path

from nameko.dependency_providers import Config

from kit import audit, dead_letters, health
from kit.db import Database
from kit.events import InvalidEvent, read_envelope
from kit.handlers import event_handler
from kit.idempotency import Idempotency
from kit.inbox import first_time
from kit.outbox import OutboxRelay
from kit.rpc import rpc
from kit.tx import Transactions
from services.restitution import comments, drafts, facts, public
from services.restitution.errors import EXPECTED
from services.restitution.events import catalog
from services.restitution.incoming import FORUM_EVENTS, REGISTRANT_EVENTS, SCHEMAS, SOURCES, TOPIC_EVENTS
from services.restitution.tx import Tx

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
command = rpc(expected_exceptions=EXPECTED)

# Each event read, and what it tells this service (one handler table). A registration's is one statement
# with its inbox row (ONCE); the others follow the inbox's own statement.
ONCE = {event_type: facts.registration for event_type in REGISTRANT_EVENTS}
HANDLERS = {event_type: facts.forum for event_type in FORUM_EVENTS}
HANDLERS |= {event_type: facts.topic for event_type in TOPIC_EVENTS}
HANDLERS |= {"attendee_checked_in": facts.checked_in, "round_closed": facts.round_closed}
HANDLERS |= {"topic_carried_over": facts.carried_over}
HANDLERS |= {
    "subscription_confirmed": facts.subscriber,
    "management_link_requested": facts.link_requested,
    "person_erased": comments.erased,
}


class RestitutionService(health.HealthChecks, dead_letters.DeadLetterLog, audit.AuditTrail, Transactions):
    name = "restitution"

    db = Database("restitution", MIGRATIONS)
    events = OutboxRelay(catalog)
    config = Config()
    actor = audit.Actor()
    once = Idempotency(EXPECTED)

    def _tx(self, cur):
        return Tx(cur, self.events, datetime.now(UTC), self.actor, self.config["SECRET_KEY"])

    def _handle(self, body, event_type):
        envelope, data = read_envelope(body, SCHEMAS[event_type])
        if envelope["type"] != event_type or envelope["source"] != SOURCES[event_type]:
            raise InvalidEvent(event_type, {"type": [f"routed as {event_type}, says {envelope['type']}"]})
        with self.db.transaction() as cur:
            if event_type in ONCE:
                ONCE[event_type](cur, envelope, data)
            elif first_time(cur, envelope):
                HANDLERS[event_type](self._tx(cur), envelope, data)

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

    @event_handler("registration", "attendee_checked_in")
    def handle_attendee_checked_in(self, body):
        self._handle(body, "attendee_checked_in")

    @event_handler("registration", "subscription_confirmed")
    def handle_subscription_confirmed(self, body):
        self._handle(body, "subscription_confirmed")

    @event_handler("registration", "management_link_requested")
    def handle_management_link_requested(self, body):
        self._handle(body, "management_link_requested")

    @event_handler("registration", "person_erased")
    def handle_person_erased(self, body):
        self._handle(body, "person_erased")

    @event_handler("topics", "round_closed")
    def handle_round_closed(self, body):
        self._handle(body, "round_closed")

    @event_handler("topics", "topic_published")
    def handle_topic_published(self, body):
        self._handle(body, "topic_published")

    @event_handler("topics", "topic_carried_over")
    def handle_topic_carried_over(self, body):
        self._handle(body, "topic_carried_over")

    @event_handler("topics", "topic_edited")
    def handle_topic_edited(self, body):
        self._handle(body, "topic_edited")

    # drafts and publishing (organisers)
    @command
    def get_draft(self, forum_id):
        return self._read(drafts.draft, forum_id)

    @command
    def save_draft(self, forum_id, content, expected_version=None):
        return self._run(drafts.save, forum_id, content, expected_version)

    @command
    def publish(self, forum_id, note="", draft_version=None):
        return self._run(drafts.publish, forum_id, note, draft_version)

    # what anyone may read
    @command
    def latest(self, forum_id):
        return self._read(public.latest, forum_id)

    @command
    def version(self, forum_id, number):
        return self._read(public.version, forum_id, number)

    @command
    def page(self, forum_id, number=None):
        return self._read(public.page, forum_id, number)

    @command
    def index(self):
        return self._read(public.index)

    @command
    def commitments(self):
        return self._read(public.commitments)

    @command
    def commitments_page(self):
        return self._read(public.commitments_page)

    @command
    def feed(self):
        return self._read(public.feed)

    @command
    def commitments_csv(self):
        return self._read(public.commitments_csv)

    @command
    def attendance_csv(self, forum_id):
        return self._read(public.attendance_csv, forum_id)

    # the commitments' register (organisers)
    @command
    def update_commitment(self, commitment_id, change):
        return self._run(public.update_commitment, commitment_id, change)

    # the discussion: participants comment (token), organisers moderate
    @command
    def comment_settings(self, forum_id):
        return self._read(comments.settings, forum_id)

    @command
    def set_comment_moderation(self, forum_id, moderation):
        return self._put(comments.set_moderation, forum_id, moderation)

    @command
    def post_comment(self, forum_id, token, comment):
        return self._run(comments.post, forum_id, token, comment)

    @command
    def comments(self, forum_id):
        return self._read(comments.public, forum_id)

    @command
    def my_comments(self, token):
        return self._read(comments.mine, token)

    @command
    def pending_comments(self, forum_id=None):
        return self._read(comments.pending, forum_id)

    @command
    def approve_comment(self, comment_id):
        return self._run(comments.approve, comment_id)

    @command
    def hide_comment(self, comment_id, reason):
        return self._run(comments.hide, comment_id, reason)
