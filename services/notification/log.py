"""What organisers see of the delivery log, and the one thing they may do to it: retry failed messages.

A listing never carries a message's subject or bodies (they hold personal links), only its envelope and
state. A retried message goes back to ``pending``, due now, with ``attempts`` reset to 0: the sender's
``max_attempts`` counts the attempts since the last retry, so the message gets a full round of tries
(with the backoff starting over) instead of failing again at its next temporary error. Its last error
stays on the row until the next attempt replaces it. A message whose recipient was erased is never
retried: it has no address or body left. The statements are in ``store.deliveries``.
"""

import uuid

from kit import paging
from services.notification import announcements, rules, store
from services.notification.errors import DeliveryNotFound, InvalidFilter, NotRetryable


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


def listing(tx, forum_id=None, status=None, recipient=None, limit=20, cursor=None):
    """A page of the log, newest first (by id: the order rows were written in)."""
    forum_id = as_uuid(forum_id, "forum_id") if forum_id else None
    if status and status not in rules.DELIVERY_STATUSES:
        raise InvalidFilter(f"status must be one of {', '.join(rules.DELIVERY_STATUSES)}")
    (before,) = paging.DELIVERIES.read(cursor) if cursor else (None,)
    limit = max(1, min(int(limit), 100))
    rows = store.deliveries.page(tx.cur, forum_id, status, recipient, before, limit + 1)
    page = rows[:limit]
    next_cursor = paging.DELIVERIES.write(page[-1]["id"]) if len(rows) > limit else None
    return {"items": [view(row) for row in page], "next_cursor": next_cursor}


def retry_one(tx, delivery_id):
    """Queue one failed message again; its row as it now is."""
    delivery_id = int(delivery_id)
    row = store.deliveries.lock_one(tx.cur, delivery_id)
    if row is None:
        raise DeliveryNotFound(f"no message {delivery_id} in the log")
    if not store.deliveries.retry_one(tx.cur, delivery_id):
        raise NotRetryable(f"message {delivery_id} is {row['status']}: only a failed message can be retried")
    retried = view(store.deliveries.read_one(tx.cur, delivery_id))
    tx.record("delivery_retried", retried["id"], {"template": retried["template"]})
    return retried


def retry_forum(tx, forum_id):
    """Queue every failed message of the forum again: ``{"forum_id", "retried"}`` (how many)."""
    retried = store.deliveries.retry_forum(tx.cur, as_uuid(forum_id, "forum_id"))
    if retried:
        tx.record("deliveries_retried", forum_id, {"retried": retried})
    return {"forum_id": str(forum_id), "retried": retried}


def summary(tx, forum_id=None):
    """Counts by status: in all, per template and (without a forum) per forum; with a forum, also its
    announcement to subscribers, as it is being written to the log."""
    forum = str(as_uuid(forum_id, "forum_id")) if forum_id else None
    totals, by_template, by_forum = rules.tally(store.deliveries.counts(tx.cur, forum))
    answer = {"forum_id": forum, "totals": totals, "by_template": by_template}
    if not forum:
        return answer | {"by_forum": by_forum}
    return answer | {"announcement": announcements.progress(tx.cur, forum)}
