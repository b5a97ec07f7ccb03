"""Registering, cancelling and promoting: every seat decision under the forum's row lock."""

import uuid

from services.registration import seats, subscriptions
from services.registration.errors import (
    AlreadyRegistered,
    InvalidTransition,
    NotYourRegistration,
    RegistrationClosed,
    RegistrationNotFound,
)
from services.registration.people import authenticate, person_for
from services.registration.views import (
    REGISTRATION_COLUMNS,
    forum_event_block,
    registration_event,
    registration_view,
)


def check_window(forum, now):
    if forum["status"] != "open":
        raise RegistrationClosed(f"this forum is {forum['status']}: registration is not open")
    if forum["registration_opens_at"] and now < forum["registration_opens_at"]:
        raise RegistrationClosed(f"registration opens at {forum['registration_opens_at'].isoformat()}")
    if now >= (forum["registration_closes_at"] or forum["starts_at"]):
        raise RegistrationClosed("registration for this forum has closed")


def waitlist_position(cur, registration):
    """Where a waitlisted registration stands now, counting from 1."""
    if registration["status"] != "waitlisted":
        return None
    cur.execute(
        "SELECT count(*) AS ahead FROM registrations WHERE forum_id = %s AND status = 'waitlisted'"
        " AND waitlist_position <= %s",
        (registration["forum_id"], registration["waitlist_position"]),
    )
    return cur.fetchone()["ahead"]


