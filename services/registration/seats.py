"""Who gets a seat. Every decision here is taken while the forum's row is locked (``lock_forum``), so
concurrent registrations and cancellations for one forum are decided one after the other, and the
database's own checks (``confirmed_count <= capacity``) stand behind it.

Seats: ``capacity`` in all; ``reserved_seats`` per stakeholder group while quotas are active; the rest
are open to everyone, first come, first served. After ``quota_release_at`` every seat is open.
"""

import secrets

from services.registration.errors import ForumNotFound
from services.registration.views import FORUM_COLUMNS

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread at the door


def attendee_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def quotas_active(forum, now):
    release = forum["quota_release_at"]
    return not forum["quotas_released"] and (release is None or now < release)


def seat_for(capacity, taken, groups, group, quotas_on):
    """'reserved', 'open' or None: the kind of seat a person of ``group`` can have now.

    ``groups`` maps each group to ``(reserved, confirmed)``; ``taken`` is the confirmed total.
    """
    if taken >= capacity:
        return None
    if not quotas_on:
        return "open"
    reserved, confirmed = groups.get(group, (0, 0))
    if confirmed < reserved:
        return "reserved"
    open_seats = capacity - sum(r for r, _ in groups.values())
    open_taken = sum(max(0, c - r) for r, c in groups.values())
    return "open" if open_taken < open_seats else None


def lock_forum(cur, forum_id, lock=True):
    """The forum row, locked until the transaction ends, and its groups as {group: (reserved, confirmed)}."""
    cur.execute(
        f"SELECT {FORUM_COLUMNS} FROM forums WHERE id = %s{' FOR UPDATE' if lock else ''}", (forum_id,)
    )
    forum = cur.fetchone()
    if forum is None:
        raise ForumNotFound(f"no forum {forum_id}")
    return forum, load_groups(cur, forum_id)


def load_groups(cur, forum_id):
    cur.execute(
        "SELECT stakeholder_group, reserved_seats, confirmed_count FROM forum_groups WHERE forum_id = %s",
        (forum_id,),
    )
    return {
        row["stakeholder_group"]: (row["reserved_seats"], row["confirmed_count"]) for row in cur.fetchall()
    }


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
    cur.execute(
        f"UPDATE forums SET confirmed_count = confirmed_count + %s WHERE id = %s RETURNING {FORUM_COLUMNS}",
        (delta, forum_id),
    )
    return cur.fetchone()


def next_to_promote(cur, forum, groups, now):
    """(registration id, why in words, the group whose reserved seat it is or None); all None if nobody
    can have the free seat."""
    quotas_on = quotas_active(forum, now)
    if forum["confirmed_count"] >= forum["capacity"]:
        return None, None, None
    under_quota = [g for g, (reserved, confirmed) in groups.items() if quotas_on and confirmed < reserved]
    if under_quota:  # a reserved seat is free: the first person waiting from a group under its quota
        cur.execute(
            "SELECT id, stakeholder_group FROM registrations WHERE forum_id = %s AND status = 'waitlisted'"
            " AND stakeholder_group = ANY(%s) ORDER BY waitlist_position LIMIT 1",
            (forum["id"], under_quota),
        )
        row = cur.fetchone()
        if row is not None:
            group = row["stakeholder_group"]
            reserved, confirmed = groups[group]
            return row["id"], f"a seat reserved for {group} ({confirmed} of {reserved} taken)", group
    if seat_for(forum["capacity"], forum["confirmed_count"], groups, None, quotas_on) != "open":
        return None, None, None
    cur.execute(
        "SELECT id FROM registrations WHERE forum_id = %s AND status = 'waitlisted'"
        " ORDER BY waitlist_position LIMIT 1",
        (forum["id"],),
    )
    row = cur.fetchone()
    return (row["id"], "first on the waiting list", None) if row else (None, None, None)
