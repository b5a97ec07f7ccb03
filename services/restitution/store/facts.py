"""Copies of what other services' events say (tables ``forums``, ``registrations``, ``rounds``,
``topic_titles``): each copy only moves forward by the time of the event that told it.

A forum event always writes the forum's copy (``KEEP_FORUM``). A registration event carries the forum
too, but writes it only when its copy differs from the one kept (``KEEP_FORUM_UNLESS_SAME``): when each
of them rewrote the row, concurrent handlers queued on that one row lock. Nothing is lost: the forum only
changes through a forum event, which always writes, and from the newest of them on every event carries
what it wrote, so an older copy never wins over a skipped one. A registration event's statements are
effects of its inbox row, all in one statement (``kit.inbox.once``; ``REGISTRATION``).
"""

from psycopg.types.json import Jsonb

from kit import inbox, people

KEEP_FORUM = """
INSERT INTO forums AS f (id, title, starts_at, ends_at, timezone, status, as_of)
VALUES (%(id)s, %(title)s, %(starts_at)s, %(ends_at)s, %(timezone)s, %(status)s, %(as_of)s)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
    ends_at = excluded.ends_at, timezone = excluded.timezone, status = excluded.status, as_of = excluded.as_of
WHERE excluded.as_of >= f.as_of AND f.status NOT IN ('cancelled', 'held')
"""
KEEP_FORUM_UNLESS_SAME = f"""
INSERT INTO forums AS f (id, title, starts_at, ends_at, timezone, status, as_of)
SELECT %(forum_id)s::uuid, %(title)s::text, %(starts_at)s::timestamptz, %(ends_at)s::timestamptz,
    %(timezone)s::text, %(forum_status)s::text, %(as_of)s::timestamptz
WHERE {inbox.FIRST} AND NOT EXISTS (
    SELECT FROM forums WHERE id = %(forum_id)s AND title = %(title)s AND starts_at = %(starts_at)s
        AND ends_at = %(ends_at)s AND timezone = %(timezone)s AND status = %(forum_status)s)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
    ends_at = excluded.ends_at, timezone = excluded.timezone, status = excluded.status, as_of = excluded.as_of
WHERE excluded.as_of >= f.as_of AND f.status NOT IN ('cancelled', 'held')
"""
# A registration event: the forum's copy (unless the same), the registration (only moving forward), and
# the person (who may comment), each gated on the event's inbox row.
REGISTRATION = f"""forum AS ({KEEP_FORUM_UNLESS_SAME}),
registration AS (
    INSERT INTO registrations AS r (registration_id, forum_id, stakeholder_group, status, rank, as_of)
    SELECT %(registration_id)s::uuid, %(forum_id)s::uuid, %(group)s::text, %(status)s::text,
        %(rank)s::integer, %(as_of)s::timestamptz
    WHERE {inbox.FIRST}
    ON CONFLICT (registration_id) DO UPDATE SET status = excluded.status, rank = excluded.rank,
        stakeholder_group = excluded.stakeholder_group, as_of = excluded.as_of
    WHERE (excluded.rank, excluded.as_of) >= (r.rank, r.as_of)),
person AS ({people.KEEP_ONCE})"""


def keep_forum(cur, forum, as_of):
    cur.execute(KEEP_FORUM, {key: forum[key] for key in ("id", "title", "starts_at", "ends_at", "timezone",
                                                          "status")} | {"as_of": as_of})  # fmt: skip


def registration_once(cur, envelope, forum, registration, person):
    """A registration event with its inbox row, in one statement (``REGISTRATION``): ``forum`` (id,
    title, starts_at, ends_at, timezone, status), ``registration`` (registration_id, group, status,
    rank), ``person`` (``kit.people.registrant_facts``). False for a redelivery."""
    params = {"forum_id": forum["id"], "forum_status": forum["status"], "as_of": envelope["time"]}
    params |= {key: forum[key] for key in ("title", "starts_at", "ends_at", "timezone")}
    return inbox.once(cur, envelope, REGISTRATION, params | registration | person)


def forum(cur, forum_id):
    return cur.execute(
        "SELECT id, title, starts_at, ends_at, timezone, status FROM forums WHERE id = %s", (forum_id,)
    ).fetchone()


