"""Dead letters kept in the service's own ``dead_letters`` table, where organisers can see them.

An event handler (``kit.handlers``) gives up on a message in one of two ways, and both end here:
- its body does not fit the handler's schema (``InvalidEvent``): the handler records it at once, with
  the per-field errors only it knows, and then acks it;
- the handler kept failing: past the queue's delivery limit the broker moves it to the service's
  ``<service>.dead-letters`` queue, whose consumer records it (queue, reason and time from the
  ``x-death`` header), then acks it.
Either way the message is acked only once its row is committed, and the row is unique on the queue and
the body's hash: a redelivered dead letter adds nothing.

Bodies hold personal data: listings never show them, and ``forget`` strips the bodies that mention an
erased person (the rest of the row stays: what failed, where, when and why).
"""

import hashlib
import json
from datetime import UTC, datetime

from kit import paging
from kit.db import OUTAGES
from kit.rpc import rpc

INSERT = """INSERT INTO dead_letters (queue, fingerprint, event_id, event_type, source, exchange, routing_key,
    reason, errors, attempts, dead_at, content_type, body)
    VALUES (%(queue)s, %(fingerprint)s, %(event_id)s, %(event_type)s, %(source)s, %(exchange)s,
    %(routing_key)s, %(reason)s, %(errors)s::jsonb, %(attempts)s, COALESCE(%(dead_at)s, now()), %(content_type)s,
    %(body)s)
    ON CONFLICT (queue, fingerprint) DO NOTHING"""
COLUMNS = """id, queue, event_id, event_type, source, exchange, routing_key, reason, errors, attempts, dead_at,
    recorded_at, erased_at"""


class DeadLetterError(Exception):
    """Base of the expected errors: answered as 4xx by the gateway (by class name)."""


class DeadLetterNotFound(DeadLetterError):
    pass


EXPECTED = (DeadLetterError, paging.InvalidCursor, *OUTAGES)  # what the organisers' entrypoints may raise


def clean(value):
    """PostgreSQL text cannot hold NUL: a body (or an error) with one is kept with it escaped."""
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if isinstance(value, dict):
        return {clean(str(key)): clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean(item) for item in value]
    return value


def said(envelope, key):
    value = envelope.get(key)
    return clean(str(value))[:200] if isinstance(value, str | int) and not isinstance(value, bool) else None


def as_row(message, queue, reason, errors=None, attempts=None, dead_at=None, exchange="", routing_key=""):
    raw = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    text = raw.decode("utf-8", "backslashreplace")
    try:
        envelope = json.loads(text)
    except ValueError:
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    return {
        "queue": queue,
        "fingerprint": hashlib.sha256(raw).hexdigest(),
        "event_id": said(envelope, "id"),
        "event_type": said(envelope, "type"),
        "source": said(envelope, "source"),
        "exchange": clean(exchange or ""),
        "routing_key": clean(routing_key or ""),
        "reason": reason,
        "errors": json.dumps(clean(errors)) if errors is not None else None,
        "attempts": attempts,
        "dead_at": dead_at,
        "content_type": message.content_type,
        "body": clean(text),
    }


def record_invalid(cur, message, queue, errors):
    """Record a message whose body did not fit the handler's schema; False if it already was."""
    attempts = int((message.headers or {}).get("x-delivery-count", 0)) + 1
    info = message.delivery_info or {}
    row = as_row(
        message, queue, "invalid", errors, attempts, None, info.get("exchange"), info.get("routing_key")
    )
    cur.execute(INSERT, row)
    return cur.rowcount == 1


def record_dead(cur, message, queue, delivery_limit, errors=None):
    """Record a message the broker dead-lettered from ``queue``; False if it already was.

    The newest ``x-death`` entry says why (``delivery_limit``: the broker allows ``delivery_limit``
    returns, so the handler had that many attempts and one more).
    """
    headers = message.headers or {}
    deaths = [death for death in headers.get("x-death") or [] if death.get("queue") == queue]
    death = deaths[0] if deaths else {}
    reason = death.get("reason") or headers.get("x-first-death-reason") or "unknown"
    dead_at = death.get("time")
    if isinstance(dead_at, datetime) and dead_at.tzinfo is None:
        dead_at = dead_at.replace(tzinfo=UTC)  # the broker's timestamps are UTC
    attempts = delivery_limit + 1 if reason == "delivery_limit" else None
    exchange = death.get("exchange") or headers.get("x-first-death-exchange")
    routing_key = (death.get("routing-keys") or [None])[0]
    row = as_row(message, queue, reason, errors, attempts, dead_at, exchange, routing_key)
    cur.execute(INSERT, row)
    return cur.rowcount == 1


def view(row):
    shown = dict(row)
    for key in ("dead_at", "recorded_at", "erased_at"):
        shown[key] = shown[key].isoformat() if shown[key] else None
    return shown


def listing(cur, limit=20, cursor=None):
    """A page of dead letters, newest first (in the order they were recorded), without their bodies."""
    [after] = paging.DEAD_LETTERS.read(cursor) if cursor else [None]
    limit = max(1, min(int(limit), 100))
    rows = cur.execute(
        f"SELECT {COLUMNS} FROM dead_letters WHERE %(after)s::bigint IS NULL OR id < %(after)s"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"after": after, "limit": limit + 1},
    ).fetchall()
    page = rows[:limit]
    next_cursor = paging.DEAD_LETTERS.write(page[-1]["id"]) if len(rows) > limit else None
    return {"items": [view(row) for row in page], "next_cursor": next_cursor}


def one(cur, dead_letter_id):
    """One dead letter with its body (None once erased), to fix and replay it."""
    try:
        number = int(dead_letter_id)
    except (TypeError, ValueError):
        number = None
    row = None
    if number is not None and 0 < number < 2**63:
        row = cur.execute(
            f"SELECT {COLUMNS}, content_type, body FROM dead_letters WHERE id = %s", (number,)
        ).fetchone()
    if row is None:
        raise DeadLetterNotFound(f"no dead letter {dead_letter_id}")
    return view(row)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def mentions(body, needles):
    """Whether the body names one of ``needles`` (casefolded), in its text or in its decoded JSON
    strings (where a non-ASCII address is written with escapes the raw text does not match)."""
    texts = [body.casefold()]
    try:
        texts += [text.casefold() for text in strings(json.loads(body))]
    except ValueError:
        pass
    return any(needle in text for needle in needles for text in texts)


def forget(cur, person_id=None, email=None):
    """Strip the body of every dead letter that mentions the person (their id, or their address in any
    case); how many.

    Bodies are matched here rather than in SQL for the JSON escapes above; dead letters are incidents,
    so there are few of them.
    """
    needles = [str(value).casefold() for value in (person_id, email) if value]
    if not needles:
        return 0
    rows = cur.execute("SELECT id, body FROM dead_letters WHERE body IS NOT NULL FOR UPDATE").fetchall()
    ids = [row["id"] for row in rows if mentions(row["body"], needles)]
    if ids:
        cur.execute("UPDATE dead_letters SET body = NULL, erased_at = now() WHERE id = ANY(%s)", (ids,))
    return len(ids)


class DeadLetterLog:
    """Mix into a service class that has a ``db`` dependency: its dead letters, for organisers."""

    @rpc(expected_exceptions=EXPECTED)
    def list_dead_letters(self, limit=20, cursor=None):
        with self.db.transaction() as cur:
            return listing(cur, limit, cursor)

    @rpc(expected_exceptions=EXPECTED)
    def get_dead_letter(self, dead_letter_id):
        with self.db.transaction() as cur:
            return one(cur, dead_letter_id)
