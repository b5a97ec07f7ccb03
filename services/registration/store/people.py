"""The people table: one row per email address (any case), with the version its links are minted with.

Bumping ``token_version`` revokes every link minted before; an erased person keeps their row (its id is
what the events and the audit trail named) with nothing left to tell who they were.
"""

import uuid


def find_or_create(cur, email):
    """The person behind ``email`` (created if new): ``{"id", "email", "token_version"}``."""
    return cur.execute(
        "INSERT INTO people (id, email) VALUES (%s, %s)"
        " ON CONFLICT ((lower(email))) DO UPDATE SET email = people.email"
        " RETURNING id, email, token_version",
        (uuid.uuid4(), email),
    ).fetchone()


def lock(cur, person_id):
    """Hold the person's row until the transaction ends (a registration holds it before its forum's)."""
    cur.execute("SELECT id FROM people WHERE id = %s FOR UPDATE", (person_id,))


def find(cur, email):
    """``{"id", "email", "token_version"}`` of the person behind ``email``, or None."""
    return cur.execute(
        "SELECT id, email, token_version FROM people WHERE lower(email) = lower(%s)", (email,)
    ).fetchone()


def not_erased(cur, person_id):
    """``{"id", "email", "token_version"}`` of the person, or None if unknown or erased."""
    return cur.execute(
        "SELECT id, email, token_version FROM people WHERE id = %s AND erased_at IS NULL", (person_id,)
    ).fetchone()


def subscriber(cur, subscription_id):
    """``{"token_version"}`` of the person a subscription is for, or None if unknown or erased."""
    return cur.execute(
        "SELECT p.token_version FROM subscriptions s JOIN people p ON p.id = s.person_id"
        " WHERE s.id = %s AND p.erased_at IS NULL",
        (subscription_id,),
    ).fetchone()


def held(cur, person_id):
    """What is held on the person themselves: ``{"id", "email", "created_at"}``."""
    return cur.execute("SELECT id, email, created_at FROM people WHERE id = %s", (person_id,)).fetchone()


def names(cur, person_id):
    """``{"first_name", "last_name", "locale"}`` as the person gave them on a registration or a
    subscription, or None if they gave none."""
    return cur.execute(
        "SELECT first_name, last_name, locale FROM registrations WHERE person_id = %s"
        " UNION ALL SELECT first_name, last_name, locale FROM subscriptions WHERE person_id = %s LIMIT 1",
        (person_id, person_id),
    ).fetchone()


def bump_token_version(cur, person_id):
    """Every link minted for this person before now stops working; returns the new version."""
    return cur.execute(
        "UPDATE people SET token_version = token_version + 1 WHERE id = %s RETURNING token_version",
        (person_id,),
    ).fetchone()["token_version"]


def erase(cur, person_id, now):
    """The address replaced by a placeholder, every link revoked, the erasure dated."""
    cur.execute(
        "UPDATE people SET email = 'erased+' || id || '@erased.invalid', erased_at = %s,"
        " token_version = token_version + 1 WHERE id = %s",
        (now, person_id),
    )
