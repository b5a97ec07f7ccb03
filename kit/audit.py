"""Who did what: every change an organiser makes is recorded in the service's ``audit_trail`` table, in
the transaction of the change itself (no change without its row, no row for a change rolled back).

The gateway names the organiser once their token is checked, in the worker context of the call
(``worker_ctx.data["organiser"]``); nameko carries that context to the called service as the
``nameko.organiser`` header of the RPC message, where ``Actor`` reads it back. So no RPC signature has
to carry it, and a service cannot be told who acts by a request's body. A call made on the bus directly
names nobody: its rows have a null actor.

Rows hold ids, never an email address or a token: the trail outlives erasures.
"""

import json

from nameko.extensions import DependencyProvider

from kit.rpc import rpc

ACTOR_KEY = "organiser"  # the worker-context key the gateway sets
MAX_ACTOR = 200
MAX_PAGE = 100


def actor_of(worker_ctx):
    """The organiser a call acts for, as the gateway named them, or None."""
    actor = worker_ctx.data.get(ACTOR_KEY)
    return actor[:MAX_ACTOR] if isinstance(actor, str) and actor else None


def record(cur, actor, action, subject=None, details=None):
    """Record one action, inside the caller's transaction."""
    cur.execute(
        "INSERT INTO audit_trail (actor, action, subject, details) VALUES (%s, %s, %s, %s::jsonb)",
        (actor, action, None if subject is None else str(subject), json.dumps(details or {}, default=str)),
    )


def listing(cur, actor=None, limit=20, before=None):
    """Up to ``limit`` rows, newest first, older than the row ``before`` (an id) when given."""
    where, params = [], {"limit": max(1, min(int(limit), MAX_PAGE + 1))}
    if actor is not None:
        where.append("actor = %(actor)s")
        params["actor"] = actor
    if before is not None:
        where.append("id < %(before)s")
        params["before"] = int(before)
    rows = cur.execute(
        "SELECT id, at, actor, action, subject, details FROM audit_trail"
        f" {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id DESC LIMIT %(limit)s",
        params,
    ).fetchall()
    return [row | {"at": row["at"].isoformat()} for row in rows]


class Actor(DependencyProvider):
    """The name of the organiser a worker acts for (None when the call named nobody)."""

    def get_dependency(self, worker_ctx):
        return actor_of(worker_ctx)


class AuditTrail:
    """Mix into a service class that has a ``db`` dependency: its trail, for organisers to read."""

    @rpc
    def list_audit(self, actor=None, limit=20, before=None):
        """Rows newest first; the gateway merges the services' trails and pages through them by id."""
        with self.db.transaction() as cur:
            return {"items": listing(cur, actor, limit, before)}
