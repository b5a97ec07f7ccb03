"""The subscriptions table: "keep me informed", pending until confirmed, then ended (at most one not
ended per person)."""

import uuid

COLUMNS = "id, person_id, first_name, last_name, locale, stakeholder_group, status, created_at, confirmed_at, ended_at"


def active_of_person(cur, person_id):
    """The person's subscription not ended, or None."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM subscriptions WHERE person_id = %s AND status <> 'ended'", (person_id,)
    ).fetchone()


def lock_active_of_person(cur, person_id):
    """The person's subscriptions not ended, locked until the transaction ends."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM subscriptions WHERE person_id = %s AND status <> 'ended' FOR UPDATE",
        (person_id,),
    ).fetchall()


def lock_with_person(cur, subscription_id):
    """The subscription, locked, with its person's ``email`` and ``token_version``; None if unknown."""
    return cur.execute(
        f"SELECT {', '.join('s.' + c.strip() for c in COLUMNS.split(','))}, p.email, p.token_version"
        " FROM subscriptions s"
        " JOIN people p ON p.id = s.person_id WHERE s.id = %s FOR UPDATE OF s",
        (subscription_id,),
    ).fetchone()


def of_person(cur, person_id):
    """Every subscription of the person, oldest first."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM subscriptions WHERE person_id = %s ORDER BY created_at", (person_id,)
    ).fetchall()


def insert_pending(cur, person_id, data):
    return cur.execute(
        "INSERT INTO subscriptions (id, person_id, first_name, last_name, locale, stakeholder_group, status)"
        f" VALUES (%s, %s, %s, %s, %s, %s, 'pending') RETURNING {COLUMNS}",
        (
            uuid.uuid4(), person_id, data.get("first_name", ""), data.get("last_name", ""),
            data.get("locale", "fr"), data.get("stakeholder_group"),
        ),
    ).fetchone()  # fmt: skip


def mark_confirmed(cur, subscription_id, now):
    cur.execute(
        "UPDATE subscriptions SET status = 'confirmed', confirmed_at = %s WHERE id = %s",
        (now, subscription_id),
    )


def mark_ended(cur, subscription_id, now):
    cur.execute(
        "UPDATE subscriptions SET status = 'ended', ended_at = %s WHERE id = %s", (now, subscription_id)
    )


def anonymise(cur, person_id):
    """Nothing left to tell who the person's subscriptions were for."""
    cur.execute("UPDATE subscriptions SET first_name = '', last_name = '' WHERE person_id = %s", (person_id,))
