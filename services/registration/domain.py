"""What registering means, as plain functions over a database cursor and an outbox.

Capacity is decided by the database: one conditional UPDATE on the forum row either takes a seat or
hands out the next waitlist position, so no number of concurrent registrations can overbook a forum.
"""

import re
import secrets
import unicodedata
import uuid


class RegistrationError(Exception):
    """Base of the errors this service raises on purpose (the gateway maps each to an HTTP status)."""


class ForumNotFound(RegistrationError):
    pass


class RegistrationClosed(RegistrationError):
    pass


class AlreadyRegistered(RegistrationError):
    pass


FORUM_COLUMNS = (
    "id, slug, title, description, starts_at, ends_at, timezone, venue_name, venue_address, venue_city,"
    " venue_accessibility, capacity, confirmed_count, waitlist_seq, status, created_at, updated_at"
)


def slugify(title):
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "forum"
    return f"{base}-{secrets.token_hex(3)}"


def forum_view(row):
    """A forum row as the outside world sees it."""
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "description": row["description"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "timezone": row["timezone"],
        "venue": {
            "name": row["venue_name"],
            "address": row["venue_address"],
            "city": row["venue_city"],
            "accessibility": row["venue_accessibility"],
        },
        "capacity": row["capacity"],
        "seats_left": row["capacity"] - row["confirmed_count"],
        "waitlist_length": row["waitlist_seq"],
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def create_forum(cur, outbox, data):
    venue = data["venue"]
    cur.execute(
        f"INSERT INTO forums (id, slug, title, description, starts_at, ends_at, timezone, venue_name,"
        f" venue_address, venue_city, venue_accessibility, capacity, status)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {FORUM_COLUMNS}",
        (
            uuid.uuid4(),
            slugify(data["title"]),
            data["title"],
            data.get("description", ""),
            data["starts_at"],
            data["ends_at"],
            data.get("timezone", "Europe/Paris"),
            venue["name"],
            venue["address"],
            venue["city"],
            venue.get("accessibility", ""),
            data["capacity"],
            data.get("status", "open"),
        ),
    )
    forum = forum_view(cur.fetchone())
    outbox.add(cur, "forum_scheduled", {"forum": forum})
    return forum


def get_forum(cur, forum_id):
    cur.execute(f"SELECT {FORUM_COLUMNS} FROM forums WHERE id = %s", (forum_id,))
    row = cur.fetchone()
    if row is None:
        raise ForumNotFound(f"no forum {forum_id}")
    return forum_view(row)


def _take_seat_or_waitlist(cur, forum_id):
    """Return (forum row, status, waitlist position) after taking a seat or a waitlist place."""
    cur.execute(
        f"UPDATE forums SET confirmed_count = confirmed_count + 1"
        f" WHERE id = %s AND status = 'open' AND confirmed_count < capacity RETURNING {FORUM_COLUMNS}",
        (forum_id,),
    )
    row = cur.fetchone()
    if row is not None:
        return row, "confirmed", None
    cur.execute(
        f"UPDATE forums SET waitlist_seq = waitlist_seq + 1"
        f" WHERE id = %s AND status = 'open' RETURNING {FORUM_COLUMNS}",
        (forum_id,),
    )
    row = cur.fetchone()
    if row is not None:
        return row, "waitlisted", row["waitlist_seq"]
    get_forum(cur, forum_id)  # raises ForumNotFound if it does not exist
    raise RegistrationClosed("this forum is not open for registration")


def register(cur, outbox, forum_id, data):
    """Register a person; the caller's transaction rolls everything back if anything here raises."""
    row, status, position = _take_seat_or_waitlist(cur, forum_id)
    registration_id = uuid.uuid4()
    cur.execute(
        "INSERT INTO registrations (id, forum_id, email, first_name, last_name, organisation,"
        " stakeholder_group, locale, status, waitlist_position)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (forum_id, lower(email)) DO NOTHING",
        (
            registration_id,
            forum_id,
            data["email"],
            data["first_name"],
            data["last_name"],
            data.get("organisation", ""),
            data["stakeholder_group"],
            data.get("locale", "fr"),
            status,
            position,
        ),
    )
    if cur.rowcount == 0:
        raise AlreadyRegistered("this address is already registered for this forum")
    forum = forum_view(row)
    event = {
        "registration_id": registration_id,
        "forum": forum,
        "person": {k: data[k] for k in ("email", "first_name", "last_name")}
        | {"locale": data.get("locale", "fr")},
        "organisation": data.get("organisation", ""),
        "stakeholder_group": data["stakeholder_group"],
        "status": status,
    }
    if status == "confirmed":
        outbox.add(cur, "registration_confirmed", event)
    else:
        outbox.add(cur, "registration_waitlisted", event | {"waitlist_position": position})
    return {
        "id": registration_id,
        "forum_id": forum_id,
        "status": status,
        "waitlist_position": position,
        "email": data["email"],
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "organisation": data.get("organisation", ""),
        "stakeholder_group": data["stakeholder_group"],
        "locale": data.get("locale", "fr"),
    }
