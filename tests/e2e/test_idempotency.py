"""A client that retries with its Idempotency-Key gets its first answer, and the platform acts once."""

import uuid

from .client import mail_to, person, problem, stays_true, wait_for_mail


def register(api, forum, someone, key):
    return api.call(
        "POST", f"/forums/{forum['id']}/registrations", json=someone, headers={"Idempotency-Key": key}
    )


def test_a_retry_with_its_key_gets_the_original_201_and_one_email(api, mail):
    forum, someone, key = api.create_forum(capacity=5), person(), str(uuid.uuid4())
    first = register(api, forum, someone, key)
    again = register(api, forum, someone, key)  # the answer was lost on the way: the client tries again
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert api.get_forum(forum["id"])["seats_left"] == 4
    wait_for_mail(mail, [someone["email"]])
    stays_true(lambda: len(mail_to(mail, someone["email"])[someone["email"]]) == 1, 2.0, "a second email")
    without_key = api.register(forum["id"], someone)  # a new request, not a retry
    assert problem(without_key, 409)["title"] == "Already registered"


def test_a_key_reused_for_another_body_is_refused_and_a_malformed_key_is_a_400(api):
    forum, key = api.create_forum(capacity=5), str(uuid.uuid4())
    assert register(api, forum, person(), key).status_code == 201
    reused = problem(register(api, forum, person(), key), 422)
    assert "Idempotency-Key" in reused["errors"]
    malformed = problem(register(api, forum, person(), "clé avec espaces"), 400)
    assert "Idempotency-Key" in malformed["errors"]
    assert api.get_forum(forum["id"])["seats_left"] == 4


def test_a_key_belongs_to_its_caller_and_a_bad_token_is_still_a_401(api):
    forum, someone, key = api.create_forum(capacity=5), person(), str(uuid.uuid4())
    registration = register(api, forum, someone, key).json()
    cancel, cancelling = f"/registrations/{registration['id']}", str(uuid.uuid4())
    assert api.organiser("DELETE", cancel, headers={"Idempotency-Key": cancelling}).status_code == 200
    stranger = api.call("DELETE", cancel, token="not.a-token", headers={"Idempotency-Key": cancelling})
    problem(stranger, 401)  # judged as itself: neither the organiser's answer nor "key reused"