def forums_by_id(cur, forum_ids):
    rows = cur.execute(
        "SELECT id, title, starts_at, ends_at, timezone, status FROM forums WHERE id = ANY(%s)",
        (list(forum_ids),),
    ).fetchall()
    return {row["id"]: row for row in rows}


def checked_in(cur, registration_id, forum_id, group, at):
    """A check-in, whichever of it and the registration's own events arrives first."""
    cur.execute(
        "INSERT INTO registrations (registration_id, forum_id, stakeholder_group, status, rank, as_of,"
        " checked_in_at) VALUES (%s, %s, %s, 'confirmed', 0, '-infinity', %s)"
        " ON CONFLICT (registration_id) DO UPDATE SET checked_in_at = coalesce(registrations.checked_in_at,"
        " excluded.checked_in_at)",
        (registration_id, forum_id, group, at),
    )


def attendance(cur, forum_id):
    """({group: confirmed registrations}, {group: checked in}) of the forum."""
    rows = cur.execute(
        "SELECT stakeholder_group, count(*) FILTER (WHERE status = 'confirmed') AS registered,"
        " count(checked_in_at) AS checked_in FROM registrations WHERE forum_id = %s GROUP BY 1",
        (forum_id,),
    ).fetchall()
    return (
        {row["stakeholder_group"]: row["registered"] for row in rows},
        {row["stakeholder_group"]: row["checked_in"] for row in rows},
    )


def keep_round(cur, round_id, forum_id, method, results, closed_at):
    cur.execute(
        "INSERT INTO rounds (round_id, forum_id, method, results, closed_at) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (round_id) DO NOTHING",
        (round_id, forum_id, method, Jsonb(results), closed_at),
    )


def last_round(cur, forum_id):
    """The forum's latest closed round, or None."""
    return cur.execute(
        "SELECT round_id, forum_id, method, results, closed_at FROM rounds WHERE forum_id = %s"
        " ORDER BY closed_at DESC LIMIT 1",
        (forum_id,),
    ).fetchone()


def keep_title(cur, topic_id, title, as_of):
    cur.execute(
        "INSERT INTO topic_titles AS t (topic_id, title, as_of) VALUES (%s, %s, %s)"
        " ON CONFLICT (topic_id) DO UPDATE SET title = excluded.title, as_of = excluded.as_of"
        " WHERE excluded.as_of >= t.as_of",
        (topic_id, title, as_of),
    )


def keep_carry_over(cur, topic_id, from_forum_id, to_forum_id, why, standing, as_of):
    """A topic carried over from a forum (the newest word of the organisers for it wins)."""
    cur.execute(
        "INSERT INTO carry_overs AS c (topic_id, from_forum_id, to_forum_id, why, standing, as_of)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (topic_id, from_forum_id) DO UPDATE SET"
        " to_forum_id = excluded.to_forum_id, why = excluded.why, standing = excluded.standing,"
        " as_of = excluded.as_of WHERE excluded.as_of >= c.as_of",
        (topic_id, from_forum_id, to_forum_id, why, Jsonb(standing), as_of),
    )


def carried_from(cur, forum_id):
    """The topics the forum carried onward, with their titles, in the order they were carried."""
    return cur.execute(
        "SELECT c.topic_id, t.title, c.to_forum_id, c.why, c.standing FROM carry_overs c"
        " LEFT JOIN topic_titles t USING (topic_id) WHERE c.from_forum_id = %s ORDER BY c.as_of, c.topic_id",
        (forum_id,),
    ).fetchall()


def carried_to(cur, forum_id):
    """The topics earlier forums carried to this one, with their titles."""
    return cur.execute(
        "SELECT c.topic_id, t.title, c.from_forum_id, c.why FROM carry_overs c"
        " LEFT JOIN topic_titles t USING (topic_id) WHERE c.to_forum_id = %s ORDER BY c.as_of, c.topic_id",
        (forum_id,),
    ).fetchall()


def titles(cur, topic_ids):
    rows = cur.execute(
        "SELECT topic_id, title FROM topic_titles WHERE topic_id = ANY(%s)", (list(topic_ids),)
    ).fetchall()
    return {str(row["topic_id"]): row["title"] for row in rows}
