"""Abuse limits, from outside: a client past its limit gets 429 with Retry-After, an address gets at
most one email of a kind per window whatever is asked (and the answers do not tell), a repeated
registration never carries the requester's words, and the limits hold across gateway replicas."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import requests

from harness.stack import Stack, free_port
from harness.testing import wait_until

from .client import mail_to, person, problem, stays_true, token_from, wait_for_mail, wait_for_mails

# Each test acts as its own client, behind one trusted proxy that says who the client is.
STACK_SETTINGS = {
    "RATE_LIMIT_CLIENT_WRITES": "10/minute",
    "RATE_LIMIT_ADDRESS_EMAILS": "1/10minutes",
    "TRUSTED_PROXIES": 1,
}
LIMIT = 10


NETS = ("203.0.113", "198.51.100", "192.0.2")  # documentation addresses: 750 clients, each used once
_clients = itertools.count()


def client():
    """A client of its own. The trusted proxy appends the address it saw, so that is the last hop, the
    one the limit counts (a random one among 250 there made two tests share a limit now and then); what
    comes before it is whatever the client claims."""
    n = next(_clients)
    return {"X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.0.1, {NETS[n // 250]}.{n % 250 + 1}"}


def ask_link(api, address, headers):
    return api.call("POST", "/people/management-link", json={"email": address}, headers=headers)


def test_one_address_gets_one_link_however_often_it_is_asked_for(api, mail):
    forum, someone = api.create_forum(), person()
    headers = client()
    assert api.call("POST", f"/forums/{forum['id']}/registrations", json=someone, headers=headers).ok
    wait_for_mail(mail, [someone["email"]])  # the confirmation

    answers = [ask_link(api, someone["email"], headers) for _ in range(LIMIT - 1)]
    assert {(answer.status_code, answer.text) for answer in answers} == {(202, '{"status": "accepted"}')}
    wait_for_mails(mail, {someone["email"]: 2})  # the confirmation and the one link
    stays_true(
        lambda: len(mail_to(mail, someone["email"])[someone["email"]]) == 2,
        3.0,
        "more than one management link reached the address",
    )


def test_a_client_past_its_limit_gets_429_with_retry_after_and_others_go_on(api):
    headers = client()
    answers = [ask_link(api, f"nobody-{n}@example.org", headers) for n in range(LIMIT + 3)]
    assert [answer.status_code for answer in answers] == [202] * LIMIT + [429] * 3
    refused = problem(answers[-1], 429)
    assert refused["title"] == "Too many requests"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert ask_link(api, "nobody@example.org", client()).status_code == 202  # another client
    assert api.organiser("GET", "/forums").status_code == 200  # reads and organisers are not limited


def test_a_participants_proposals_and_ballots_count_and_an_organisers_proposals_do_not(api, mail):
    forum, someone = api.create_forum(), person()
    assert api.call("POST", f"/forums/{forum['id']}/registrations", json=someone, headers=client()).ok
    token = token_from(wait_for_mail(mail, [someone["email"]])[someone["email"]][0])
    wait_until(lambda: api.call("GET", "/people/me/topics", token).ok, 30, message="known to topics")

    headers, topics = client(), f"/forums/{forum['id']}/topics"
    answers = [
        api.call("POST", topics, token, json={"title": f"Topic {n}"}, headers=headers) for n in range(6)
    ]
    answers += [
        api.call("POST", "/topics", token, json={"title": f"Later {n}"}, headers=headers) for n in range(6)
    ]
    assert [answer.status_code for answer in answers] == [201] * LIMIT + [429] * 2
    assert problem(answers[-1], 429)["title"] == "Too many requests"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    for path in (topics, "/topics"):  # the organiser, from the same client, is not limited
        assert api.call("POST", path, api.token, json={"title": "Ours"}, headers=headers).status_code == 201

    closes_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    round_body = {"method": "approval", "max_choices": 1, "agenda_size": 1, "closes_at": closes_at}
    opened = api.call("POST", f"/forums/{forum['id']}/rounds", api.token, json=round_body, headers=headers)
    assert opened.status_code == 201, opened.text
    elsewhere = client()
    ballots = [
        api.call(
            "PUT", f"/rounds/{opened.json()['id']}/ballot", token, json={"choices": []}, headers=elsewhere
        )
        for _ in range(LIMIT + 1)
    ]
    assert [answer.status_code for answer in ballots] == [200] * LIMIT + [429]


def test_subscribing_an_address_again_and_again_sends_one_confirmation(api, mail):
    headers, address = client(), f"e2e-{uuid.uuid4().hex[:10]}@example.org"
    body = {"email": address, "locale": "fr"}
    answers = [api.call("POST", "/subscriptions", json=body, headers=headers) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {202}
    wait_for_mail(mail, [address])
    stays_true(lambda: len(mail_to(mail, address)[address]) == 1, 3.0, "a second confirmation was sent")


def test_a_repeated_registration_greets_the_owner_by_the_name_they_gave(api, mail):
    forum, owner = api.create_forum(), person(first_name="Camille")
    headers = client()
    assert api.call("POST", f"/forums/{forum['id']}/registrations", json=owner, headers=headers).ok
    lure = owner | {"first_name": "Votre compte est suspendu", "last_name": "allez sur https://evil.example/"}
    again = api.call("POST", f"/forums/{forum['id']}/registrations", json=lure, headers=headers)
    problem(again, 409)
    [_, link] = wait_for_mails(mail, {owner["email"]: 2})[owner["email"]]
    text = link.get_body(("plain",)).get_content()
    assert "Camille" in text
    assert "suspendu" not in text and "evil.example" not in text
    assert "suspendu" not in str(link["Subject"])


def test_the_limit_holds_across_two_gateway_replicas(api, stack, tmp_path):
    replica = Stack(stack.env | {"GATEWAY_PORT": str(free_port())}, tmp_path / "replica")
    replica.start("gateway").wait_ready()
    try:
        headers, urls = client(), [stack.base_url, replica.base_url]
        answers = [
            requests.post(
                f"{urls[n % 2]}/api/v1/people/management-link",
                json={"email": f"nobody-{n}@example.org"},
                headers=headers,
                timeout=30,
            )
            for n in range(LIMIT + 4)
        ]
        assert [answer.status_code for answer in answers] == [202] * LIMIT + [429] * 4
    finally:
        replica.stop()
