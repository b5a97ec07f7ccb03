"""Who takes part: the people the registration events tell of, and a participant recognised by the token
of a management link (``kit.people``: the same rules for every service people take part in)."""

from kit import inbox, people
from kit.serial import jsonable
from services.topics import store
from services.topics.views import topic_view


def participant(tx, token):
    """The person behind ``token`` (``kit.people.participant``): a verified registrant or subscriber."""
    return people.participant(tx.cur, tx.secret, token)


# What each registration event tells of a person (handlers: service.py; readings: incoming.py).
REGISTRANT = f"forum AS ({store.forums.KEEP_UNLESS_SAME}), person AS ({people.KEEP_ONCE})"


def registrant(cur, envelope, data):
    """A registration event, with its inbox row, in one statement (``kit.inbox.once``): the forum's copy
    (unless the same is kept) and what it tells of the person. False for a redelivery."""
    params = store.forums.copy_of(data["forum"], envelope["time"])
    params |= people.registrant_facts(data["person"], data["stakeholder_group"], envelope["time"])
    return inbox.once(cur, envelope, REGISTRANT, params)


def subscriber(tx, envelope, data):
    people.subscriber(tx.cur, data["person"])


def link_requested(tx, envelope, data):
    people.link_requested(tx.cur, data["person"])


def forum(tx, envelope, data):
    store.forums.keep(tx.cur, data["forum"], envelope["time"])


def erased(tx, envelope, data):
    """Authorship and ballots are detached from the person; topics and totals stay."""
    person_id = data["person_id"]
    people.erase(tx.cur, person_id)
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
