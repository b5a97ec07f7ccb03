"""A person without an account: the link in their emails lets them see, change and cancel their own
registration, and nothing of anyone else's; they can ask for it again, and revoke it."""

from .client import LINK_SUBJECT, inbox, parts, person, problem, stays_true, token_from, wait_for_mails


def tampered(token):
    payload, signature = token.split(".")
    return f"{payload}.{signature[:-2]}{'AB' if signature[-2:] != 'AB' else 'CD'}"


def public_names(api, forum):
    response = api.call("GET", f"/forums/{forum['id']}/participants")
    assert response.status_code == 200, response.text
    assert all("email" not in participant for participant in response.json())
    return [participant["last_name"] for participant in response.json()]


def test_the_emailed_link_shows_changes_and_cancels_ones_own_registration_only(api, mail):
    forum = api.create_forum(capacity=1)
    alice = api.registered(forum["id"], person(organisation="Association des usagers"))
    bob = api.registered(forum["id"], person())
    received = wait_for_mails(mail, {alice["email"]: 1, bob["email"]: 1})
    token = token_from(received[alice["email"]][0])

    own = api.call("GET", f"/registrations/{alice['id']}", token)
    assert (own.status_code, own.json()["email"], own.json()["status"]) == (200, alice["email"], "confirmed")
    assert own.headers["Cache-Control"] == "no-store"
    export = api.call("GET", "/people/me", token)
    assert export.status_code == 200, export.text
    assert export.json()["person"]["email"] == alice["email"]
    assert [r["id"] for r in export.json()["registrations"]] == [alice["id"]]
    assert bob["email"] not in export.text and bob["last_name"] not in export.text

    assert alice["last_name"] not in public_names(api, forum)
    consents = api.call(
        "PATCH", f"/registrations/{alice['id']}/consents", token, json={"consent_public_list": True}
    )
    assert consents.json()["consents"] == {"attend": True, "updates": False, "public_list": True}
    assert public_names(api, forum) == [alice["last_name"]]

    problem(api.call("GET", f"/registrations/{bob['id']}", token), 403)
    problem(api.call("DELETE", f"/registrations/{bob['id']}", token), 403)
    refused = problem(api.call("GET", "/people/me", tampered(token)), 401)
    assert refused["detail"] == "This link is invalid, expired or revoked: ask for a new one."
    problem(api.call("DELETE", f"/registrations/{alice['id']}", tampered(token)), 401)
    assert api.organiser("GET", f"/registrations/{bob['id']}").json()["status"] == "waitlisted"

    cancelled = api.call("DELETE", f"/registrations/{alice['id']}", token)
    assert (cancelled.json()["status"], cancelled.json()["cancelled_by"]) == ("cancelled", "person")
    received = wait_for_mails(mail, {alice["email"]: 2, bob["email"]: 2})
    assert received[alice["email"]][1]["Subject"] == f"Registration cancelled: {forum['title']}"
    assert "As you asked, your registration" in parts(received[alice["email"]][1])[0]
    assert received[bob["email"]][1]["Subject"] == f"A seat for you: {forum['title']}"
    assert api.organiser("GET", f"/registrations/{bob['id']}").json()["status"] == "confirmed"
    assert public_names(api, forum) == []


def test_registering_twice_answers_409_and_emails_the_link_again(api, mail):
    forum = api.create_forum(capacity=5)
    someone = person()
    first = api.registered(forum["id"], someone)
    again = problem(api.register(forum["id"], someone | {"email": someone["email"].upper()}), 409)
    assert again["detail"] == "This address is already registered: its link was sent again."

    received = wait_for_mails(mail, {someone["email"]: 2})[someone["email"]]
    subjects = sorted(message["Subject"] for message in received)
    assert subjects == [
        f"Registration confirmed: {forum['title']}",
        f"You are already registered: {forum['title']}",
    ]
    reminder = next(m for m in received if m["Subject"].startswith("You are already"))
    mine = api.call("GET", f"/registrations/{first['id']}", token_from(reminder))
    assert mine.status_code == 200, mine.text
    assert [r["id"] for r in api.registrations(forum["id"])] == [first["id"]]


def test_a_link_is_sent_on_request_to_a_known_address_and_to_nobody_else(api, mail):
    forum = api.create_forum(capacity=5)
    known, unknown = person(), person()
    registration = api.registered(forum["id"], known)
    wait_for_mails(mail, {known["email"]: 1})
    answers = [
        api.call("POST", "/people/management-link", json={"email": p["email"]}) for p in (unknown, known)
    ]
    assert [(a.status_code, a.json()) for a in answers] == [(202, {"status": "accepted"})] * 2

    message = wait_for_mails(mail, {known["email"]: 2})[known["email"]][1]
    assert message["Subject"] == LINK_SUBJECT
    export = api.call("GET", "/people/me", token_from(message)).json()
    assert [r["id"] for r in export["registrations"]] == [registration["id"]]
    stays_true(
        lambda: inbox(mail, unknown["email"])[unknown["email"]] == [], 2.0, "an email to an unknown address"
    )


def test_revoking_ones_links_stops_the_old_one_and_emails_a_new_one(api, mail):
    forum = api.create_forum(capacity=5)
    someone = api.registered(forum["id"], person())
    old = token_from(wait_for_mails(mail, {someone["email"]: 1})[someone["email"]][0])
    revoked = api.call("POST", "/people/me/revoke-links", old)
    assert (revoked.status_code, revoked.json()) == (202, {"status": "accepted"})

    problem(api.call("GET", "/people/me", old), 401)
    problem(api.call("DELETE", f"/registrations/{someone['id']}", old), 401)
    message = wait_for_mails(mail, {someone["email"]: 2})[someone["email"]][1]
    assert message["Subject"] == LINK_SUBJECT
    new = token_from(message)
    assert new != old
    assert api.call("GET", f"/registrations/{someone['id']}", new).json()["status"] == "confirmed"


def test_a_token_appears_in_no_log_and_no_event(api, mail, bus, stack):
    forum = api.create_forum(capacity=5)
    someone = api.registered(forum["id"], person(consent_updates=True))
    received = wait_for_mails(mail, {someone["email"]: 2})[someone["email"]]
    token = token_from(next(m for m in received if m["Subject"].startswith("Registration")))
    assert api.call("GET", "/people/me", token).status_code == 200
    problem(api.call("POST", "/subscriptions/confirm", token), 401)  # a link for something else
    problem(api.call("GET", "/people/me", tampered(token)), 401)
    api.call("POST", f"/unsubscribe/{token}")  # the one place a token is in a URL
    assert api.call("POST", "/people/me/revoke-links", token).status_code == 202
    problem(api.call("DELETE", f"/registrations/{someone['id']}", token), 401)  # revoked
    wait_for_mails(mail, {someone["email"]: 3})

    payload = token.split(".")[0]
    for name in ("gateway", "registration", "notification"):
        text = stack.log_path(name).read_text(errors="replace")
        assert payload not in text, f"a token in the {name} log"
    assert [d.routing_key for d in bus.poll() if payload.encode() in d.body] == []
