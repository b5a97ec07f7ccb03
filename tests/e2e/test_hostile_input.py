"""What a fuzzer found answered 500 by the real services (a forged cursor reaching SQL, a NUL byte or an
offset PostgreSQL refuses, an id "²" that passes isdigit()), or accepted and then failed in the mailer
forever (an address the relay cannot take): each is now a 4xx problem, and changes nothing."""

import base64

from .client import person, problem, unique, wait_for_mail

FORGED = base64.urlsafe_b64encode(b"2027-13-45T99:99:99|00000000-0000-0000-0000-000000000000").decode()


def test_forged_cursors_and_ids_are_refused_before_any_query(api):
    assert set(problem(api.call("GET", "/forums", params={"cursor": FORGED}), 400)["errors"]) == {"cursor"}
    shaped = {"cursor": "forums.99999999999999999." + "f" * 32}  # of the documented shape: a valid page
    assert api.call("GET", "/forums", params=shaped).status_code == 200
    beyond = {"cursor": "dead-letters.99999999999999999999"}
    assert (
        "cursor" in problem(api.organiser("GET", "/notifications/dead-letters", params=beyond), 400)["errors"]
    )
    problem(api.organiser("POST", "/notifications/%C2%B2/retry"), 404)


def test_text_and_moments_the_database_cannot_store_are_field_errors(api):
    title = unique("Forum refusé")
    refused = [
        ({"title": f"{title}\x00"}, "title"),
        ({"title": title, "ends_at": "2027-03-01T17:00:00+20:00"}, "ends_at"),
    ]
    for change, field in refused:
        assert set(problem(api.organiser("POST", "/forums", json=forum(change)), 400)["errors"]) == {field}
    deep = api.organiser("POST", "/forums", data=b"[" * 30_000, headers={"Content-Type": "application/json"})
    assert problem(deep, 400)["title"] == "Malformed JSON"
    listed = api.organiser("GET", "/forums", params={"when": "all", "limit": 100}).json()["items"]
    assert title not in {item["title"] for item in listed}


def forum(change):
    return {
        "title": "x",
        "starts_at": "2027-03-01T09:00:00+01:00",
        "ends_at": "2027-03-01T17:00:00+01:00",
        "venue": {"name": "Salle", "address": "1 rue", "city": "Paris"},
        "capacity": 10,
    } | change


def test_an_address_the_relay_cannot_take_is_refused_and_an_international_domain_is_mailed(api, mail):
    created = api.create_forum(capacity=5)
    refused = api.register(created["id"], person(email="élodie@example.org"))
    assert set(problem(refused, 400)["errors"]) == {"email"}
    someone = person(email=f"{unique('idn')}@exemple-é.fr")
    registered = api.registered(created["id"], someone)
    ascii_address = someone["email"].replace("exemple-é.fr", "xn--exemple--i1a.fr")
    assert registered["email"] == ascii_address
    assert wait_for_mail(mail, [ascii_address])[ascii_address]
