"""The rush: 200 people at once for 50 seats, 10 of them reserved for civil society; then cancellations
give the freed seats to exactly the people the rules name, and each of them is told by email."""

import random

import eventlet
import pytest

from .client import attachments, attendee_code, inbox, parts, person, stays_true, wait_for_mails

CAPACITY, RESERVED = 50, 10
CIVIL, OTHERS = 30, 170
OTHER_GROUPS = ("administration", "company", "citizen", "research_media", "other")


def is_civil(registration):
    return registration["stakeholder_group"] == "civil_society"


def next_promoted(confirmed, waiting):
    """Who gets a freed seat, why (as organisers read it), and why in the person's email: a civil
    society person while that group is under its reservation, else whoever waits first."""
    civil_confirmed = sum(map(is_civil, confirmed))
    if civil_confirmed < RESERVED and any(map(is_civil, waiting)):
        why = f"a seat reserved for civil_society ({civil_confirmed} of {RESERVED} taken)"
        told = 'it is a seat reserved for the "civil society" group'
        return next(r for r in waiting if is_civil(r)), why, told
    return waiting[0], "first on the waiting list", "you were first on the waiting list"


def register_all_at_once(api, forum):
    people = [person(stakeholder_group="civil_society") for _ in range(CIVIL)]
    people += [person(stakeholder_group=random.choice(OTHER_GROUPS)) for _ in range(OTHERS)]
    random.shuffle(people)
    pool = eventlet.GreenPool(60)  # every registration is its own concurrent HTTP request
    responses = list(pool.imap(lambda someone: api.register(forum["id"], someone), people))
    assert [(r.status_code, r.text) for r in responses if r.status_code != 201] == []
    return [r.json() for r in responses]


def assert_each_told_once(mail, forum, confirmed, waitlisted):
    received = wait_for_mails(mail, {r["email"]: 1 for r in confirmed + waitlisted}, timeout=60)
    assert {a: len(m) for a, m in received.items() if len(m) != 1} == {}
    for registration in confirmed:
        assert received[registration["email"]][0]["Subject"] == f"Registration confirmed: {forum['title']}"
    for registration in waitlisted:
        (message,) = received[registration["email"]]
        assert message["Subject"] == f"Waiting list: {forum['title']}"
        position = registration["waitlist_position"]
        assert f"You are number {position} on the waiting list" in parts(message)[0]


def cancel_one_after_the_other(api, cancelled, seated, waiting):
    """Cancel as an organiser; return who the rules say must get each freed seat, and why."""
    promoted = []
    for registration in cancelled:
        response = api.organiser("DELETE", f"/registrations/{registration['id']}")
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["cancelled_by"]) == ("cancelled", "organiser")
        seated.remove(registration)
        chosen, why, told = next_promoted(seated, waiting)
        waiting.remove(chosen)
        seated.append(chosen)
        promoted.append((chosen, why, told))
    return promoted


@pytest.mark.timeout(90)  # a stack start, the rush, 200 emails and the promotions, with margin
def test_two_hundred_at_once_then_cancellations_promote_the_right_people(api, mail, bus):
    forum = api.create_forum(capacity=CAPACITY, quotas={"civil_society": RESERVED})
    assert forum["quotas"] == {"civil_society": RESERVED}
    registrations = register_all_at_once(api, forum)
    confirmed = [r for r in registrations if r["status"] == "confirmed"]
    waitlisted = sorted(
        (r for r in registrations if r["status"] == "waitlisted"), key=lambda r: r["waitlist_position"]
    )
    assert (len(confirmed), len(waitlisted)) == (CAPACITY, len(registrations) - CAPACITY)
    assert sum(map(is_civil, confirmed)) >= RESERVED  # 30 asked: the reservation is theirs
    assert sum(not is_civil(r) for r in confirmed) <= CAPACITY - RESERVED
    assert [r["waitlist_position"] for r in waitlisted] == list(range(1, len(waitlisted) + 1))

    shown = api.get_forum(forum["id"])
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, len(waitlisted))
    summary = api.organiser("GET", f"/forums/{forum['id']}/registrations/summary").json()
    counts = {key: summary["totals"][key] for key in ("confirmed", "waitlisted", "cancelled")}
    assert counts == {"confirmed": CAPACITY, "waitlisted": len(waitlisted), "cancelled": 0}
    civil = summary["by_group"]["civil_society"]
    assert (civil["reserved"], civil["confirmed"]) == (RESERVED, sum(map(is_civil, confirmed)))
    assert_each_told_once(mail, forum, confirmed, waitlisted)

    # One civil society seat and two others freed, one after the other.
    cancelled = [next(filter(is_civil, confirmed)), *[r for r in confirmed if not is_civil(r)][:2]]
    waiting = api.waiting_list(forum["id"])
    assert [r["id"] for r in waiting] == [r["id"] for r in waitlisted]
    promoted = cancel_one_after_the_other(api, cancelled, list(confirmed), waiting)

    now_confirmed = {r["id"]: r for r in api.registrations(forum["id"], status="confirmed")}
    assert set(now_confirmed) == {r["id"] for r in confirmed if r not in cancelled} | {
        r["id"] for r, _, _ in promoted
    }
    for chosen, why, _ in promoted:
        assert now_confirmed[chosen["id"]]["promotion_reason"] == f"a seat was freed by a cancellation; {why}"
    shown = api.get_forum(forum["id"])
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, len(waitlisted) - 3)

    expected = {r["email"]: 2 for r, _, _ in promoted} | {r["email"]: 2 for r in cancelled}
    received = wait_for_mails(mail, expected, timeout=30)
    for chosen, _, told in promoted:
        message = received[chosen["email"]][1]
        assert message["Subject"] == f"A seat for you: {forum['title']}"
        assert f"Why you: a seat was freed by a cancellation; {told}." in parts(message)[0]
        assert attendee_code(message) == now_confirmed[chosen["id"]]["attendee_code"]
        assert set(attachments(message)) == {"invitation.ics", "attendee-code.png"}
    for registration in cancelled:
        message = received[registration["email"]][1]
        assert message["Subject"] == f"Registration cancelled: {forum['title']}"
        assert "The organisers cancelled your registration" in parts(message)[0]
    addresses = [r["email"] for r in registrations]
    stays_true(
        lambda: all(len(m) == expected.get(a, 1) for a, m in inbox(mail, *addresses).items()),
        2.0,
        "someone got an email they should not have",
    )
    # What an integrator sees: one registration_promoted each, saying why.
    events = [d.envelope["data"] for d in bus.poll() if d.envelope["type"] == "registration_promoted"]
    assert {e["registration_id"]: (e["cause"], e.get("reserved_for")) for e in events} == {
        r["id"]: ("cancellation", "civil_society" if "reserved" in why else None) for r, why, _ in promoted
    }
