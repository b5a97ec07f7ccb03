"""Being kept informed of the series: double opt-in by the emailed link, and nothing before it;
announcements, and leaving in one click."""

import re

from harness.testing import wait_until

from .client import inbox, parts, person, problem, stays_true, token_from, wait_for_mails

CONFIRM_PAGE = "/en/subscriptions/confirm"  # the page in the language of the people here: English
SUBJECT = "Confirm your subscription to the Open d'Etat forums"


def events(bus, kind, email):
    return [
        d.envelope["data"]
        for d in bus.poll()
        if d.envelope["type"] == kind and d.envelope["data"]["person"]["email"] == email
    ]


def test_a_subscription_waits_for_the_emailed_link_and_is_confirmed_once(api, mail, bus):
    someone = {"email": person()["email"], "first_name": "Ada", "locale": "en"}
    asked = api.call("POST", "/subscriptions", json=someone)
    assert (asked.status_code, asked.json()) == (202, {"status": "pending"})

    (message,) = wait_for_mails(mail, {someone["email"]: 1})[someone["email"]]
    assert message["Subject"] == SUBJECT
    assert "To confirm, follow the link below" in parts(message)[0]
    token = token_from(message, CONFIRM_PAGE)
    (requested,) = events(bus, "subscription_requested", someone["email"])
    assert events(bus, "subscription_confirmed", someone["email"]) == []
    problem(api.call("GET", "/people/me", token), 401)  # this link confirms, and does nothing else

    for _ in range(2):  # following the link twice is no error, and confirms once
        confirmed = api.call("POST", "/subscriptions/confirm", token)
        assert (confirmed.status_code, confirmed.json()["status"]) == (200, "confirmed"), confirmed.text
        assert confirmed.json()["subscription_id"] == requested["subscription_id"]
    bus.wait_for(lambda e: e["type"] == "subscription_confirmed", message="subscription_confirmed")
    again = api.call("POST", "/subscriptions", json=someone)  # the same answer: it tells nothing
    assert (again.status_code, again.json()) == (202, {"status": "pending"})
    # A later event of the same queue: had the second confirmation (or asking again once subscribed)
    # emitted anything, it would be here by now.
    marker = person()
    api.call("POST", "/subscriptions", json={"email": marker["email"]})
    bus.wait_for(
        lambda e: e["type"] == "subscription_requested" and e["data"]["person"]["email"] == marker["email"],
        message="the marker's subscription_requested",
    )
    assert len(events(bus, "subscription_requested", someone["email"])) == 1
    (event,) = events(bus, "subscription_confirmed", someone["email"])
    assert event["subscription_id"] == requested["subscription_id"]
    stays_true(lambda: len(inbox(mail, someone["email"])[someone["email"]]) == 1, 1.0, "a second email")


def test_bad_links_are_refused(api):
    problem(api.call("POST", "/subscriptions/confirm"), 401)
    problem(api.call("POST", "/subscriptions/confirm", "abc.def"), 401)
    problem(api.call("GET", "/unsubscribe/garbage"), 404)
    problem(api.call("POST", "/unsubscribe/abc.def"), 401)
    problem(api.call("POST", "/subscriptions", json={"email": "nobody"}), 400)


def test_registering_with_consent_to_updates_also_asks_to_confirm_a_subscription(api, mail, bus):
    forum = api.create_forum(capacity=5)
    someone = person(consent_updates=True)
    registration = api.registered(forum["id"], someone)
    received = wait_for_mails(mail, {someone["email"]: 2})[someone["email"]]
    subjects = sorted(message["Subject"] for message in received)
    assert subjects == [SUBJECT, f"Registration confirmed: {forum['title']}"]
    request = next(message for message in received if message["Subject"] == SUBJECT)
    confirmed = api.call("POST", "/subscriptions/confirm", token_from(request, CONFIRM_PAGE))
    assert confirmed.json()["status"] == "confirmed"

    # The person's own export shows the subscription; withdrawing the consent ends it.
    confirmation = next(message for message in received if message["Subject"] != SUBJECT)
    token = token_from(confirmation)
    assert [s["status"] for s in api.call("GET", "/people/me", token).json()["subscriptions"]] == [
        "confirmed"
    ]
    withdrawn = api.call(
        "PATCH", f"/registrations/{registration['id']}/consents", token, json={"consent_updates": False}
    )
    assert withdrawn.json()["consents"]["updates"] is False
    ended = bus.wait_for(
        lambda e: e["type"] == "subscription_ended" and e["data"]["email"] == someone["email"],
        message="subscription_ended",
    )
    assert ended.envelope["data"]["reason"] == "unsubscribed"
    assert [s["status"] for s in api.call("GET", "/people/me", token).json()["subscriptions"]] == ["ended"]


def subscriber(api, mail, bus):
    """Someone subscribed and confirmed, once the platform knows it."""
    someone = {"email": person()["email"], "first_name": "Lin", "locale": "en"}
    assert api.call("POST", "/subscriptions", json=someone).status_code == 202
    (message,) = wait_for_mails(mail, {someone["email"]: 1})[someone["email"]]
    confirmed = api.call("POST", "/subscriptions/confirm", token_from(message, CONFIRM_PAGE))
    assert confirmed.status_code == 200, confirmed.text
    bus.wait_for(
        lambda e: e["type"] == "subscription_confirmed" and e["data"]["person"]["email"] == someone["email"],
        message="subscription_confirmed",
    )
    return someone["email"]


def announcements(mail, address, forum):
    return [
        m for m in inbox(mail, address)[address] if m["Subject"] == f"Registration open: {forum['title']}"
    ]


def test_an_announcement_comes_with_a_one_click_unsubscribe_link(api, mail, bus):
    leaving, staying = subscriber(api, mail, bus), subscriber(api, mail, bus)
    forum = api.create_forum(status="draft")
    assert api.organiser("POST", f"/forums/{forum['id']}/open").status_code == 200
    wait_until(
        lambda: announcements(mail, leaving, forum) and announcements(mail, staying, forum),
        message="the announcement to both subscribers",
    )
    (message,) = announcements(mail, leaving, forum)
    unsubscribe = re.search(r"<(http\S+/api/v1/unsubscribe/(\S+))>", message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.group(1) in parts(message)[0]
    token = unsubscribe.group(2)

    # What a mail client does (RFC 8058): POST to the URL as it is, with no token header, this body.
    one_click = {
        "data": "List-Unsubscribe=One-Click",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }
    for _ in range(2):  # a second click is harmless
        done = api.call("POST", f"/unsubscribe/{token}", **one_click)
        assert (done.status_code, done.json()["status"]) == (200, "ended"), done.text
    ended = bus.wait_for(
        lambda e: e["type"] == "subscription_ended" and e["data"]["email"] == leaving,
        message="subscription_ended",
    )
    assert ended.envelope["data"]["reason"] == "unsubscribed"

    later = api.create_forum()
    wait_until(lambda: announcements(mail, staying, later), message="the next announcement")
    stays_true(lambda: announcements(mail, leaving, later) == [], 1.0, "an announcement after unsubscribing")
    assert [
        d.envelope["data"]["email"] for d in bus.poll() if d.envelope["type"] == "subscription_ended"
    ] == [leaving]
