"""The reminders table: one row per forum, when it starts and whether its reminder went out.

A due row is taken with ``FOR UPDATE OF r SKIP LOCKED``: two replicas never take the same forum, and the
row stays locked until its reminders are written and it is marked sent, in the same transaction.
"""

PLAN = """
INSERT INTO reminders AS r (forum_id, starts_at) VALUES (%(forum_id)s, %(starts_at)s)
ON CONFLICT (forum_id) DO UPDATE SET starts_at = excluded.starts_at, sent_at = NULL, recipients = 0
WHERE r.starts_at <> excluded.starts_at
"""
NEXT_DUE = """
SELECT r.forum_id, r.starts_at, f.forum FROM reminders r JOIN roster_forums f ON f.id = r.forum_id
WHERE r.sent_at IS NULL AND r.starts_at > now()
  AND r.starts_at - make_interval(secs => %(lead)s) <= now()
  AND f.status NOT IN ('cancelled', 'held')
ORDER BY r.starts_at LIMIT 1 FOR UPDATE OF r SKIP LOCKED
"""
DONE = "UPDATE reminders SET sent_at = now(), recipients = %s WHERE forum_id = %s"


def plan(cur, forum_id, starts_at):
    """The forum's reminder for ``starts_at``: owed again if the forum had another start."""
    cur.execute(PLAN, {"forum_id": forum_id, "starts_at": starts_at})


def drop(cur, forum_id):
    cur.execute("DELETE FROM reminders WHERE forum_id = %s", (forum_id,))


def next_due(cur, lead_seconds):
    """``forum_id``, ``starts_at`` and ``forum`` (the roster's copy) of the next forum whose reminder is
    due, locked until the transaction ends; None if none is (or the due ones are another replica's)."""
    return cur.execute(NEXT_DUE, {"lead": lead_seconds}).fetchone()


def mark_sent(cur, forum_id, recipients):
    cur.execute(DONE, (recipients, forum_id))
