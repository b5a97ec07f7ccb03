"""The rush: 200 people at once for 50 seats, 10 of them reserved for civil society; then cancellations
give the freed seats to exactly the people the rules name, and each of them is told by email."""

import random

import eventlet

from .client import attachments, attendee_code, inbox, parts, person, stays_true, wait_for_mails

CAPACITY, RESERVED = 50, 10
CIVIL, OTHERS = 30, 170
OTHER_GROUPS = ("administration", "company", "citizen", "research_media", "other")


def is_civil(registration):
    return registration["stakeholder_group"] == "civil_society"


def next_promoted(confirmed, waiting):
    """Who gets a freed seat, and why: a civil society person while that group is under its
    reservation, else whoever waits first."""
    civil_confirmed = sum(map(is_civil, confirmed))
    if civil_confirmed < RESERVED and any(map(is_civil, waiting)):
        why = f"a seat reserved for civil_society ({civil_confirmed} of {RESERVED} taken)"
        return next(r for r in waiting if is_civil(r)), why
    return waiting[0], "first on the waiting list"


def test_two_hundred_at_once_then_cancellations_promote_the_right_people(api, mail):
    forum = api.create_forum(capacity=CAPACITY, quotas={"civil_society": RESERVED})
    assert forum["quotas"] == {"civil_society": RESERVED}
    people = [person(stakeholder_group="civil_society") for _ in range(CIVIL)]
    people += [person(stakeholder_group=random.choice(OTHER_GROUPS)) for _ in range(OTHERS)]
    random.shuffle(people)
    pool = eventlet.GreenPool(60)  # every registration is its own concurrent HTTP request
    responses = list(pool.imap(lambda someone: api.register(forum["id"], someone), people))

    assert [(r.status_code, r.text) for r in responses if r.status_code != 201] == []
    registrations = [r.json() for r in responses]
    confirmed = [r for r in registrations if r["status"] == "confirmed"]
    waitlisted = [r for r in registrations if r["status"] == "waitlisted"]
    assert (len(confirmed), len(waitlisted)) == (CAPACITY, len(people) - CAPACITY)
    assert sum(map(is_civil, confirmed)) >= RESERVED  # 30 asked: the reservation is theirs
    assert sum(not is_civil(r) for r in confirmed) <= CAPACITY - RESERVED
    assert sorted(r["waitlist_position"] for r in waitlisted) == list(range(1, len(waitlisted) + 1))

    shown = api.get_forum(forum["id"])
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, len(waitlisted))
    summary = api.organiser("GET", f"/forums/{forum['id']}/registrations/summary").json()
    assert {k: summary["totals"][k] for k in ("confirmed", "waitlisted", "cancelled")} == {
        "confirmed": CAPACITY,
        "waitlisted": len(waitlisted),
        "cancelled": 0,
    }
    civil = summary["by_group"]["civil_society"]
    assert (civil["reserved"], civil["confirmed"]) == (RESERVED, sum(map(is_civil, confirmed)))

    addresses = [r["email"] for r in registrations]
    received = wait_for_mails(mail, dict.fromkeys(addresses, 1), timeout=60)
    assert {a: len(m) for a, m in received.items() if len(m) != 1} == {}
    for registration in waitlisted:
        (message,) = received[registration["email"]]
        assert message["Subject"] == f"Waiting list: {forum['title']}"
        position = registration["waitlist_position"]
        assert f"You are number {position} on the waiting list" in parts(message)[0]
    for registration in confirmed:
        assert received[registration["email"]][0]["Subject"] == f"Registration confirmed: {forum['title']}"

    # Three cancellations, one after the other: each freed seat goes to the person the rules name.
    civil_one = next(r for r in confirmed if is_civil(r))
    others = [r for r in confirmed if not is_civil(r)][:2]
    seated = list(confirmed)
    waiting = api.waiting_list(forum["id"])
    assert [r["id"] for r in waiting] == [
        r["id"] for r in sorted(waitlisted, key=lambda r: r["waitlist_position"])
    ]
    promoted = []
    for cancelled in [civil_one, *others]:
        response = api.organiser("DELETE", f"/registrations/{cancelled['id']}")
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["cancelled_by"]) == ("cancelled", "organiser")
        seated.remove(cancelled)
        chosen, why = next_promoted(seated, waiting)
        waiting.remove(chosen)
        seated.append(chosen)
        promoted.append((chosen, why))

    now_confirmed = api.registrations(forum["id"], status="confirmed")
    assert {r["id"] for r in now_confirmed} == {r["id"] for r in seated}
    by_id = {r["id"]: r for r in now_confirmed}
    for chosen, why in promoted:
        assert by_id[chosen["id"]]["promotion_reason"] == f"a seat was freed by a cancellation; {why}"
        assert by_id[chosen["id"]]["attendee_code"]
    shown = api.get_forum(forum["id"])
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, len(waitlisted) - 3)

    cancelled_ones = [civil_one, *others]
    expected = {r["email"]: 2 for r, _ in promoted} | {r["email"]: 2 for r in cancelled_ones}
    received = wait_for_mails(mail, expected, timeout=30)
    for chosen, why in promoted:
        message = received[chosen["email"]][1]
        assert message["Subject"] == f"A seat for you: {forum['title']}"
        assert f"Why you: a seat was freed by a cancellation; {why}" in parts(message)[0], parts(message)[0]
        assert attendee_code(message) == by_id[chosen["id"]]["attendee_code"]
        assert set(attachments(message)) == {"invitation.ics", "attendee-code.png"}
    for cancelled in cancelled_ones:
        message = received[cancelled["email"]][1]
        assert message["Subject"] == f"Registration cancelled: {forum['title']}"
        assert "The organisers cancelled your registration" in parts(message)[0]
    stays_true(
        lambda: all(len(m) == expected.get(a, 1) for a, m in inbox(mail, *addresses).items()),
        2.0,
        "someone got an email they should not have",
    )
