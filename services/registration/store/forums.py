"""The forums and forum_groups tables: a forum's row with its counters, and its seats per group.

``confirmed_count``, ``waitlist_seq`` and ``waiting_count`` on the forum's row, and ``confirmed_count``
per group, are kept here as seats are taken and given back, so that a decision needs no count. Whoever
changes them holds the forum's row (``lock``) until the transaction ends.
"""

import uuid

from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from services.registration.errors import ForumNotFound, SlugTaken

COLUMNS = (
    "id, slug, title, description, starts_at, ends_at, timezone, venue_name, venue_address, venue_city,"
    " venue_accessibility, capacity, confirmed_count, waitlist_seq, waiting_count, status,"
    " registration_opens_at, registration_closes_at, quota_release_at, quotas_released,"
    " cancellation_reason, agenda, documents, created_at, updated_at"
)
PROGRAMME = ("agenda", "documents")  # JSON lists


def read(cur, forum_id):
    """The forum row as it is now; ForumNotFound if there is none."""
    return _found(
        cur.execute(f"SELECT {COLUMNS} FROM forums WHERE id = %s", (forum_id,)).fetchone(), forum_id
    )


def lock(cur, forum_id):
    """The forum row, locked until the transaction ends; ForumNotFound if there is none."""
    row = cur.execute(f"SELECT {COLUMNS} FROM forums WHERE id = %s FOR UPDATE", (forum_id,)).fetchone()
    return _found(row, forum_id)


def seat_context(cur, forum_id, email):
    """Read with the forum's row already locked (a statement of its own, so that it sees what the
    transactions it waited for committed): ``(groups, already)``, the forum's seats per group as
    ``groups`` answers them and the names under which ``email`` already holds a seat or waits (or None),
    in one round trip."""
    row = cur.execute(
        "SELECT (SELECT coalesce(json_agg(json_build_array(stakeholder_group, reserved_seats, confirmed_count)),"
        " '[]') FROM forum_groups WHERE forum_id = %(f)s) AS groups,"
        " (SELECT json_build_object('first_name', first_name, 'last_name', last_name, 'locale', locale)"
        " FROM registrations WHERE forum_id = %(f)s AND lower(email) = lower(%(e)s) AND status <> 'cancelled')"
        " AS already",
        {"f": forum_id, "e": email},
    ).fetchone()
    return {group: (reserved, confirmed) for group, reserved, confirmed in row["groups"]}, row["already"]


def find(cur, forum_ref):
    """The forum named by its id or by its slug, or None."""
    try:
        key, value = "id", uuid.UUID(str(forum_ref))
    except ValueError:
        key, value = "slug", forum_ref
    return cur.execute(f"SELECT {COLUMNS} FROM forums WHERE {key} = %s", (value,)).fetchone()


def _found(row, forum_id):
    if row is None:
        raise ForumNotFound(f"no forum {forum_id}")
    return row


def groups(cur, forum_id):
    """The forum's seats per group: {group: (reserved, confirmed)}."""
    rows = cur.execute(
        "SELECT stakeholder_group, reserved_seats, confirmed_count FROM forum_groups WHERE forum_id = %s",
        (forum_id,),
    ).fetchall()
    return {row["stakeholder_group"]: (row["reserved_seats"], row["confirmed_count"]) for row in rows}


def insert_forum(cur, data, slug):
    """A new forum from the validated ``data``; SlugTaken if another forum has this slug."""
    venue = data["venue"]
    try:
        return cur.execute(
            "INSERT INTO forums (id, slug, title, description, starts_at, ends_at, timezone, venue_name,"
            " venue_address, venue_city, venue_accessibility, capacity, status, registration_opens_at,"
            " registration_closes_at, quota_release_at, agenda, documents)"
            f" VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
            (
                uuid.uuid4(), slug, data["title"], data.get("description", ""),
                data["starts_at"], data["ends_at"], data.get("timezone", "Europe/Paris"), venue["name"],
                venue["address"], venue["city"], venue.get("accessibility", ""), data["capacity"],
                data.get("status", "open"), data.get("registration_opens_at"), data.get("registration_closes_at"),
                data.get("quota_release_at"), Jsonb(data.get("agenda") or []), Jsonb(data.get("documents") or []),
            ),
        ).fetchone()  # fmt: skip
    except UniqueViolation:
        raise SlugTaken(f"the slug {data.get('slug')!r} is taken") from None


def update_forum(cur, forum_id, columns):
    """Set these columns (name -> value); SlugTaken if the new slug is another forum's."""
    assignments = ", ".join(f"{column} = %({column})s" for column in columns)
    values = {column: Jsonb(value) if column in PROGRAMME else value for column, value in columns.items()}
    try:
        return cur.execute(
            f"UPDATE forums SET {assignments}, updated_at = now() WHERE id = %(id)s RETURNING {COLUMNS}",
            values | {"id": forum_id},
        ).fetchone()
    except UniqueViolation:
        raise SlugTaken(f"the slug {columns.get('slug')!r} is taken") from None


