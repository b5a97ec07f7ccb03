"""What organisers see of the delivery log, and the one thing they may do to it: retry failed messages.

A listing never carries a message's subject or bodies (they hold personal links), only its envelope and
state. A retried message goes back to ``pending``, due now, with ``attempts`` reset to 0: the sender's
``max_attempts`` counts the attempts since the last retry, so the message gets a full round of tries
(with the backoff starting over) instead of failing again at its next temporary error. Its last error
stays on the row until the next attempt replaces it. A message whose recipient was erased is never
retried: it has no address or body left.
"""

import uuid

from kit import paging

STATUSES = ("pending", "sending", "sent", "failed")
COLUMNS = """id, template, recipient, locale, forum_id, status, attempts, last_error, created_at, sent_at,
    next_attempt_at"""
ERASED = "message_id LIKE '<erased-%%'"
RETRY = f"""UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
    WHERE status = 'failed' AND NOT {ERASED}"""
COUNTS = """SELECT forum_id, template, status, count(*) AS count FROM deliveries
    WHERE %(forum_id)s::uuid IS NULL OR forum_id = %(forum_id)s::uuid
    GROUP BY forum_id, template, status"""


class NotificationError(Exception):
    """Base of the expected errors: answered as 4xx by the gateway (by class name)."""


class DeliveryNotFound(NotificationError):
    pass


class NotRetryable(NotificationError):
    pass


class InvalidCursor(NotificationError):
    pass


class InvalidFilter(NotificationError):
    pass


def as_uuid(value, name):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidFilter(f"{name} is not a valid id") from None


def view(row):
    """A row as JSON: dates in RFC 3339, ids as strings."""
    shown = dict(row)
    for key in ("created_at", "sent_at", "next_attempt_at"):
        shown[key] = shown[key].isoformat() if shown[key] else None
    shown["forum_id"] = str(shown["forum_id"]) if shown["forum_id"] else None
    return shown


def listing(cur, forum_id=None, status=None, recipient=None, limit=20, cursor=None):
    """A page of the log, newest first (by id: the order rows were written in)."""
    where, params = ["true"], []
    if forum_id:
        where.append("forum_id = %s")
        params.append(as_uuid(forum_id, "forum_id"))
    if status:
        if status not in STATUSES:
            raise InvalidFilter(f"status must be one of {', '.join(STATUSES)}")
        where.append("status = %s")
        params.append(status)
    if recipient:
        where.append("lower(recipient) = lower(%s)")
        params.append(recipient)
    if cursor:
        where.append("id < %s")
        params += paging.DELIVERIES.read(cursor, InvalidCursor)
    limit = max(1, min(int(limit), 100))
    rows = cur.execute(
        f"SELECT {COLUMNS} FROM deliveries WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s",
        (*params, limit + 1),
    ).fetchall()
    page = rows[:limit]
    next_cursor = paging.DELIVERIES.write(page[-1]["id"]) if len(rows) > limit else None
    return {"items": [view(row) for row in page], "next_cursor": next_cursor}


def retry_one(cur, delivery_id):
    """Queue one failed message again; its row as it now is."""
    row = cur.execute("SELECT id, status FROM deliveries WHERE id = %s FOR UPDATE", (delivery_id,)).fetchone()
    if row is None:
        raise DeliveryNotFound(f"no message {delivery_id} in the log")
    cur.execute(f"{RETRY} AND id = %s RETURNING id", (delivery_id,))
    if cur.rowcount != 1:
        raise NotRetryable(f"message {delivery_id} is {row['status']}: only a failed message can be retried")
    return view(cur.execute(f"SELECT {COLUMNS} FROM deliveries WHERE id = %s", (delivery_id,)).fetchone())


def retry_forum(cur, forum_id):
    """Queue every failed message of the forum again; how many."""
    cur.execute(f"{RETRY} AND forum_id = %s", (as_uuid(forum_id, "forum_id"),))
    return cur.rowcount


def summary(cur, forum_id=None):
    """Counts by status: in all, per template and (without a forum) per forum."""
    forum = str(as_uuid(forum_id, "forum_id")) if forum_id else None
    totals, by_template, by_forum = dict.fromkeys(STATUSES, 0), {}, {}
    for row in cur.execute(COUNTS, {"forum_id": forum}).fetchall():
        totals[row["status"]] += row["count"]
        counts = by_template.setdefault(row["template"], dict.fromkeys(STATUSES, 0))
        counts[row["status"]] += row["count"]
        key = str(row["forum_id"]) if row["forum_id"] else "none"
        by_forum.setdefault(key, dict.fromkeys(STATUSES, 0))[row["status"]] += row["count"]
    answer = {"forum_id": forum, "totals": totals, "by_template": by_template}
    return answer if forum else answer | {"by_forum": by_forum}
