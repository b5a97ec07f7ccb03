"""The registration service: forums and the people who register for them.

Entrypoints stay thin: open a transaction, call the domain, return plain JSON values.
"""

from pathlib import Path

from nameko.rpc import rpc

from kit import health
from kit.db import Database
from kit.outbox import OutboxRelay
from kit.serial import jsonable
from services.registration import domain
from services.registration.events import catalog

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class RegistrationService(health.HealthChecks):
    name = "registration"

    db = Database("registration", MIGRATIONS)
    events = OutboxRelay(catalog)

    @rpc(expected_exceptions=domain.RegistrationError)
    def create_forum(self, data):
        with self.db.transaction() as cur:
            return jsonable(domain.create_forum(cur, self.events, data))

    @rpc(expected_exceptions=domain.RegistrationError)
    def get_forum(self, forum_id):
        with self.db.transaction() as cur:
            return jsonable(domain.get_forum(cur, forum_id))

    @rpc(expected_exceptions=domain.RegistrationError)
    def register(self, forum_id, data):
        with self.db.transaction() as cur:
            return jsonable(domain.register(cur, self.events, forum_id, data))
