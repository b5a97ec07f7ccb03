"""The registration rules, as decisions on plain values: no cursor, no SQL, no clock of their own.

The use cases (``forums``, ``registrations``) read the rows these take from ``store``, with the forum's
row locked, so that a decision and the writes that follow it are taken for one forum at a time; the
database's own checks (``confirmed_count <= capacity``) stand behind them.

Seats: ``capacity`` in all; ``reserved_seats`` per stakeholder group while quotas are active; the rest
are open to everyone, first come, first served. After ``quota_release_at`` every seat is open.
``groups`` below maps each stakeholder group to ``(reserved, confirmed)``.
"""

import secrets
from datetime import datetime
from typing import NamedTuple

from services.registration.errors import (
    CapacityBelowConfirmed,
    InvalidForumChange,
    InvalidTransition,
    QuotaInvalid,
    RegistrationClosed,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread at the door

# status -> the statuses it may move to, and the event each move emits
TRANSITIONS = {
    "open": ({"draft", "closed"}, "forum_opened"),
    "closed": ({"open"}, "forum_closed"),
    "held": ({"open", "closed"}, "forum_held"),
    "cancelled": ({"draft", "open", "closed"}, "forum_cancelled"),
}
EDITABLE = {"draft", "open", "closed"}

# why seats became free, as promotion events carry it (``cause``) and in words for the log
CAUSES = {
    "cancellation": "a seat was freed by a cancellation",
    "seats_added": "more seats became available",
    "quota_released": "reserved seats were released",
}


class Promotion(NamedTuple):
    registration_id: object
    why: str  # in words, for people reading the log
    reserved_for: str | None  # the group whose reserved seat it is, None for an open seat


def attendee_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def check_window(forum, now):
    """RegistrationClosed unless the forum is open and ``now`` is inside its registration window."""
    if forum["status"] != "open":
        raise RegistrationClosed(f"this forum is {forum['status']}: registration is not open")
    if forum["registration_opens_at"] and now < forum["registration_opens_at"]:
        raise RegistrationClosed(f"registration opens at {forum['registration_opens_at'].isoformat()}")
    if now >= (forum["registration_closes_at"] or forum["starts_at"]):
        raise RegistrationClosed("registration for this forum has closed")


def check_cancellable(forum):
    if forum["status"] == "held":
        raise InvalidTransition("this forum has taken place: its registrations stay as they were")


def quotas_active(forum, now):
    release = forum["quota_release_at"]
    return not forum["quotas_released"] and (release is None or now < release)


def seat_for(capacity, taken, groups, group, quotas_on):
    """'reserved', 'open' or None: the kind of seat a person of ``group`` can have now; ``taken`` is the
    confirmed total."""
    if taken >= capacity:
        return None
    if not quotas_on:
        return "open"
    reserved, confirmed = groups.get(group, (0, 0))
    if confirmed < reserved:
        return "reserved"
    open_seats = capacity - sum(r for r, _ in groups.values())
    open_taken = sum(max(0, c - r) for r, c in groups.values())
    return "open" if open_taken < open_seats else None


def promotion(forum, groups, first_waiting, now):
    """Who gets a free seat, as a Promotion, or None if nobody can have one.

    ``first_waiting``: the first waiting registration of each group (``id``, ``stakeholder_group``,
    ``waitlist_position``). A reserved seat still free goes to the earliest of those whose group is under
    its quota, even if someone of another group has waited longer; else an open seat, if one is free, goes
    to the earliest of all.
    """
    if forum["confirmed_count"] >= forum["capacity"]:
        return None
    quotas_on = quotas_active(forum, now)
    under_quota = {g for g, (reserved, confirmed) in groups.items() if quotas_on and confirmed < reserved}
    candidates = [row for row in first_waiting if row["stakeholder_group"] in under_quota]
    if candidates:
        row = min(candidates, key=_place)
        group = row["stakeholder_group"]
        reserved, confirmed = groups[group]
        return Promotion(row["id"], f"a seat reserved for {group} ({confirmed} of {reserved} taken)", group)
    if (
        not first_waiting
        or seat_for(forum["capacity"], forum["confirmed_count"], groups, None, quotas_on) != "open"
    ):
        return None
    return Promotion(min(first_waiting, key=_place)["id"], "first on the waiting list", None)


def promotion_reason(cause, why):
    """The reason a promotion gives, in English: what freed the seat (one of CAUSES), and whose it was."""
    return f"{CAUSES[cause]}; {why}"


def _place(row):
    return row["waitlist_position"]


def check_transition(current, target):
    """The event a move from ``current`` to ``target`` emits; InvalidTransition if it is not allowed."""
    allowed_from, event = TRANSITIONS[target]
    if current not in allowed_from:
        raise InvalidTransition(f"a {current} forum cannot become {target}")
    return event


def check_editable(forum):
    if forum["status"] not in EDITABLE:
        raise InvalidTransition(f"a {forum['status']} forum cannot be changed")


def check_consistent(forum, groups, changes):
    """A change is checked against the forum as it will be, not only against itself."""
    after = {key: changes.get(key, forum[key]) for key in
             ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at", "capacity")}  # fmt: skip
    after = {key: _parse(value) for key, value in after.items()}
    if after["ends_at"] <= after["starts_at"]:
        raise InvalidForumChange("the forum would end before it starts")
    closes = after["registration_closes_at"] or after["starts_at"]
    if after["registration_opens_at"] and after["registration_opens_at"] >= closes:
        raise InvalidForumChange("registration would open after it closes")
    reserved = changes.get("quotas") or {group: reserved for group, (reserved, _) in groups.items()}
    if sum(reserved.values()) > after["capacity"]:
        raise QuotaInvalid(
            f"{sum(reserved.values())} reserved seats exceed the capacity of {after['capacity']}"
        )


def check_capacity(forum, capacity):
    """A forum cannot shrink below the seats already taken."""
    if capacity < forum["confirmed_count"]:
        raise CapacityBelowConfirmed(
            f"{forum['confirmed_count']} seats are already taken: capacity cannot be {capacity}"
        )


def check_quotas(quotas, capacity, groups):
    """New reserved seats per group: all of them within the capacity, and a group's lowered no further
    than the seats it has already taken."""
    if sum(quotas.values()) > capacity:
        raise QuotaInvalid(f"{sum(quotas.values())} reserved seats exceed the capacity of {capacity}")
    for group, seats_reserved in quotas.items():
        reserved, confirmed = groups.get(group, (0, 0))
        if seats_reserved < reserved and seats_reserved < confirmed:
            raise QuotaInvalid(
                f"{confirmed} {group} registrations are confirmed: cannot reserve only {seats_reserved}"
            )


def _parse(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value
