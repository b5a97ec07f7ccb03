"""This service's own copy of the forums and their registrants, kept from the registration events.

Events about one forum or one registration travel on several queues (one per event type) and are
handled by several workers, so they arrive in any order. Each copy therefore only moves forward, by
(rank, event time): a registration goes waitlisted < confirmed < cancelled, a forum never leaves a final
status (cancelled, held), and within a rank the later event wins. An older event changes nothing. The
ranks are ``rules``'; the statements, which compare them as they write, are ``store.roster``'s.

A registration event writes the forum's copy only when what it carries differs from it, under the
forum's shared lock; a forum event always writes it, under the exclusive one (``store.roster`` says why
that is enough, and what the lock keeps).
"""

import hashlib
from datetime import datetime
from typing import NamedTuple

from psycopg.types.json import Jsonb

from services.notification import rules, store
from services.notification.incoming import FORUM


class ForumCopy(NamedTuple):
    forum: dict
    status: str
    as_of: datetime


def keep_forum(cur, forum, status, as_of):
    """A forum event: record this copy of the forum unless a newer one is known; return the newest copy.
    Holds the forum's exclusive lock until the transaction ends."""
    store.roster.hold_forum(cur, forum["id"], exclusive=True)
    row = {
        "id": forum["id"],
        "forum": Jsonb(FORUM.dump(forum)),
        "status": status,
        "rank": rules.forum_rank(status),
        "as_of": as_of,
    }
    if store.roster.keep_forum(cur, row):
        return ForumCopy(forum, status, as_of)
    newest = store.roster.newest_forum(cur, forum["id"])
    return ForumCopy(FORUM.load(newest["forum"]), newest["status"], newest["as_of"])


def keep_registrant(cur, registration, status, as_of):
    """Record the registrant's new state; False if a newer state is already known (this one is stale)."""
    return store.roster.keep_registrant(cur, registrant_row(registration, status, as_of))


def registration_gate(cur, registration, as_of):
    """A registration event's first step: hold the forum's shared lock; True if the person was erased
    after the event (nothing is then written for them)."""
    person = registration["person"]
    return store.roster.hold_forum_unless_erased(
        cur, registration["forum"]["id"], email_digest(person["email"]), person.get("person_id"), as_of
    )


def keep_registration(cur, registration, forum_status, status, as_of):
    """A registration event, after ``registration_gate``: record the registrant's new state and, if what
    the event says of the forum differs from the copy kept, that copy as ``keep_forum`` does. Returns
    (the newest copy of the forum, False if a newer state of the registrant is already known)."""
    forum = registration["forum"]
    row = registrant_row(registration, status, as_of)
    row |= {"forum": Jsonb(FORUM.dump(forum)), "forum_status": forum_status}
    row |= {"forum_rank": rules.forum_rank(forum_status)}
    kept = store.roster.keep_registration(cur, row)
    if kept["forum_written"]:
        copy = ForumCopy(forum, forum_status, as_of)
    elif kept["same"]:
        copy = ForumCopy(forum, forum_status, max(as_of, kept["as_of"]))  # the same copy: nothing written
    else:  # a newer copy, or one written meanwhile
        newest = store.roster.newest_forum(cur, forum["id"])
        copy = ForumCopy(FORUM.load(newest["forum"]), newest["status"], newest["as_of"])
    return copy, bool(kept["registrant_kept"])


def registrant_row(registration, status, as_of):
    person = registration["person"]
    return {
        "registration_id": registration["registration_id"],
        "forum_id": registration["forum"]["id"],
        "person_id": person.get("person_id"),
        "token_version": person.get("token_version") or 0,
        "email": person["email"],
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "locale": person["locale"],
        "status": status,
        "rank": rules.registrant_rank(status),
        "as_of": as_of,
    }


def email_digest(email):
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def erased(cur, person, as_of):
    """True if this person was erased after ``as_of``: the event is older than the erasure."""
    return store.roster.erased_after(cur, email_digest(person["email"]), person.get("person_id"), as_of)


def forget(cur, person_id, email, as_of):
    """Drop the person from the roster, keeping only what recognises their late events."""
    store.roster.record_erasure(cur, person_id, email_digest(email), as_of)
    store.roster.drop_registrants(cur, person_id, email)
