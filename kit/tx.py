"""One transaction per call: the unit of work a service's use cases are handed, and how a service opens it.

A use case takes a ``Tx``: the transaction's cursor, the outbox its events go to (``kit.outbox``: written
in the same transaction, so an event leaves only if the change commits), the time of the call (one
``now`` for every decision of the call), and the organiser it acts for (``kit.audit``). A service adds
what its own use cases need by subclassing it.

``Transactions`` is mixed into a service class: its entrypoints call ``self._read(action, ...)`` for a
question, ``self._run(action, ...)`` for a command (its answer kept under the caller's key) and
``self._put(action, ...)`` for a command idempotent by nature; they never open a transaction themselves.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from kit import audit


@dataclass
class Tx:
    cur: object
    outbox: object  # kit.outbox.Outbox
    now: datetime
    actor: str | None = None  # the organiser the call acts for; None when it names nobody

    def emit(self, event_type, data):
        """An event, committed with the change and published after."""
        self.outbox.add(self.cur, event_type, data)

    def record(self, action, subject, details=None):
        """An organiser's action, in the audit trail, committed with the change."""
        audit.record(self.cur, self.actor, action, subject, details)


class Transactions:
    """For a service class with ``db`` (``kit.db.Database``) and ``once`` (``kit.idempotency.Idempotency``).
    ``_tx(cur)`` makes what the use cases are handed: by default a ``Tx`` from the service's ``events``
    (``kit.outbox.OutboxRelay``) and ``actor`` (``kit.audit.Actor``); a service whose use cases need more
    overrides it."""

    def _tx(self, cur):
        return Tx(cur, self.events, datetime.now(UTC), self.actor)

    def _in_one_transaction(self, action, *args, **kwargs):
        with self.db.transaction() as cur:
            return action(self._tx(cur), *args, **kwargs)

    def _read(self, action, *args, **kwargs):
        """One transaction for a question: no answer kept, even when the gateway asks it while keyed (a
        token looked up during a write must be looked up afresh on a retry)."""
        return self._in_one_transaction(action, *args, **kwargs)

    def _put(self, action, *args, **kwargs):
        """One transaction for a command that is idempotent by nature (a PUT: sent again, redelivered or
        retried, it leaves the same state), so its answer need not be kept."""
        return self._in_one_transaction(action, *args, **kwargs)

    def _run(self, action, *args, **kwargs):
        """One transaction for a command: the action, its events and, when the gateway keyed the call,
        its answer (``kit.idempotency``: redelivered or retried, it answers again what it first did)."""
        with self.db.transaction() as cur:
            tx = self._tx(cur)
            return self.once.run(cur, lambda: action(tx, *args, **kwargs))
