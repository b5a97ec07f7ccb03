"""Commands that survive a redelivery or a retry: each command's answer is kept with its effect.

The gateway gives every request that changes something an idempotency key: the client's
``Idempotency-Key`` header, else one it makes. nameko carries it to the service in the RPC context
(``worker_ctx.data["idempotency_key"]``, the ``nameko.idempotency_key`` message header), as it carries
the organiser's name. In the transaction of the effect, the service stores the key with the RPC method,
a fingerprint of its arguments and its answer:
- a redelivered RPC request (the service committed, then died before its reply went out) or a client's
  retry finds the key and gets the first answer, and nothing happens twice;
- the same key with other arguments is refused (``IdempotencyKeyReused``, answered 422);
- an error whose effect was committed (``commit_anyway``, e.g. "already registered", which sends a
  link) is kept and raised again; an error that rolled back leaves no key, so a retry runs afresh;
- two requests with one key at once: the second waits on the first's row, then reads its answer.
Keys are forgotten after ``IDEMPOTENCY_RETENTION_HOURS`` (24): a retry is worth making within minutes.
"""

import hashlib
import json
import logging
import re

import eventlet
from nameko.extensions import DependencyProvider
from psycopg.types.json import Jsonb

from kit.handlers import service_db

log = logging.getLogger(__name__)
KEY = "idempotency_key"  # the worker-context key the gateway sets
VALID = re.compile(r"[\x21-\x7e]{1,255}")  # what the gateway lets through (visible ASCII)
CLEANUP_EVERY = 600.0


class IdempotencyKeyReused(Exception):
    """The key was first used for another request (other arguments, or another command)."""


def fingerprint(args, kwargs):
    text = json.dumps([args, kwargs], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def family(cls):
    """The class and every subclass of it."""
    yield cls
    for sub in cls.__subclasses__():
        yield from family(sub)


class Once:
    """What a worker sees: ``run(cur, call)`` runs ``call()`` once per key, inside the caller's
    transaction, and answers what the first run answered. Without a key it just runs ``call()``."""

    def __init__(self, key, operation, digest, errors):
        self.key, self.operation, self.digest, self.errors = key, operation, digest, errors

    def run(self, cur, call):
        if self.key is None:
            return call()
        cur.execute(
            "INSERT INTO idempotency_keys (key, operation, fingerprint) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING key",
            (self.key, self.operation, self.digest),
        )
        if cur.fetchone() is None:
            return self.replay(cur)
        try:
            result = call()
        except Exception as exc:
            if getattr(exc, "commit_anyway", False):
                self.keep(cur, {"error": [type(exc).__name__, str(exc)]})
            raise
        self.keep(cur, {"result": result})
        return result

    def keep(self, cur, outcome):
        cur.execute(
            "UPDATE idempotency_keys SET outcome = %s WHERE key = %s AND operation = %s",
            (Jsonb(outcome, dumps=lambda value: json.dumps(value, default=str)), self.key, self.operation),
        )

    def replay(self, cur):
        row = cur.execute(
            "SELECT fingerprint, outcome FROM idempotency_keys WHERE key = %s AND operation = %s",
            (self.key, self.operation),
        ).fetchone()
        if row["fingerprint"] != self.digest:
            raise IdempotencyKeyReused("this Idempotency-Key was used for another request")
        if "error" in row["outcome"]:
            name, message = row["outcome"]["error"]
            raise self.errors.get(name, IdempotencyKeyReused)(message)
        return row["outcome"]["result"]


def forget_answers(cur, mentioning, mentioning_any_case):
    """Delete the kept answers that mention ``mentioning`` (an id), or ``mentioning_any_case`` in any case
    (an email address): after an erasure, nothing kept for retries may name the person."""
    cur.execute(
        "DELETE FROM idempotency_keys WHERE outcome::text LIKE %s OR outcome::text ILIKE %s",
        (f"%{mentioning}%", f"%{mentioning_any_case}%"),
    )


class Idempotency(DependencyProvider):
    """Declared by a service whose commands take part; ``errors``: the service's expected exceptions,
    so that a kept error is raised again as itself."""

    def __init__(self, errors=()):
        self.bases = tuple(errors)
        self.cleaner = None

    def setup(self):
        self.errors = {cls.__name__: cls for base in self.bases for cls in family(base)}
        self.retention_hours = float(self.container.config.get("IDEMPOTENCY_RETENTION_HOURS", 24))

    def start(self):
        self.cleaner = self.container.spawn_managed_thread(self.forget_old_keys)

    def stop(self):
        if self.cleaner is not None:
            self.cleaner.kill()

    kill = stop

    def get_dependency(self, worker_ctx):
        key = worker_ctx.data.get(KEY)
        if not isinstance(key, str) or not VALID.fullmatch(key):
            return Once(None, None, None, self.errors)
        digest = fingerprint(list(worker_ctx.args), worker_ctx.kwargs)
        return Once(key, worker_ctx.entrypoint.method_name, digest, self.errors)

    def forget_old_keys(self):
        while True:
            eventlet.sleep(CLEANUP_EVERY)
            try:
                with service_db(self.container).transaction() as cur:
                    cur.execute(
                        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => %s)",
                        (self.retention_hours * 3600,),
                    )
            except Exception:  # noqa: BLE001 - the database may be away: next time
                log.warning("could not forget old idempotency keys", exc_info=True)
