"""Registering, cancelling and promoting. Each reads with the forum's row locked (``store.forums.lock``),
so that concurrent registrations and cancellations for one forum are decided one after the other; decides
by ``rules``; writes through ``store``; then emits."""

from services.registration import rules, store, subscriptions
from services.registration.errors import AlreadyRegistered, NotYourRegistration
from services.registration.people import authenticate
from services.registration.views import forum_event_block, registration_event, registration_view


def waitlist_position(tx, registration):
    """Where a waitlisted registration stands now, counting from 1 (None if it does not wait)."""
    if registration["status"] != "waitlisted":
        return None
    return store.registrations.waiting_ahead(
        tx.cur, registration["forum_id"], registration["waitlist_position"]
    )


def register(tx, forum_id, data):
    # The forum's row is held from the lock to the commit: what needs no lock comes before it, and under
    # it are three round trips (the lock, what the decision reads, the seat and the registration written
    # together) before the event and the commit.
    person = store.people.find_or_create(tx.cur, data["email"])
    forum = store.forums.lock(tx.cur, forum_id)
    rules.check_window(forum, tx.now)
    groups, already = store.forums.seat_context(tx.cur, forum_id, data["email"])
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
    quotas_on = rules.quotas_active(forum, tx.now)
    if rules.seat_for(forum["capacity"], forum["confirmed_count"], groups, group, quotas_on) is not None:
        status, code, number, position = "confirmed", rules.attendee_code(), None, None
        taking = store.forums.take_seat(tx.cur, forum_id, group)
        forum = forum | {"confirmed_count": forum["confirmed_count"] + 1}
    else:
        status, code = "waitlisted", None
        number, position = forum["waitlist_seq"] + 1, forum["waiting_count"] + 1  # the row is ours
        taking = store.forums.take_waitlist_place(tx.cur, forum_id)
    registration = store.registrations.insert_registration(
        tx.cur, taking, forum_id, person["id"], data, status, number, code
    )
    version = person["token_version"]
    if status == "confirmed":
        event = registration_event(registration, forum, version, attendee_code=code)
        tx.emit("registration_confirmed", event)
    else:
        event = registration_event(registration, forum, version, waitlist_position=position)
        tx.emit("registration_waitlisted", event)
    if data.get("consent_updates"):
        subscriptions.subscribe(tx, data, person=person)
    return registration_view(registration, position)


def owned(tx, registration_id, token):
    """The registration, if the caller may see it: an organiser (no token) or the person's own link."""
    registration = store.registrations.read(tx.cur, registration_id)
    if token is not None and authenticate(tx, token)["id"] != registration["person_id"]:
        raise NotYourRegistration("this registration belongs to someone else")
    return registration


def get(tx, registration_id, token=None):
    registration = owned(tx, registration_id, token)
    return registration_view(registration, waitlist_position(tx, registration))


def cancel(tx, registration_id, token=None, cancelled_by=None, reason=None):
    registration = owned(tx, registration_id, token)
    forum = store.forums.lock(tx.cur, registration["forum_id"])
    rules.check_cancellable(forum)
    registration = store.registrations.lock(tx.cur, registration_id)
    if registration["status"] == "cancelled":
        return registration_view(registration)
    cancelled_by = cancelled_by or ("organiser" if token is None else "person")
    previous = registration["status"]
    store.registrations.mark_cancelled(tx.cur, registration_id, tx.now, cancelled_by)
    if previous == "confirmed":
        forum = store.forums.count_seat(tx.cur, forum["id"], registration["stakeholder_group"], -1)
    else:
        store.forums.leave_waitlist(tx.cur, forum["id"])
    registration = store.registrations.read(tx.cur, registration_id)
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


def promote(tx, forum_id, cause):
    """Give every seat that can be given to the people waiting, each with the reason it went to them.

    ``cause`` is one of ``rules.CAUSES``; the event carries it and ``reserved_for`` (the group whose
    reserved seat it was, if any) for consumers to word it, and ``reason`` in English for people reading
    the log."""
    promoted = 0
    while True:
        forum = store.forums.lock(tx.cur, forum_id)
        groups = store.forums.groups(tx.cur, forum_id)
        waiting = store.registrations.first_waiting_by_group(tx.cur, forum_id)
        chosen = rules.promotion(forum, groups, waiting, tx.now)
        if chosen is None:
            return promoted
        reason = rules.promotion_reason(cause, chosen.why)
        row = store.registrations.mark_promoted(
            tx.cur, chosen.registration_id, rules.attendee_code(), tx.now, reason
        )
        store.forums.leave_waitlist(tx.cur, forum_id)
        forum = store.forums.count_seat(tx.cur, forum_id, row["stakeholder_group"], +1)
        registration = store.registrations.read(tx.cur, chosen.registration_id)
        event = registration_event(
            registration,
            forum,
            registration["token_version"],
            attendee_code=row["attendee_code"],
            reason=reason,
            cause=cause,
            reserved_for=chosen.reserved_for,
        )
        tx.emit("registration_promoted", event)
        promoted += 1
