"""More bad requests (registrations, forums, quotas, links): each is a 4xx problem+json, and the forum
is as it was."""

import uuid

import pytest

from .client import forum_payload, inbox, person, problem, stays_true, token_from, wait_for_mails


def unchanged(api, forum):
    shown = api.organiser("GET", f"/forums/{forum['id']}").json()
    keys = ("title", "starts_at", "ends_at", "capacity", "quotas", "seats_left", "waitlist_length")
    assert {key: shown[key] for key in keys} == {key: forum[key] for key in keys}


def test_bad_registrations_are_refused_field_by_field(api, mail):
    forum = api.create_forum(capacity=5)
    refused = {
        "email": person(email="camille@"),
        "stakeholder_group": person(stakeholder_group="lobbyist"),
        "consent_attend": person(consent_attend=False),
        "shoe_size": person(shoe_size=42),
        "locale": person(locale="de"),
        "last_name": {key: value for key, value in person().items() if key != "last_name"},
    }
    for field, someone in refused.items():
        assert set(problem(api.register(forum["id"], someone), 400)["errors"]) == {field}
    assert problem(api.register(forum["id"], person(consent_attend=False)), 400)["errors"][
        "consent_attend"
    ] == ["Registering means agreeing to attend."]
    unchanged(api, forum)
    assert api.registrations(forum["id"]) == []
    addresses = [someone["email"] for someone in refused.values() if "@example.org" in someone["email"]]
    stays_true(lambda: all(not m for m in inbox(mail, *addresses).values()), 1.0, "an email after a refusal")


def test_quotas_the_capacity_cannot_hold_are_refused(api):
    over = forum_payload(capacity=10) | {"quotas": {"civil_society": 8, "company": 3}}
    assert "quotas" in problem(api.organiser("POST", "/forums", json=over), 400)["errors"]
    problem(api.organiser("POST", "/forums", json=forum_payload() | {"quotas": {"aliens": 1}}), 400)

    forum = api.create_forum(capacity=10, quotas={"civil_society": 4})
    path = f"/forums/{forum['id']}"
    quotas = {"civil_society": 4, "company": 7}  # quotas are given whole, like a venue
    refused = problem(api.organiser("PATCH", path, json={"quotas": quotas}), 422)
    assert refused["errors"]["quotas"] == ["11 reserved seats exceed the capacity of 10"]
    for group in ("civil_society", "civil_society", "civil_society"):
        api.registered(forum["id"], person(stakeholder_group=group))
    refused = problem(api.organiser("PATCH", path, json={"quotas": {"civil_society": 2}}), 422)
    assert "3 civil_society registrations are confirmed" in refused["errors"]["quotas"][0]
    unchanged(api, forum | {"seats_left": 7})


def test_capacity_cannot_drop_below_the_seats_reserved(api):
    forum = api.create_forum(capacity=10, quotas={"civil_society": 4})
    response = api.organiser("PATCH", f"/forums/{forum['id']}", json={"capacity": 3})
    # the same rule as at creation: no more seats reserved than the capacity
    assert response.status_code in (409, 422), f"{response.status_code} {response.text}"
    problem(response, response.status_code)
    unchanged(api, forum)


def test_whole_changes_that_contradict_themselves_are_refused(api):
    forum = api.create_forum()
    whole = {"starts_at": "2027-03-01T18:00:00+01:00", "ends_at": "2027-03-01T09:00:00+01:00"}
    assert "ends_at" in problem(api.organiser("PATCH", f"/forums/{forum['id']}", json=whole), 400)["errors"]
    unchanged(api, forum)


# Each change alone is well-formed; with what the forum already has, it breaks a rule that a forum
# created with both values would be refused for (400).
@pytest.mark.parametrize(
    "created, change",
    [
        ({}, {"starts_at": "2027-03-02T09:00:00+01:00"}),
        (
            {"registration_closes_at": "2027-02-20T12:00:00+01:00"},
            {"registration_opens_at": "2027-02-25T09:00:00+01:00"},
        ),
    ],
    ids=["starts-after-it-ends", "registration-opens-after-it-closes"],
)
def test_a_change_is_checked_against_the_forum_as_it_is(api, created, change):
    forum = api.create_forum(**created)
    response = api.organiser("PATCH", f"/forums/{forum['id']}", json=change)
    assert response.status_code in (400, 409, 422), f"{response.status_code} {response.text}"
    problem(response, response.status_code)
    unchanged(api, forum)


def test_bad_forums_and_unknown_things(api, mail):
    problem(api.organiser("POST", "/forums", json=forum_payload() | {"timezone": "Mars/Olympus"}), 400)
    problem(api.organiser("POST", "/forums", json=forum_payload() | {"capacity": -1}), 400)
    problem(api.organiser("POST", "/forums", json=forum_payload() | {"colour": "blue"}), 400)
    forum = api.create_forum(capacity=5)
    problem(api.organiser("PATCH", f"/forums/{forum['id']}", json={}), 400)
    problem(api.organiser("PATCH", f"/forums/{forum['id']}", json={"slug": forum["slug"][:-1] + "-"}), 400)
    taken = api.organiser("POST", "/forums", json=forum_payload() | {"slug": forum["slug"]})
    assert "slug" in problem(taken, 409)["errors"]
    unchanged(api, forum)

    nowhere, nobody = str(uuid.uuid4()), str(uuid.uuid4())
    for method, path in [
        ("GET", f"/forums/{nowhere}"),
        ("PATCH", f"/forums/{nowhere}"),
        ("POST", f"/forums/{nowhere}/open"),
        ("GET", f"/forums/{nowhere}/registrations"),
        ("GET", f"/forums/{nowhere}/participants"),
        ("GET", f"/registrations/{nobody}"),
        ("DELETE", f"/registrations/{nobody}"),
        ("GET", "/no-such-route"),
    ]:
        problem(api.organiser(method, path, json={"title": "x"} if method == "PATCH" else None), 404)

    someone = api.registered(forum["id"], person())
    token = token_from(wait_for_mails(mail, {someone["email"]: 1})[someone["email"]][0])
    problem(api.organiser("GET", "/people/me"), 403)  # organisers are not a person
    problem(api.call("GET", "/people/me", token.replace(".", "x.", 1)), 401)
    problem(api.call("GET", "/people/me", "not-even-a-token"), 401)
    assert api.organiser("DELETE", f"/registrations/{someone['id']}").status_code == 200
