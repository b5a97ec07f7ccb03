"""The roster tables: this service's copy of the forums (roster_forums) and their registrants
(roster_registrants), the people erased (erased_people) and the subscribers to announcements.

A forum's and a registrant's row only move forward, by (rank, event time): the upserts compare them in
their own ``WHERE``, so two events handled at once cannot both win. The ranks come from
``services.notification.rules``.
"""

import uuid

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
CONFIRMED_AFTER = """
SELECT registration_id, person_id, token_version, email, first_name, last_name, locale, status
FROM roster_registrants
WHERE forum_id = %s AND status = 'confirmed' AND registration_id > %s
ORDER BY registration_id LIMIT %s
"""
ERASED = """
SELECT 1 FROM erased_people
WHERE (email_sha256 = %(digest)s OR person_id = %(person_id)s) AND as_of > %(as_of)s LIMIT 1
"""
# A subscriber's newest state; an ended subscription stays ended. The unsubscribe event names no one
# (empty names): the address known stays.
KEEP_SUBSCRIBER = """
INSERT INTO subscribers AS s (subscription_id, person_id, email, first_name, last_name, locale, status, as_of,
                              token_version)
VALUES (%(subscription_id)s, %(person_id)s, %(email)s, %(first_name)s, %(last_name)s, %(locale)s,
        %(status)s, %(as_of)s, %(token_version)s)
ON CONFLICT (subscription_id) DO UPDATE SET status = excluded.status, as_of = excluded.as_of,
    token_version = greatest(s.token_version, excluded.token_version),
    email = CASE WHEN excluded.first_name = '' AND excluded.status = 'ended' THEN s.email ELSE excluded.email END
WHERE s.status <> 'ended' AND excluded.as_of >= s.as_of
"""


def keep_forum(cur, row):
    """Record this copy of the forum (``row``: the columns of KEEP_FORUM); False if a newer one is known."""
    cur.execute(KEEP_FORUM, row)
    return cur.rowcount == 1


def newest_forum(cur, forum_id):
    """``forum`` (as stored), ``status`` and ``as_of`` of the newest copy known."""
    cur.execute("SELECT forum, status, as_of FROM roster_forums WHERE id = %s", (forum_id,))
    return cur.fetchone()


def keep_registrant(cur, row):
    """Record the registrant's state (``row``: the columns of KEEP_REGISTRANT); False if a newer one is
    known."""
    cur.execute(KEEP_REGISTRANT, row)
    return cur.rowcount == 1


def raise_registrant_token_version(cur, person_id, token_version):
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


def confirmed_after(cur, forum_id, after, limit):
    """The next ``limit`` confirmed registrants of the forum, by registration id after ``after``."""
    return cur.execute(CONFIRMED_AFTER, (forum_id, after, limit)).fetchall()


def erased_after(cur, digest, person_id, as_of):
    """True if the person (by the digest of their address, or their id) was erased after ``as_of``."""
    cur.execute(ERASED, {"digest": digest, "person_id": person_id, "as_of": as_of})
    return cur.fetchone() is not None


def record_erasure(cur, person_id, digest, as_of):
    cur.execute(
        "INSERT INTO erased_people (person_id, email_sha256, as_of) VALUES (%s, %s, %s)",
        (person_id, digest, as_of),
    )


def drop_registrants(cur, person_id, email):
    cur.execute(
        "DELETE FROM roster_registrants WHERE person_id = %s OR lower(email) = lower(%s)", (person_id, email)
    )


def keep_subscriber(cur, row):
    """Record the subscriber's state (``row``: the columns of KEEP_SUBSCRIBER), unless ended or older."""
    cur.execute(KEEP_SUBSCRIBER, row)


def raise_subscriber_token_version(cur, person_id, token_version):
    """The person's links were revoked: their announcements' unsubscribe links get the new version (a
    version only grows, so an older event, handled late, changes nothing)."""
    cur.execute(
        "UPDATE subscribers SET token_version = %s WHERE person_id = %s AND token_version < %s",
        (token_version, person_id, token_version),
    )


def drop_subscribers(cur, person_id, email):
    cur.execute(
        "DELETE FROM subscribers WHERE person_id = %s OR lower(email) = lower(%s)", (person_id, email)
    )


# A round's call goes to the forum's registrants as they stand when it is handled.
REGISTRANTS = """
SELECT registration_id, person_id, token_version, email, first_name, last_name, locale, status
FROM roster_registrants WHERE forum_id = %(forum_id)s AND status IN ('confirmed', 'waitlisted')
ORDER BY registration_id
"""
# What the roster knows of some people, by person id: every registration's and subscription's row
# (``rules.contacts`` chooses where each is reached).
ABOUT_PEOPLE = """
SELECT person_id, email, first_name, last_name, locale, token_version, status, as_of, 'registrant' AS source
FROM roster_registrants WHERE person_id = ANY(%(ids)s)
UNION ALL
SELECT person_id, email, first_name, last_name, locale, token_version, status, as_of, 'subscriber' AS source
FROM subscribers WHERE person_id = ANY(%(ids)s)
"""


def registrants_of(cur, forum_id, batch=500):
    """The forum's confirmed and waitlisted registrants, fetched a batch at a time (bounded memory)."""
    with cur.connection.cursor(name=f"roster_{uuid.uuid4().hex}") as rows:
        rows.itersize = batch
        rows.execute(REGISTRANTS, {"forum_id": forum_id})
        yield from rows


def about_people(cur, person_ids):
    """The roster's rows (registrants' and subscribers') about these people."""
    return cur.execute(ABOUT_PEOPLE, {"ids": list(person_ids)}).fetchall()
