"""Erasure: a person (with their link) or an organiser (on their request) erases them; their seat goes
to the next person, organisers' views keep the counts and lose every trace of who they were."""

from .client import inbox, person, problem, stays_true, token_from, wait_for_mails


def traces(someone):
    return [someone["email"], someone["last_name"], someone["organisation"], someone["accessibility_needs"]]


def distinctive():
    tag = person()["last_name"].split()[-1]
    return person(
        organisation=f"Collectif {tag}",
        accessibility_needs=f"Fauteuil roulant {tag}",
        consent_public_list=True,
        consent_updates=True,
    )


def erased_event(bus, someone):
    return bus.wait_for(
        lambda e: e["type"] == "person_erased" and e["data"]["email"] == someone["email"],
        message=f"person_erased for {someone['email']}",
    ).envelope["data"]


def test_a_person_erases_themselves_and_the_next_person_gets_the_seat(api, mail, bus):
    forum = api.create_forum(capacity=1)
    alice = distinctive()
    registration = api.registered(forum["id"], alice)
    bob = api.registered(forum["id"], person())
    # a confirmation, and the subscription's double opt-in (consent_updates)
    received = wait_for_mails(mail, {alice["email"]: 2, bob["email"]: 1})
    confirmation = next(m for m in received[alice["email"]] if m["Subject"].startswith("Registration"))
    token = token_from(confirmation)

    erased = api.call("DELETE", "/people/me", token)
    assert (erased.status_code, erased.json()) == (200, {"erased": True})
    assert erased_event(bus, alice)["erased_by"] == "person"
    problem(api.call("GET", "/people/me", token), 401)  # an erased person's links die with them

    message = wait_for_mails(mail, {bob["email"]: 2})[bob["email"]][1]
    assert message["Subject"] == f"A seat for you: {forum['title']}"
    shown = api.organiser("GET", f"/registrations/{registration['id']}").json()
    assert (shown["status"], shown["cancelled_by"]) == ("cancelled", "erased")
    summary = api.organiser("GET", f"/forums/{forum['id']}/registrations/summary").json()["totals"]
    assert (summary["confirmed"], summary["waitlisted"], summary["cancelled"]) == (1, 0, 1)
    assert_no_trace(api, forum, alice)
    assert api.call("GET", f"/forums/{forum['id']}/participants").json() == []

    # Nothing more reaches her: no cancellation email, and her address is now unknown.
    api.call("POST", "/people/management-link", json={"email": alice["email"]})
    stays_true(lambda: len(inbox(mail, alice["email"])[alice["email"]]) == 2, 2.0, "an email after erasure")
    cancelled_for_her = [
        d
        for d in bus.poll()
        if d.envelope["type"] == "registration_cancelled"
        and d.envelope["data"]["registration_id"] == registration["id"]
    ]
    assert cancelled_for_her == []


def assert_no_trace(api, forum, someone):
    listing = api.organiser("GET", f"/forums/{forum['id']}/registrations")
    csv = api.organiser("GET", f"/forums/{forum['id']}/registrations.csv")
    assert csv.status_code == 200 and listing.status_code == 200
    for trace in traces(someone):
        assert trace not in listing.text, trace
        assert trace not in csv.text, trace
    assert len(csv.text.strip().splitlines()) == 1 + len(listing.json()["items"])


def test_an_organiser_erases_a_person_on_their_request(api, mail, bus):
    forums = [api.create_forum(capacity=5), api.create_forum(capacity=5)]
    someone = distinctive()
    registrations = [api.registered(forum["id"], someone) for forum in forums]
    # two confirmations, and the pending subscription's link twice (asked again with the second)
    received = wait_for_mails(mail, {someone["email"]: 4})[someone["email"]]
    token = token_from(next(m for m in received if m["Subject"].startswith("Registration confirmed")))

    asked = {"email": someone["email"]}
    problem(api.call("POST", "/people/erasures", token, json=asked), 403)
    problem(api.call("POST", "/people/erasures", json=asked), 401)
    erased = api.organiser("POST", "/people/erasures", json=asked)
    assert (erased.status_code, erased.json()) == (200, {"erased": True})
    assert erased_event(bus, someone)["erased_by"] == "organiser"
    again = api.organiser("POST", "/people/erasures", json=asked)
    assert (again.status_code, again.json()) == (200, {"erased": False})

    for forum, registration in zip(forums, registrations, strict=True):
        assert_no_trace(api, forum, someone)
        assert api.get_forum(forum["id"])["seats_left"] == 5
        shown = api.organiser("GET", f"/registrations/{registration['id']}").json()
        assert (shown["status"], shown["first_name"], shown["email"].endswith("@erased.invalid")) == (
            "cancelled",
            "",
            True,
        )
    problem(api.call("GET", "/people/me", token), 401)
