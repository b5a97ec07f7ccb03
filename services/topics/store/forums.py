"""This service's copy of the forums (table ``forums``), from the registration events.

A forum event always writes its copy (``KEEP``, by its time; a final status sticks). A registration event
carries the forum too, but writes it only when its copy differs from the one kept (``KEEP_UNLESS_SAME``):
when each of them rewrote the row, concurrent handlers queued on that one row lock. Nothing is lost: the
forum only changes through a forum event, which always writes, and from the newest of them on every event
carries what it wrote, so an older copy never wins over a skipped one.
"""

from kit import inbox

KEEP = """
INSERT INTO forums AS f (id, title, starts_at, status, as_of)
VALUES (%(id)s, %(title)s, %(starts_at)s, %(status)s, %(as_of)s)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
    status = excluded.status, as_of = excluded.as_of
WHERE excluded.as_of >= f.as_of AND f.status NOT IN ('cancelled', 'held')
"""
# A registration event's copy, as an effect of the event recorded in the same statement (kit.inbox.once).
KEEP_UNLESS_SAME = f"""
INSERT INTO forums AS f (id, title, starts_at, status, as_of)
SELECT %(forum_id)s::uuid, %(title)s::text, %(starts_at)s::timestamptz, %(status)s::text, %(as_of)s::timestamptz
WHERE {inbox.FIRST} AND NOT EXISTS (
    SELECT FROM forums WHERE id = %(forum_id)s AND title = %(title)s AND starts_at = %(starts_at)s
        AND status = %(status)s)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
    status = excluded.status, as_of = excluded.as_of
WHERE excluded.as_of >= f.as_of AND f.status NOT IN ('cancelled', 'held')
"""


def keep(cur, forum, as_of):
    """Record this copy of the forum unless a newer one is known, or the forum is final."""
    cur.execute(KEEP, {key: forum[key] for key in ("id", "title", "starts_at", "status")} | {"as_of": as_of})


def copy_of(forum, as_of):
    """KEEP_UNLESS_SAME's parameters."""
    return {"forum_id": forum["id"], "title": forum["title"], "starts_at": forum["starts_at"],
            "status": forum["status"], "as_of": as_of}  # fmt: skip


def read(cur, forum_id):
    return cur.execute(
        "SELECT id, title, starts_at, status FROM forums WHERE id = %s", (forum_id,)
    ).fetchone()


def lock(cur, forum_id):
    """The forum, locked until the transaction ends: one round is opened for it at a time."""
    return cur.execute(
        "SELECT id, title, starts_at, status FROM forums WHERE id = %s FOR UPDATE", (forum_id,)
    ).fetchone()
