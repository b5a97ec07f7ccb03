"""This service's own copy of the forums and their registrants, kept from the registration events.

Events about one forum or one registration travel on several queues (one per event type) and are
handled by several workers, so they arrive in any order. Each copy therefore only moves forward, by
(rank, event time): a registration goes waitlisted < confirmed < cancelled, a forum never leaves a final
status (cancelled, held), and within a rank the later event wins. An older event changes nothing.
"""

import hashlib
import uuid
from datetime import datetime
from typing import NamedTuple

from psycopg.types.json import Jsonb

from services.notification.incoming import FORUM

FINAL_FORUM_STATUSES = ("cancelled", "held")
REGISTRANT_RANKS = {"waitlisted": 1, "confirmed": 2, "cancelled": 3}

KEEP_FORUM = """
INSERT INTO roster_forums AS f (id, forum, status, rank, as_of)
VALUES (%(id)s, %(forum)s, %(status)s, %(rank)s, %(as_of)s)
ON CONFLICT (id) DO UPDATE SET forum = excluded.forum, status = excluded.status, rank = excluded.rank,
    as_of = excluded.as_of
WHERE (excluded.rank, excluded.as_of) >= (f.rank, f.as_of)
"""
KEEP_REGISTRANT = """
INSERT INTO roster_registrants AS r (registration_id, forum_id, person_id, token_version, email,
    first_name, last_name, locale, status, rank, as_of)
VALUES (%(registration_id)s, %(forum_id)s, %(person_id)s, %(token_version)s, %(email)s, %(first_name)s,
    %(last_name)s, %(locale)s, %(status)s, %(rank)s, %(as_of)s)
ON CONFLICT (registration_id) DO UPDATE SET forum_id = excluded.forum_id, person_id = excluded.person_id,
    token_version = greatest(r.token_version, excluded.token_version), email = excluded.email,
    first_name = excluded.first_name, last_name = excluded.last_name, locale = excluded.locale,
    status = excluded.status, rank = excluded.rank, as_of = excluded.as_of
WHERE (excluded.rank, excluded.as_of) >= (r.rank, r.as_of)
"""
# Registrants still concerned by a change made at %(as_of)s: a registrant whose own latest event is
# newer was told with a copy of the forum that already had the change.
TO_TELL = """
SELECT registration_id, person_id, token_version, email, first_name, last_name, locale, status
FROM roster_registrants
WHERE forum_id = %(forum_id)s AND status IN ('confirmed', 'waitlisted') AND as_of < %(as_of)s
ORDER BY registration_id
"""
ERASED = """
SELECT 1 FROM erased_people
WHERE (email_sha256 = %(digest)s OR person_id = %(person_id)s) AND as_of > %(as_of)s LIMIT 1
"""


class ForumCopy(NamedTuple):
    forum: dict
    status: str
    as_of: datetime


def keep_forum(cur, forum, status, as_of):
    """Record this copy of the forum unless a newer one is known; return the newest copy."""
    rank = 1 if status in FINAL_FORUM_STATUSES else 0
    row = {
        "id": forum["id"],
        "forum": Jsonb(FORUM.dump(forum)),
        "status": status,
        "rank": rank,
        "as_of": as_of,
    }
    cur.execute(KEEP_FORUM, row)
    if cur.rowcount == 1:
        return ForumCopy(forum, status, as_of)
    cur.execute("SELECT forum, status, as_of FROM roster_forums WHERE id = %s", (forum["id"],))
    newest = cur.fetchone()
    return ForumCopy(FORUM.load(newest["forum"]), newest["status"], newest["as_of"])


def keep_registrant(cur, registration, status, as_of):
    """Record the registrant's new state; False if a newer state is already known (this one is stale)."""
    person = registration["person"]
    cur.execute(
        KEEP_REGISTRANT,
        {
            "registration_id": registration["registration_id"],
            "forum_id": registration["forum"]["id"],
            "person_id": person.get("person_id"),
            "token_version": person.get("token_version") or 0,
            "email": person["email"],
            "first_name": person["first_name"],
            "last_name": person["last_name"],
            "locale": person["locale"],
            "status": status,
            "rank": REGISTRANT_RANKS[status],
            "as_of": as_of,
        },
    )
    return cur.rowcount == 1


def keep_token_version(cur, person_id, token_version):
    """The person's links were revoked: the management links of later messages (reminders, changes of
    date) get the new version. A version only grows: an older event, handled late, changes nothing."""
    cur.execute(
        "UPDATE roster_registrants SET token_version = %s WHERE person_id = %s AND token_version < %s",
        (token_version, person_id, token_version),
    )


def registrants_to_tell(cur, forum_id, as_of, batch=500):
    """Confirmed and waitlisted registrants of the forum, fetched a batch at a time (bounded memory)."""
    with cur.connection.cursor(name=f"roster_{uuid.uuid4().hex}") as rows:
        rows.itersize = batch
        rows.execute(TO_TELL, {"forum_id": forum_id, "as_of": as_of})
        yield from rows


def email_digest(email):
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def erased(cur, person, as_of):
    """True if this person was erased after ``as_of``: the event is older than the erasure."""
    params = {"digest": email_digest(person["email"]), "person_id": person.get("person_id"), "as_of": as_of}
    cur.execute(ERASED, params)
    return cur.fetchone() is not None


def forget(cur, person_id, email, as_of):
    """Drop the person from the roster, keeping only what recognises their late events."""
    cur.execute(
        "INSERT INTO erased_people (person_id, email_sha256, as_of) VALUES (%s, %s, %s)",
        (person_id, email_digest(email), as_of),
    )
    cur.execute(
        "DELETE FROM roster_registrants WHERE person_id = %s OR lower(email) = lower(%s)", (person_id, email)
    )
