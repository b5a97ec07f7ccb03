"""The topics service: proposals, their moderation, prioritisation rounds and their results.

Entrypoints stay thin: each calls one use case in one transaction (``kit.tx.Transactions``). ``token``
is a participant's management-link token (None when an organiser asks; the gateway decides who is who).
It learns people and forums from the registration events and never calls the registration service.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.timer import timer

from kit import audit, dead_letters, health
from kit.db import Database
from kit.events import InvalidEvent, read_envelope
from kit.handlers import event_handler
from kit.idempotency import Idempotency
from kit.inbox import first_time
from kit.outbox import OutboxRelay
from kit.rpc import rpc
from kit.tx import Transactions
from services.topics import people, rounds, topics
from services.topics.errors import EXPECTED
from services.topics.events import catalog
from services.topics.incoming import FORUM_EVENTS, REGISTRANT_EVENTS, SCHEMAS
from services.topics.tx import Tx

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
command = rpc(expected_exceptions=EXPECTED)

# Each registration event, and what it tells this service (one handler table). A registration's is one
# statement with its inbox row (ONCE); the others follow the inbox's own statement.
ONCE = {event_type: people.registrant for event_type in REGISTRANT_EVENTS}
HANDLERS = {event_type: people.forum for event_type in FORUM_EVENTS}
HANDLERS |= {
    "subscription_confirmed": people.subscriber,
    "management_link_requested": people.link_requested,
    "person_erased": people.erased,
}


class TopicsService(health.HealthChecks, dead_letters.DeadLetterLog, audit.AuditTrail, Transactions):
    name = "topics"

    db = Database("topics", MIGRATIONS)
    events = OutboxRelay(catalog)
    config = Config()
    actor = audit.Actor()
    once = Idempotency(EXPECTED)

    def _tx(self, cur):
        return Tx(cur, self.events, datetime.now(UTC), self.actor, self.config["SECRET_KEY"])

    def _handle(self, body, event_type):
        envelope, data = read_envelope(body, SCHEMAS[event_type])
        if envelope["type"] != event_type:
            raise InvalidEvent(event_type, {"type": [f"routed as {event_type}, says {envelope['type']}"]})
        with self.db.transaction() as cur:
            if event_type in ONCE:
                ONCE[event_type](cur, envelope, data)
            elif first_time(cur, envelope):
                HANDLERS[event_type](self._tx(cur), envelope, data)

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

    @event_handler("registration", "subscription_confirmed")
    def handle_subscription_confirmed(self, body):
        self._handle(body, "subscription_confirmed")

    @event_handler("registration", "management_link_requested")
    def handle_management_link_requested(self, body):
        self._handle(body, "management_link_requested")

    @event_handler("registration", "person_erased")
    def handle_person_erased(self, body):
        self._handle(body, "person_erased")

    @timer(interval=5)
    def close_due_rounds(self):
        """Rounds past their closing time are closed, and rounds closing within a day announced as such,
        one per transaction, each by one replica once."""
        while self._run(rounds.close_next_due) is not None:
            pass
        lead = timedelta(hours=float(self.config.get("ROUND_REMINDER_HOURS", 24)))
        while self._run(rounds.remind_next, lead) is not None:
            pass

    # topics
    @command
    def propose(self, forum_id, data, token=None):
        return self._run(topics.propose, forum_id, data, token)

    @command
    def publish_topic(self, topic_id):
        return self._run(topics.publish, topic_id)

    @command
    def reject_topic(self, topic_id, reason):
        return self._run(topics.reject, topic_id, reason)

    @command
    def edit_topic(self, topic_id, changes, note):
        return self._run(topics.edit, topic_id, changes, note)

    @command
    def merge_topic(self, topic_id, into):
        return self._run(topics.merge, topic_id, into)

    @command
    def carry_over_topic(self, topic_id, why, to_forum_id=None):
        return self._run(topics.carry_over, topic_id, why, to_forum_id)

    @command
    def get_topic(self, topic_id, organiser=False):
        return self._read(topics.get, topic_id, organiser)

    @command
    def list_topics(self, forum_id=None):
        return self._read(topics.listing, forum_id)

    @command
    def moderation_queue(self, forum_id=None):
        return self._read(topics.moderation_queue, forum_id)

    # rounds
    @command
    def open_round(self, forum_id, data):
        """A round over ``data["topic_ids"]``, published topics of the forum; without them, over all."""
        return self._run(rounds.open_round, forum_id, data)

    @command
    def cast_ballot(self, round_id, token, content, stakeholder_group=None):
        return self._put(rounds.cast_ballot, round_id, token, content, stakeholder_group)

    @command
    def close_round(self, round_id):
        return self._run(rounds.close, round_id)

    @command
    def round_results(self, round_id):
        return self._read(rounds.results, round_id)

    @command
    def round_results_csv(self, round_id):
        return self._read(rounds.results_csv, round_id)

    @command
    def round_page(self, round_id):
        """A round's public page in one call: the round, its results if shown, its topics' titles."""
        return self._read(rounds.page, round_id)

    @command
    def get_round(self, round_id, organiser=False):
        return self._read(rounds.get, round_id, organiser)

    @command
    def list_rounds(self, forum_id):
        """A forum's rounds, newest first, each with its participation by group (organisers)."""
        return self._read(rounds.of_forum, forum_id)

    @command
    def enter_paper_tally(self, round_id, stakeholder_group, tally):
        return self._run(rounds.paper_tally, round_id, stakeholder_group, tally)

    # people
    @command
    def my_data(self, token):
        return self._read(people.export, token)