def load(cur, registration_id, lock=False):
    cur.execute(
        f"SELECT {REGISTRATION_COLUMNS}, p.token_version FROM registrations r JOIN people p ON p.id = r.person_id"
        f" WHERE r.id = %s{' FOR UPDATE OF r' if lock else ''}",
        (registration_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise RegistrationNotFound(f"no registration {registration_id}")
    return row


def register(tx, forum_id, data):
    forum, groups = seats.lock_forum(tx.cur, forum_id)
    check_window(forum, tx.now)
    person = person_for(tx, data["email"])
    tx.cur.execute(
        "SELECT first_name, last_name, locale FROM registrations"
        " WHERE forum_id = %s AND lower(email) = lower(%s) AND status <> 'cancelled'",
        (forum_id, data["email"]),
    )
    already = tx.cur.fetchone()
    if already is not None:
        # The owner did not ask for this email: it names them as they registered, never with the words
        # of whoever typed their address this time, and it is sent at most as often as the limit allows.
        if tx.may_email(person["email"], "management_link"):
            contact = already | {"person_id": person["id"], "email": person["email"]}
            contact |= {"token_version": person["token_version"]}
            tx.emit("management_link_requested", {"person": contact, "forum": forum_event_block(forum)})
        raise AlreadyRegistered(
            "this address is already registered for this forum; its link was emailed again"
        )
    group = data["stakeholder_group"]
    kind = seats.seat_for(
        forum["capacity"], forum["confirmed_count"], groups, group, seats.quotas_active(forum, tx.now)
    )
    if kind is not None:
        status, code, seq = "confirmed", seats.attendee_code(), None
        forum = seats.count_seat(tx.cur, forum_id, group, +1)
    else:
        status, code = "waitlisted", None
        tx.cur.execute(
            "UPDATE forums SET waitlist_seq = waitlist_seq + 1, waiting_count = waiting_count + 1"
            " WHERE id = %s RETURNING waitlist_seq, waiting_count",
            (forum_id,),
        )
        counters = tx.cur.fetchone()
        seq, position = counters["waitlist_seq"], counters["waiting_count"]
    tx.cur.execute(
        "INSERT INTO registrations (id, forum_id, person_id, email, first_name, last_name, organisation,"
        " stakeholder_group, locale, status, waitlist_position, accessibility_needs, consent_attend,"
        " consent_updates, consent_public_list, attendee_code)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, true, %s, %s, %s)"
        f" RETURNING {REGISTRATION_COLUMNS.replace('r.', '')}",
        (
            uuid.uuid4(), forum_id, person["id"], data["email"], data["first_name"], data["last_name"],
            data.get("organisation", ""), group, data.get("locale", "fr"), status, seq,
            data.get("accessibility_needs", ""), data.get("consent_updates", False),
            data.get("consent_public_list", False), code,
        ),
    )  # fmt: skip
    registration = tx.cur.fetchone()
    version = person["token_version"]
    if status == "confirmed":
        tx.emit(
            "registration_confirmed", registration_event(registration, forum, version, attendee_code=code)
        )
        position = None
    else:
        tx.emit(
            "registration_waitlisted",
            registration_event(registration, forum, version, waitlist_position=position),
        )
    if data.get("consent_updates"):
        subscriptions.subscribe(tx, data, person=person)
    return registration_view(registration, position)


def owned(tx, registration_id, token):
    """The registration, if the caller may see it: an organiser (no token) or the person's own link."""
    registration = load(tx.cur, registration_id)
    if token is not None and authenticate(tx, token)["id"] != registration["person_id"]:
        raise NotYourRegistration("this registration belongs to someone else")
    return registration


def get(tx, registration_id, token=None):
    registration = owned(tx, registration_id, token)
    return registration_view(registration, waitlist_position(tx.cur, registration))


def cancel(tx, registration_id, token=None, cancelled_by=None, reason=None):
    registration = owned(tx, registration_id, token)
    forum, _ = seats.lock_forum(tx.cur, registration["forum_id"])
    if forum["status"] == "held":
        raise InvalidTransition("this forum has taken place: its registrations stay as they were")
    registration = load(tx.cur, registration_id, lock=True)
    if registration["status"] == "cancelled":
        return registration_view(registration)
    cancelled_by = cancelled_by or ("organiser" if token is None else "person")
    previous = registration["status"]
    tx.cur.execute(
        "UPDATE registrations SET status = 'cancelled', cancelled_at = %s, cancelled_by = %s,"
        " attendee_code = NULL WHERE id = %s",
        (tx.now, cancelled_by, registration_id),
    )
    if previous == "confirmed":
        forum = seats.count_seat(tx.cur, forum["id"], registration["stakeholder_group"], -1)
    else:
        tx.cur.execute("UPDATE forums SET waiting_count = waiting_count - 1 WHERE id = %s", (forum["id"],))
    registration = load(tx.cur, registration_id)
    extra = {"cancelled_by": cancelled_by, "previous_status": previous} | (
        {"reason": reason} if reason else {}
    )
    if cancelled_by != "erased":  # an erased person is not written to; person_erased tells consumers
        event = registration_event(registration, forum, registration["token_version"], **extra)
        tx.emit("registration_cancelled", event)
    if previous == "confirmed" and cancelled_by != "forum_cancelled":
        promote(tx, forum["id"], "cancellation")
    if cancelled_by == "organiser":
        tx.record("registration_cancelled", registration_id, {"forum_id": forum["id"], "previous": previous})
    return registration_view(registration)


CAUSES = {
    "cancellation": "a seat was freed by a cancellation",
    "seats_added": "more seats became available",
    "quota_released": "reserved seats were released",
}


def promote(tx, forum_id, cause):
    """Give every seat that can be given to the people waiting, each with the reason it went to them.

    ``cause`` is one of CAUSES; the event carries it and ``reserved_for`` (the group whose reserved seat
    it was, if any) for consumers to word it, and ``reason`` in English for people reading the log."""
    promoted = 0
    while True:
        forum, groups = seats.lock_forum(tx.cur, forum_id)
        registration_id, why, reserved_for = seats.next_to_promote(tx.cur, forum, groups, tx.now)
        if registration_id is None:
            return promoted
        reason = f"{CAUSES[cause]}; {why}"
        tx.cur.execute(
            "UPDATE registrations SET status = 'confirmed', attendee_code = %s, promoted_at = %s,"
            " promotion_reason = %s WHERE id = %s RETURNING stakeholder_group, attendee_code",
            (seats.attendee_code(), tx.now, reason, registration_id),
        )
        row = tx.cur.fetchone()
        tx.cur.execute("UPDATE forums SET waiting_count = waiting_count - 1 WHERE id = %s", (forum_id,))
        forum = seats.count_seat(tx.cur, forum_id, row["stakeholder_group"], +1)
        registration = load(tx.cur, registration_id)
        event = registration_event(
            registration,
            forum,
            registration["token_version"],
            attendee_code=row["attendee_code"],
            reason=reason,
            cause=cause,
            reserved_for=reserved_for,
        )
        tx.emit("registration_promoted", event)
        promoted += 1
