"""Bad requests are refused with a useful answer, and change nothing: no row, no event, no email."""

import uuid

import requests

from .client import mail_to, person, unique, wait_for_mail

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    assert response.json()["status"] == status
    return response.json()


def test_bad_input_is_refused_and_changes_nothing(api, mail, bus):
    forum = api.create_forum(capacity=5)
    registrations = api.url(f"/forums/{forum['id']}/registrations")
    nobody = [person(), person(), person()]  # valid addresses that must never get an email

    invalid = {"email": "not-an-address", "first_name": "", "stakeholder_group": "aliens", "locale": "de"}
    problem = assert_problem(requests.post(registrations, json=invalid, timeout=10), 400)
    assert set(problem["errors"]) == {"email", "first_name", "last_name", "stakeholder_group", "locale"}
    problem = assert_problem(api.register(forum["id"], nobody[0] | {"stakeholder_group": "aliens"}), 400)
    assert set(problem["errors"]) == {"stakeholder_group"}
    malformed = requests.post(
        registrations, data=b'{"email": ', headers={"Content-Type": "application/json"}, timeout=10
    )
    assert_problem(malformed, 400)

    refused_titles = [unique("Refused forum"), unique("Refused forum")]
    forums = api.url("/forums")
    payload = {
        "starts_at": "2027-03-01T09:00:00+01:00",
        "ends_at": "2027-03-01T17:00:00+01:00",
        "venue": {"name": "Salle", "address": "1 rue de la Paix", "city": "Lyon"},
        "capacity": 10,
    }
    no_token = requests.post(forums, json=payload | {"title": refused_titles[0]}, timeout=10)
    assert_problem(no_token, 401)
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = {"Authorization": "Bearer not-the-organiser-token"}
    assert_problem(
        requests.post(forums, json=payload | {"title": refused_titles[1]}, headers=wrong, timeout=10), 403
    )

    unknown = str(uuid.uuid4())
    assert_problem(requests.get(api.url(f"/forums/{unknown}"), timeout=10), 404)
    assert_problem(api.register(unknown, nobody[1]), 404)
    assert_problem(
        requests.post(api.url("/forums/not-a-uuid/registrations"), json=nobody[2], timeout=10), 404
    )

    shown = api.get_forum(forum["id"])
    assert (shown["seats_left"], shown["waitlist_length"]) == (5, 0)

    # A good registration last: once its event and email are through, anything the bad requests
    # had caused would have come through before them (one queue, published in commit order).
    marker = person()
    assert api.register(forum["id"], marker).status_code == 201
    bus.wait_for(
        lambda e: e["type"] == "registration_confirmed" and e["data"]["person"]["email"] == marker["email"],
        message="the marker registration's event",
    )
    events = [delivery.envelope for delivery in bus.poll()]
    assert [(e["type"], e["data"]["forum"]["id"]) for e in events] == [
        ("forum_scheduled", forum["id"]),
        ("forum_opened", forum["id"]),
        ("registration_confirmed", forum["id"]),
    ]
    assert events[2]["data"]["person"]["email"] == marker["email"]
    wait_for_mail(mail, [marker["email"]])
    assert mail_to(mail, *[someone["email"] for someone in nobody]) == {
        someone["email"]: [] for someone in nobody
    }
