"""This service's copy of the forums (table ``forums``), from the registration events."""

KEEP = """
INSERT INTO forums AS f (id, title, starts_at, status, as_of)
VALUES (%(id)s, %(title)s, %(starts_at)s, %(status)s, %(as_of)s)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
    status = excluded.status, as_of = excluded.as_of
WHERE excluded.as_of >= f.as_of AND f.status NOT IN ('cancelled', 'held')
"""


def keep(cur, forum, as_of):
    """Record this copy of the forum unless a newer one is known, or the forum is final."""
    cur.execute(KEEP, {key: forum[key] for key in ("id", "title", "starts_at", "status")} | {"as_of": as_of})


def read(cur, forum_id):
    return cur.execute(
        "SELECT id, title, starts_at, status FROM forums WHERE id = %s", (forum_id,)
    ).fetchone()


def lock(cur, forum_id):
    """The forum, locked until the transaction ends: one round is opened for it at a time."""
    return cur.execute(
        "SELECT id, title, starts_at, status FROM forums WHERE id = %s FOR UPDATE", (forum_id,)
    ).fetchone()
