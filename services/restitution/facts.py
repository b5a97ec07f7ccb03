"""What the other services' events tell this service: the facts a restitution states, never retyped."""

from kit import people
from services.restitution import store

RANKS = {"waitlisted": 1, "confirmed": 2, "cancelled": 3}  # a registration only moves forward


def forum(tx, envelope, data):
    store.facts.keep_forum(tx.cur, data["forum"], envelope["time"])


def registration(cur, envelope, data):
    """A registration event with its inbox row, in one statement; False for a redelivery."""
    status = {"registration_confirmed": "confirmed", "registration_promoted": "confirmed",
              "registration_waitlisted": "waitlisted", "registration_cancelled": "cancelled"}[envelope["type"]]  # fmt: skip
    group = data["stakeholder_group"]
    registration = {"registration_id": data["registration_id"], "group": group, "status": status}
    registration |= {"rank": RANKS[status]}
    person = people.registrant_facts(data["person"], group, envelope["time"])  # may comment
    return store.facts.registration_once(cur, envelope, data["forum"], registration, person)


def subscriber(tx, envelope, data):
    people.subscriber(tx.cur, data["person"])


def link_requested(tx, envelope, data):
    people.link_requested(tx.cur, data["person"])


def checked_in(tx, envelope, data):
    store.facts.checked_in(
        tx.cur, data["registration_id"], data["forum_id"], data["stakeholder_group"], data["checked_in_at"]
    )


def round_closed(tx, envelope, data):
    store.facts.keep_round(
        tx.cur, data["round_id"], data["forum_id"], data["method"], data["results"], envelope["time"]
    )


def topic(tx, envelope, data):
    store.facts.keep_title(tx.cur, data["topic"]["id"], data["topic"]["title"], envelope["time"])


def carried_over(tx, envelope, data):
    topic(tx, envelope, data)
    store.facts.keep_carry_over(tx.cur, data["topic"]["id"], data["from_forum_id"], data["to_forum_id"],
                                data["why"], data["standing"], envelope["time"])  # fmt: skip
