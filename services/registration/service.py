"""The registration service: the forum series, the people who take part, and their seats.

Entrypoints only, one line each: a question runs in ``_read``, a command in ``_run`` (``kit.tx``: one
transaction, the answer kept when the gateway keyed the call), each calling a use case of ``forums``,
``registrations``, ``listings``, ``privacy``, ``subscriptions`` or ``organisers`` and returning plain JSON
values. ``token`` is a participant's magic-link token (None when an organiser asks; the gateway decides
who is who).
"""

from datetime import UTC, datetime
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.timer import timer

from kit import audit, health
from kit.db import Database
from kit.idempotency import Idempotency
from kit.outbox import OutboxRelay
from kit.ratelimit import AddressLimits
from kit.rpc import rpc
from kit.tx import Transactions
from services.registration import forums, listings, organisers, privacy, registrations, subscriptions
from services.registration.errors import EXPECTED
from services.registration.events import catalog
from services.registration.tx import Tx

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
command = rpc(expected_exceptions=EXPECTED)


class RegistrationService(Transactions, health.HealthChecks, audit.AuditTrail):
    name = "registration"

    db = Database("registration", MIGRATIONS)
    events = OutboxRelay(catalog)
    config = Config()
    actor = audit.Actor()
    mail_limits = AddressLimits()
    once = Idempotency(EXPECTED)

    def _tx(self, cur):
        return Tx(
            cur,
            self.events,
            datetime.now(UTC),
            self.actor,
            secret=self.config["SECRET_KEY"],
            mail_limits=self.mail_limits,
        )

    # forums
    @command
    def create_forum(self, data):
        return self._run(forums.create, data)

    @command
    def update_forum(self, forum_id, changes):
        return self._run(forums.update, forum_id, changes)

    @command
    def open_forum(self, forum_id, reason=None):
        return self._run(forums.transition, forum_id, "open", reason)

    @command
    def close_forum(self, forum_id, reason=None):
        return self._run(forums.transition, forum_id, "closed", reason)

    @command
    def hold_forum(self, forum_id, reason=None):
        return self._run(forums.transition, forum_id, "held", reason)

    @command
    def cancel_forum(self, forum_id, reason):
        return self._run(forums.transition, forum_id, "cancelled", reason)

    @command
    def get_forum(self, forum_ref, include_drafts=False):
        return self._read(forums.get, forum_ref, include_drafts)

    @command
    def list_forums(self, when="upcoming", limit=20, cursor=None, include_drafts=False):
        return self._read(forums.listing, when, limit, cursor, include_drafts)

    @timer(interval=30)
    def release_reserved_seats(self):
        """Reserved seats still free at their release date go to the people waiting."""
        for forum_id in self._run(forums.due_for_release):
            self._run(forums.release_quotas, forum_id)

    # registrations
    @command
    def register(self, forum_id, data):
        return self._run(registrations.register, forum_id, data)

    @command
    def get_registration(self, registration_id, token=None):
        return self._read(registrations.get, registration_id, token)

    @command
    def cancel_registration(self, registration_id, token=None):
        return self._run(registrations.cancel, registration_id, token)

    @command
    def list_registrations(self, forum_id, status=None, group=None, limit=50, cursor=None):
        return self._read(listings.listing, forum_id, status, group, limit, cursor)

    @command
    def registration_summary(self, forum_id):
        return self._read(listings.summary, forum_id)

    @command
    def registrations_csv(self, forum_id):
        return self._read(listings.as_csv, forum_id)

    @command
    def participants(self, forum_id):
        return self._read(listings.participants, forum_id)

    @command
    def check_in(self, forum_id, code):
        return self._run(listings.check_in, forum_id, code)

    @command
    def attendance(self, forum_id):
        return self._read(listings.attendance, forum_id)

    # people and their data
    @command
    def me(self, token):
        return self._read(privacy.export, token)

    @command
    def update_consents(self, token, registration_id, consents):
        return self._run(privacy.update_consents, token, registration_id, consents)

    @command
    def request_management_link(self, email):
        return self._run(privacy.request_link, email)

    @command
    def revoke_links(self, token):
        return self._run(privacy.revoke, token)

    @command
    def erase_me(self, token):
        return self._run(privacy.erase_me, token)

    @command
    def erase_person(self, email):
        return self._run(privacy.erase_by_email, email)

    # subscriptions
    @command
    def subscribe(self, data):
        return self._run(subscriptions.subscribe, data)

    @command
    def confirm_subscription(self, token):
        return self._run(subscriptions.confirm, token)

    @command
    def unsubscribe(self, token):
        return self._run(subscriptions.unsubscribe, token)

    # organiser tokens (the gateway sends a token's sha256, never the token)
    @command
    def organiser_for_digest(self, digest):
        return self._read(organisers.for_digest, digest)

    @command
    def create_organiser_token(self, name, scope, digest):
        return self._run(organisers.create, name, scope, digest)

    @command
    def list_organiser_tokens(self):
        return self._read(organisers.listing)

    @command
    def revoke_organiser_token(self, token_id):
        return self._run(organisers.revoke, token_id)
