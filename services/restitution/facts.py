"""What the other services' events tell this service: the facts a restitution states, never retyped."""

from kit import people
from services.restitution import store

RANKS = {"waitlisted": 1, "confirmed": 2, "cancelled": 3}  # a registration only moves forward


def forum(tx, envelope, data):
    store.facts.keep_forum(tx.cur, data["forum"], envelope["time"])


def registration(tx, envelope, data):
    store.facts.keep_forum(tx.cur, data["forum"], envelope["time"])
    status = {"registration_confirmed": "confirmed", "registration_promoted": "confirmed",
              "registration_waitlisted": "waitlisted", "registration_cancelled": "cancelled"}[envelope["type"]]  # fmt: skip
    store.facts.keep_registration(
        tx.cur,
        data["registration_id"],
        data["forum"]["id"],
        data["stakeholder_group"],
        status,
        RANKS[status],
        envelope["time"],
    )
    people.registrant(tx.cur, data["person"], data["stakeholder_group"], envelope["time"])  # may comment


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
