"""Many people registering at once for few seats: no overbooking, one email each."""

import eventlet

from .client import parts, person, wait_for_mail

SEATS = 10
PEOPLE = 50


def test_fifty_people_at_once_for_ten_seats(api, mail):
    forum = api.create_forum(capacity=SEATS)
    people = [person() for _ in range(PEOPLE)]
    pool = eventlet.GreenPool(PEOPLE)  # every registration is its own concurrent HTTP request
    responses = list(pool.imap(lambda someone: api.register(forum["id"], someone), people))

    errors = [(r.status_code, r.text) for r in responses if r.status_code != 201]
    assert errors == []
    registrations = [r.json() for r in responses]
    confirmed = [r for r in registrations if r["status"] == "confirmed"]
    waitlisted = [r for r in registrations if r["status"] == "waitlisted"]
    assert len(confirmed) == SEATS
    assert len(waitlisted) == PEOPLE - SEATS
    assert all(r["waitlist_position"] is None for r in confirmed)
    assert sorted(r["waitlist_position"] for r in waitlisted) == list(range(1, PEOPLE - SEATS + 1))
    shown = api.get_forum(forum["id"])
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, PEOPLE - SEATS)

    received = wait_for_mail(mail, [someone["email"] for someone in people], timeout=60)
    assert {address: len(messages) for address, messages in received.items() if len(messages) != 1} == {}
    for registration in registrations:
        (message,) = received[registration["email"]]
        if registration["status"] == "confirmed":
            assert message["Subject"] == f"Registration confirmed: {forum['title']}"
        else:
            assert message["Subject"] == f"Waiting list: {forum['title']}"
            position = registration["waitlist_position"]
            assert f"You are number {position} on the waiting list" in parts(message)[0]


def test_two_replicas_of_registration_and_of_notification_keep_the_count_exact(api, mail, stack):
    # Replicas share the RPC queue (the broker hands requests to both in turn) and the events: the forum's
    # row still decides one registration at a time, and each person gets one email.
    stack.start("registration#2", "notification#2")
    stack.wait_ready()
    try:
        forum = api.create_forum(capacity=SEATS)
        people = [person() for _ in range(PEOPLE)]
        pool = eventlet.GreenPool(PEOPLE)
        responses = list(pool.imap(lambda someone: api.register(forum["id"], someone), people))
        assert [(r.status_code, r.text) for r in responses if r.status_code != 201] == []
        statuses = [r.json()["status"] for r in responses]
        assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (SEATS, PEOPLE - SEATS)
        positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["waitlist_position"])
        assert positions == list(range(1, PEOPLE - SEATS + 1))
        shown = api.get_forum(forum["id"])
        assert (shown["seats_left"], shown["waitlist_length"]) == (0, PEOPLE - SEATS)
        received = wait_for_mail(mail, [someone["email"] for someone in people], timeout=60)
        assert {address: len(messages) for address, messages in received.items() if len(messages) != 1} == {}
    finally:
        stack.stop_processes("registration#2", "notification#2")
