"""Who takes part: the people the registration events tell of, and a participant recognised by the token
of a management link.

There are no accounts. A participant is the person behind a management link's token (``kit.tokens``,
purpose ``manage``, signed with the platform's shared key), whom this service knows as verified: a
registrant of any forum of the series, or a confirmed subscriber. This service keeps its own copy of
those facts from the registration events and never asks the registration service, so it keeps working,
with its own data, while registration is down. A token of an older version than the newest this service
has seen (a revoked link) is refused; a valid token of a newer version than it knows (an event not yet
arrived) is taken, and tells it the newer version at once.
"""

from kit import tokens
from kit.serial import jsonable
from kit.tokens import InvalidToken
from services.topics import store
from services.topics.errors import NotAParticipant
from services.topics.views import topic_view


def participant(tx, token):
    """The person behind ``token``: ``{"person_id", "stakeholder_group"}``; InvalidToken (a tampered,
    expired or revoked link, or an erased person) or NotAParticipant (an address never verified)."""
    subject, version = tokens.read(tx.secret, token, "manage")
    person = store.people.read(tx.cur, subject)
    if person is not None and person["erased_at"] is not None:
        raise InvalidToken("this link is no longer valid")
    if person is None or not person["verified"]:
        raise NotAParticipant(
            "topics are proposed and prioritised by the forums' registrants and confirmed subscribers"
        )
    if version < person["token_version"]:
        raise InvalidToken("this link is no longer valid")
    if version > person["token_version"]:
        store.people.keep(tx.cur, person["person_id"], version)
    return person


# What each registration event tells of a person (handlers: service.py; readings: incoming.py).
def registrant(tx, envelope, data):
    store.forums.keep(tx.cur, data["forum"], envelope["time"])
    person = data["person"]
    store.people.keep(
        tx.cur,
        person["person_id"],
        person["token_version"],
        True,
        data["stakeholder_group"],
        envelope["time"],
    )


def subscriber(tx, envelope, data):
    person = data["person"]
    store.people.keep(tx.cur, person["person_id"], person["token_version"], True)


def link_requested(tx, envelope, data):
    person = data["person"]
    store.people.keep(tx.cur, person["person_id"], person["token_version"])


def forum(tx, envelope, data):
    store.forums.keep(tx.cur, data["forum"], envelope["time"])


def erased(tx, envelope, data):
    """Authorship and ballots are detached from the person; topics and totals stay."""
    person_id = data["person_id"]
    store.people.erase(tx.cur, person_id)
    store.topics.forget_proposer(tx.cur, person_id)
    store.rounds.forget_voter(tx.cur, person_id)


def export(tx, token):
    """What this service holds of the person: their proposals and their ballots."""
    person = participant(tx, token)
    return {
        "stakeholder_group": person["stakeholder_group"],
        "proposals": [topic_view(row) for row in store.topics.of_proposer(tx.cur, person["person_id"])],
        "ballots": jsonable(
            [dict(row) for row in store.rounds.ballots_of_person(tx.cur, person["person_id"])]
        ),
    }
