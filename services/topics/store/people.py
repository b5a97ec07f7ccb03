"""The people who may take part (table ``people``), as the registration events tell of them."""

KEEP = """
INSERT INTO people AS p (person_id, token_version, verified, stakeholder_group, group_as_of)
VALUES (%(person_id)s, %(token_version)s, %(verified)s, %(group)s, %(as_of)s)
ON CONFLICT (person_id) DO UPDATE SET
    token_version = greatest(p.token_version, excluded.token_version),
    verified = p.verified OR excluded.verified,
    stakeholder_group = CASE WHEN excluded.stakeholder_group IS NOT NULL
        AND (p.group_as_of IS NULL OR excluded.group_as_of > p.group_as_of)
        THEN excluded.stakeholder_group ELSE p.stakeholder_group END,
    group_as_of = CASE WHEN excluded.stakeholder_group IS NOT NULL
        AND (p.group_as_of IS NULL OR excluded.group_as_of > p.group_as_of)
        THEN excluded.group_as_of ELSE p.group_as_of END
WHERE p.erased_at IS NULL
"""


def keep(cur, person_id, token_version, verified=False, group=None, as_of=None):
    """What one event tells of a person: their newest link version, whether their address is verified
    (a registrant, a confirmed subscriber), the group they declared at ``as_of``. Each fact only moves
    forward; nothing is kept of an erased person."""
    cur.execute(
        KEEP,
        {"person_id": person_id, "token_version": token_version, "verified": verified, "group": group,
         "as_of": as_of},
    )  # fmt: skip


def read(cur, person_id):
    return cur.execute(
        "SELECT person_id, token_version, verified, stakeholder_group, erased_at FROM people"
        " WHERE person_id = %s",
        (person_id,),
    ).fetchone()


def declare_group(cur, person_id, group, at):
    """A group declared with a first ballot, by someone who never declared one."""
    cur.execute(
        "UPDATE people SET stakeholder_group = %s, group_as_of = %s"
        " WHERE person_id = %s AND stakeholder_group IS NULL",
        (group, at, person_id),
    )


def erase(cur, person_id):
    """Whether the person was known (and is now erased)."""
    cur.execute(
        "INSERT INTO people (person_id, erased_at) VALUES (%s, now())"
        " ON CONFLICT (person_id) DO UPDATE SET erased_at = coalesce(people.erased_at, now()),"
        " stakeholder_group = NULL, group_as_of = NULL",
        (person_id,),
    )
