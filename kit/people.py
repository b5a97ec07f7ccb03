"""Participants, for a service that lets people take part (topics: proposals and ballots; restitution:
comments): who they are, kept from the registration events, and a participant recognised by the token of
a management link.

There are no accounts. A participant is the person behind a management link's token (``kit.tokens``,
purpose ``manage``, signed with the platform's shared key), whom the service knows as verified: a
registrant of any forum of the series, or a confirmed subscriber. The service keeps its own copy of those
facts (its table ``people``, made by its own migration with the columns below) and never asks the
registration service, so it keeps working, with its own data, while registration is down. A token of an
older version than the newest the service has seen (a revoked link) is refused; a valid token of a newer
version than it knows (an event not yet arrived) is taken, and tells it the newer version at once.
"""

from marshmallow import fields

from kit import inbox, tokens
from kit.events import Reading
from kit.tokens import InvalidToken


# What the registration events tell of a person (each service's ``incoming`` nests it in its readings).
class Person(Reading):
    person_id = fields.UUID(required=True)
    token_version = fields.Integer(load_default=0)


class Subscription(Reading):
    person = fields.Nested(Person, required=True)


class LinkRequested(Reading):
    person = fields.Nested(Person, required=True)


class Erased(Reading):
    person_id = fields.UUID(required=True)


READINGS = {
    "subscription_confirmed": Subscription(),
    "management_link_requested": LinkRequested(),
    "person_erased": Erased(),
}

COLUMNS = "people AS p (person_id, token_version, verified, stakeholder_group, group_as_of)"
# Each fact only moves forward, and a row is rewritten only when one does: a repeated fact writes nothing.
MOVE_FORWARD = """
ON CONFLICT (person_id) DO UPDATE SET
    token_version = greatest(p.token_version, excluded.token_version),
    verified = p.verified OR excluded.verified,
    stakeholder_group = CASE WHEN excluded.stakeholder_group IS NOT NULL
        AND (p.group_as_of IS NULL OR excluded.group_as_of > p.group_as_of)
        THEN excluded.stakeholder_group ELSE p.stakeholder_group END,
    group_as_of = CASE WHEN excluded.stakeholder_group IS NOT NULL
        AND (p.group_as_of IS NULL OR excluded.group_as_of > p.group_as_of)
        THEN excluded.group_as_of ELSE p.group_as_of END
WHERE p.erased_at IS NULL AND (excluded.token_version > p.token_version OR (excluded.verified AND NOT p.verified)
    OR (excluded.stakeholder_group IS NOT NULL AND (p.group_as_of IS NULL OR excluded.group_as_of > p.group_as_of)))
"""
KEEP = f"""
INSERT INTO {COLUMNS}
VALUES (%(person_id)s, %(token_version)s, %(verified)s, %(group)s, %(as_of)s)
{MOVE_FORWARD}"""
# The same, as an effect of an event recorded in the same statement (``kit.inbox.once``).
KEEP_ONCE = f"""
INSERT INTO {COLUMNS}
SELECT %(person_id)s::uuid, %(token_version)s::integer, %(verified)s::boolean, %(group)s::text,
    %(as_of)s::timestamptz
WHERE {inbox.FIRST}
{MOVE_FORWARD}"""


class NotAParticipant(Exception):
    """A valid link of a person the series does not know as a registrant or a confirmed subscriber (an
    expected error of every service that lets people take part)."""


def participant(cur, secret, token):
    """The person behind ``token``: ``{"person_id", "token_version", "verified", "stakeholder_group",
    "erased_at"}``; InvalidToken (a tampered, expired or revoked link, or an erased person), or
    NotAParticipant for an address never verified."""
    subject, version = tokens.read(secret, token, "manage")
    person = read(cur, subject)
    if person is not None and person["erased_at"] is not None:
        raise InvalidToken("this link is no longer valid")
    if person is None or not person["verified"]:
        raise NotAParticipant("the forums' registrants and confirmed subscribers take part here")
    if version < person["token_version"]:
        raise InvalidToken("this link is no longer valid")
    if version > person["token_version"]:
        keep(cur, person["person_id"], version)
    return person


# What each registration event tells of a person.
def registrant(cur, person, group, as_of):
    cur.execute(KEEP, registrant_facts(person, group, as_of))


def subscriber(cur, person):
    keep(cur, person["person_id"], person["token_version"], True)


def link_requested(cur, person):
    keep(cur, person["person_id"], person["token_version"])


def keep(cur, person_id, token_version, verified=False, group=None, as_of=None):
    """What one event tells of a person: their newest link version, whether their address is verified
    (a registrant, a confirmed subscriber), the group they declared at ``as_of``. Each fact only moves
    forward; nothing is kept of an erased person."""
    cur.execute(KEEP, facts(person_id, token_version, verified, group, as_of))


def facts(person_id, token_version, verified=False, group=None, as_of=None):
    """The parameters of KEEP and KEEP_ONCE."""
    return {"person_id": person_id, "token_version": token_version, "verified": verified, "group": group,
            "as_of": as_of}  # fmt: skip


def registrant_facts(person, group, as_of):
    """What a registration event tells of the person (KEEP_ONCE's parameters)."""
    return facts(person["person_id"], person["token_version"], True, group, as_of)


def read(cur, person_id):
    return cur.execute(
        "SELECT person_id, token_version, verified, stakeholder_group, erased_at FROM people"
        " WHERE person_id = %s",
        (person_id,),
    ).fetchone()


def declare_group(cur, person_id, group, at):
    """A group declared by someone who never declared one (with a first ballot)."""
    cur.execute(
        "UPDATE people SET stakeholder_group = %s, group_as_of = %s"
        " WHERE person_id = %s AND stakeholder_group IS NULL",
        (group, at, person_id),
    )


def erase(cur, person_id):
    """The person is erased: nothing of theirs is kept from now on, whatever event comes late."""
    cur.execute(
        "INSERT INTO people (person_id, erased_at) VALUES (%s, now())"
        " ON CONFLICT (person_id) DO UPDATE SET erased_at = coalesce(people.erased_at, now()),"
        " stakeholder_group = NULL, group_as_of = NULL",
        (person_id,),
    )