def set_status(cur, forum_id, status, reason):
    return cur.execute(
        "UPDATE forums SET status = %s, cancellation_reason = %s, updated_at = now()"
        f" WHERE id = %s RETURNING {COLUMNS}",
        (status, reason, forum_id),
    ).fetchone()


def reserve_seats(cur, forum_id, quotas):
    """Each group's reserved seats as given ({group: seats}); other groups keep theirs."""
    for group, seats in quotas.items():
        cur.execute(
            "INSERT INTO forum_groups (forum_id, stakeholder_group, reserved_seats) VALUES (%s, %s, %s)"
            " ON CONFLICT (forum_id, stakeholder_group) DO UPDATE SET reserved_seats = EXCLUDED.reserved_seats",
            (forum_id, group, seats),
        )


def count_seat(cur, forum_id, group, delta):
    """Take (+1) or give back (-1) a seat of ``group``; returns the forum row as it now is."""
    # The group's row exists once a seat of it was taken, so giving one back is a plain UPDATE (an INSERT
    # of a negative count would trip the table's check before ON CONFLICT is considered).
    cur.execute(
        "INSERT INTO forum_groups (forum_id, stakeholder_group, confirmed_count) VALUES (%(f)s, %(g)s, %(d)s)"
        " ON CONFLICT (forum_id, stakeholder_group)"
        " DO UPDATE SET confirmed_count = forum_groups.confirmed_count + EXCLUDED.confirmed_count"
        if delta > 0
        else "UPDATE forum_groups SET confirmed_count = confirmed_count + %(d)s"
        " WHERE forum_id = %(f)s AND stakeholder_group = %(g)s",
        {"f": forum_id, "g": group, "d": delta},
    )
    return cur.execute(
        f"UPDATE forums SET confirmed_count = confirmed_count + %s WHERE id = %s RETURNING {COLUMNS}",
        (delta, forum_id),
    ).fetchone()


def take_seat(cur, forum_id, group):
    """The SQL that takes a seat of ``group`` (+1 on the group's row and on the forum's), as a
    ``WITH`` prefix and its parameters, for the statement that inserts the registration to run it
    (``registrations.insert_registration``): one round trip for both."""
    return (
        "WITH grp AS (INSERT INTO forum_groups (forum_id, stakeholder_group, confirmed_count)"
        " VALUES (%(forum)s, %(group)s, 1) ON CONFLICT (forum_id, stakeholder_group)"
        " DO UPDATE SET confirmed_count = forum_groups.confirmed_count + 1),"
        " seat AS (UPDATE forums SET confirmed_count = confirmed_count + 1 WHERE id = %(forum)s) ",
        {"forum": forum_id, "group": group},
    )


def take_waitlist_place(cur, forum_id):
    """As ``take_seat``, for one more person waiting (numbers only grow)."""
    return (
        "WITH place AS (UPDATE forums SET waitlist_seq = waitlist_seq + 1, waiting_count = waiting_count + 1"
        " WHERE id = %(forum)s) ",
        {"forum": forum_id},
    )


def leave_waitlist(cur, forum_id):
    """One person fewer waits (cancelled, or given a seat)."""
    cur.execute("UPDATE forums SET waiting_count = waiting_count - 1 WHERE id = %s", (forum_id,))


def mark_quotas_released(cur, forum_id):
    cur.execute("UPDATE forums SET quotas_released = true WHERE id = %s", (forum_id,))


def due_for_release(cur, now):
    """Ids of the forums still taking registrations whose reserved seats are due to be released."""
    rows = cur.execute(
        "SELECT id FROM forums WHERE NOT quotas_released AND quota_release_at <= %s AND status IN ('open', 'closed')",
        (now,),
    ).fetchall()
    return [row["id"] for row in rows]


def page(cur, when, now, after, include_drafts, limit):
    """Up to ``limit`` forums by start (latest first for ``when == "past"``), after the forum whose
    ``(starts_at, id)`` is ``after`` when given."""
    where, params = ["true"], []
    if not include_drafts:
        where.append("status <> 'draft'")
    if when != "all":
        where.append("ends_at >= %s" if when == "upcoming" else "ends_at < %s")
        params.append(now)
    descending = when == "past"
    if after:
        where.append("(starts_at, id) < (%s, %s)" if descending else "(starts_at, id) > (%s, %s)")
        params += after
    order = "DESC" if descending else "ASC"
    return cur.execute(
        f"SELECT {COLUMNS} FROM forums WHERE {' AND '.join(where)}"
        f" ORDER BY starts_at {order}, id {order} LIMIT %s",
        (*params, limit),
    ).fetchall()
