"""The roster tables: this service's copy of the forums (roster_forums) and their registrants
(roster_registrants), the people erased (erased_people) and the subscribers to announcements.

A forum's and a registrant's row only move forward, by (rank, event time): the upserts compare them in
their own ``WHERE``, so two events handled at once cannot both win. The ranks come from
``services.notification.rules``.

A forum's copy is written by its own events (``KEEP_FORUM``), under the forum's exclusive lock, and by a
registration event only when what it carries differs from the copy kept (``KEEP_REGISTRATION``), under
the shared one: every registration carries the forum, and when each of them rewrote its row (newer
``as_of``, same content) every concurrent handler waited on that one row lock. Skipping the write loses
nothing: the forum's content only changes through a forum event, which always writes, and from the
newest of them on, every event carries that content. The lock (``hold_forum``, an advisory lock that
lives in memory only) keeps what the row lock gave: a registration handled while a change of the forum
is handled waits for it (its message then speaks of the new copy), or commits before the change reads
the registrants to tell (and is told).
"""

import uuid

KEEP_FORUM = """
INSERT INTO roster_forums AS f (id, forum, status, rank, as_of)
VALUES (%(id)s, %(forum)s, %(status)s, %(rank)s, %(as_of)s)
ON CONFLICT (id) DO UPDATE SET forum = excluded.forum, status = excluded.status, rank = excluded.rank,
    as_of = excluded.as_of
WHERE (excluded.rank, excluded.as_of) >= (f.rank, f.as_of)
"""
# The forum's lock: shared for a registration event, exclusive for a forum event (two-key form, a space
# of this service's own; the mail sender's claims and the moderation digest use others).
FORUM_SPACE = 0x72737472  # "rstr"
HOLD_FORUM = "SELECT {function}(%(space)s::int, hashtext(%(id)s::text))"
# A registration event's first statement: the forum's shared lock, and whether the person was erased
# after the event (see ERASED).
HOLD_FORUM_UNLESS_ERASED = """
SELECT pg_advisory_xact_lock_shared(%(space)s::int, hashtext(%(id)s::text)), EXISTS (
    SELECT FROM erased_people
    WHERE (email_sha256 = %(digest)s OR person_id = %(person_id)s) AND as_of > %(as_of)s) AS erased
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
# A registration event, in one statement: the forum's copy written only if what the event carries differs
# from it (then as KEEP_FORUM does), and the registrant as KEEP_REGISTRANT; it answers whether each was
# written, and whether the copy kept was the same as the event's (``same``, then its ``as_of``).
KEEP_REGISTRATION = f"""
WITH stored AS (SELECT forum, status, as_of FROM roster_forums WHERE id = %(forum_id)s),
forum AS (
    INSERT INTO roster_forums AS f (id, forum, status, rank, as_of)
    SELECT %(forum_id)s, %(forum)s, %(forum_status)s, %(forum_rank)s, %(as_of)s
    WHERE NOT EXISTS (SELECT FROM stored WHERE forum = %(forum)s AND status = %(forum_status)s)
    ON CONFLICT (id) DO UPDATE SET forum = excluded.forum, status = excluded.status, rank = excluded.rank,
        as_of = excluded.as_of
    WHERE (excluded.rank, excluded.as_of) >= (f.rank, f.as_of)
    RETURNING 1),
registrant AS ({KEEP_REGISTRANT.strip()}
    RETURNING 1)
SELECT (SELECT count(*) FROM forum) AS forum_written, (SELECT count(*) FROM registrant) AS registrant_kept,
    EXISTS (SELECT FROM stored WHERE forum = %(forum)s AND status = %(forum_status)s) AS same,
    (SELECT as_of FROM stored) AS as_of
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


def hold_forum(cur, forum_id, exclusive=False):
    """Hold the forum's lock until the transaction ends: exclusive to write its copy from a forum event,
    shared for a registration event."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    cur.execute(HOLD_FORUM.format(function=function), {"space": FORUM_SPACE, "id": str(forum_id)})


def hold_forum_unless_erased(cur, forum_id, digest, person_id, as_of):
    """The forum's shared lock (``hold_forum``), and True if the person (by the digest of their address,
    or their id) was erased after ``as_of``."""
    params = {"space": FORUM_SPACE, "id": str(forum_id), "digest": digest, "person_id": person_id}
    return cur.execute(HOLD_FORUM_UNLESS_ERASED, params | {"as_of": as_of}).fetchone()["erased"]


def keep_registration(cur, row):
    """A registration event (``row``: the columns of KEEP_REGISTRANT, and the forum's ``forum``,
    ``forum_status`` and ``forum_rank``): ``forum_written``, ``registrant_kept`` (0 or 1), ``same`` (the
    copy kept was the event's, not written again) and that copy's ``as_of``."""
    return cur.execute(KEEP_REGISTRATION, row).fetchone()


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
