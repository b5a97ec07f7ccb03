"""The gateway in a real container, over real HTTP and a real RabbitMQ vhost, in front of a fake
registration service (a small nameko service that answers every RPC method of the interface from
canned values and records what it was asked). These tests check what the gateway itself decides:
who may call what, what is validated, what reaches the service, how errors are answered, and that no
token is logged or echoed. The real service is tested in its own files and end to end."""

import logging

import eventlet
import pytest

from gateway.errors import REMOTE_ERRORS
from harness.testing import wait_until

from .gateway_support import (
    FAKE,
    FORUM,
    FORUM_ID,
    ORGANISER,
    REGISTRATION_ID,
    TOKEN,
)


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:opendetat:problem:")
    return body


def concrete(path):
    """A real address for a documented path."""
    values = {"{forum_id}": FORUM_ID, "{forum_ref}": FORUM["slug"], "{token}": TOKEN}
    values |= {"{registration_id}": REGISTRATION_ID, "{token_id}": REGISTRATION_ID}
    values |= {"{topic_id}": REGISTRATION_ID, "{round_id}": REGISTRATION_ID, "{group}": "citizen"}
    values |= {"{commitment_id}": REGISTRATION_ID, "{comment_id}": REGISTRATION_ID, "{number}": "1"}
    for name, value in values.items():
        path = path.replace(name, value)
    return path


def operations(api, auth):
    document = api("GET", "/api/v1/openapi.json").json()
    security = {"organiser": [{"organiserToken": []}], "person": [{"participantToken": []}]}[auth]
    found = [
        (method.upper(), concrete(path))
        for path, described in document["paths"].items()
        for method, operation in described.items()
        if operation["security"] == security
    ]
    assert found
    return found


def test_organiser_routes_refuse_the_public_and_participants_before_any_call(api):
    for method, path in operations(api, "organiser"):
        refused = problem(api(method, path, json={}), 401)
        assert refused["title"] == "Authentication required"
        assert api(method, path).headers["WWW-Authenticate"].startswith("Bearer")
        problem(api(method, path, token=TOKEN, json={}), 403)
        problem(api(method, path, headers={"Authorization": f"Basic {ORGANISER}"}), 401)
    assert FAKE.calls == []


def test_person_routes_want_a_link_token_not_an_organiser_token(api):
    for method, path in operations(api, "person"):
        problem(api(method, path, json={}), 401)
        problem(api(method, path, token=ORGANISER, json={}), 403)
    assert FAKE.calls == []


@pytest.mark.parametrize("name", sorted(REMOTE_ERRORS))
def test_each_service_error_has_its_answer_and_never_echoes_a_token(api, name):
    FAKE.failure = (name, f"refused for token {TOKEN}")
    answer = api("DELETE", f"/api/v1/registrations/{REGISTRATION_ID}", token=TOKEN)
    known = REMOTE_ERRORS[name]
    body = problem(answer, known.status)
    assert body["title"] == known.title
    assert TOKEN not in answer.text
    if known.field:
        assert body["errors"] == {known.field: [body["detail"]]}
    if known.status == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_service_error_is_a_500_and_a_slow_or_unreachable_service_a_503(api):
    FAKE.failure = ("KeyError", "surprise")
    assert problem(api("GET", f"/api/v1/forums/{FORUM_ID}"), 500)["detail"] == "The error was logged."
    FAKE.failure = ("DatabaseUnavailable", "registration: PoolTimeout")
    outage = api("GET", f"/api/v1/forums/{FORUM_ID}")
    assert problem(outage, 503)["title"] == "Service unavailable" and outage.headers["Retry-After"] == "5"
    FAKE.failure = None
    FAKE.replies["get_forum"] = lambda *args: eventlet.sleep(3)
    slow = api("GET", f"/api/v1/forums/{FORUM_ID}")
    assert "did not answer" in problem(slow, 503)["detail"] and slow.headers["Retry-After"] == "5"


def test_bad_input_is_a_4xx_with_named_fields_and_reaches_no_service(api):
    register = f"/api/v1/forums/{FORUM_ID}/registrations"
    as_json = {"Content-Type": "application/json"}
    assert (
        problem(api("POST", register, data=b'{"email": ', headers=as_json), 400)["title"] == "Malformed JSON"
    )
    assert problem(api("POST", register, json=["a list"]), 400)["title"] == "Malformed JSON"
    assert problem(api("POST", register, data=b"\xff\xfe", headers=as_json), 400)["title"] == "Malformed JSON"
    person = {"email": "a@example.org", "first_name": "A", "last_name": "B", "stakeholder_group": "other"}
    fields = problem(api("POST", register, json=person | {"surprise": 1, "consent_attend": False}), 400)
    assert set(fields["errors"]) == {"surprise", "consent_attend"}
    problem(api("POST", register, data=b'{"email": "' + b"x" * (64 * 1024) + b'"}', headers=as_json), 413)
    query = problem(api("GET", "/api/v1/forums?when=tomorrow&limit=0&cursor=&page=2"), 400)
    assert set(query["errors"]) == {"when", "limit", "cursor", "page"}
    listing = f"/api/v1/forums/{FORUM_ID}/registrations?status=lost&group=lobby&limit=101"
    assert set(problem(api("GET", listing, token=ORGANISER), 400)["errors"]) == {"status", "group", "limit"}
    problem(api("POST", "/api/v1/forums/not-a-uuid/registrations", json=person), 404)
    problem(api("GET", "/api/v1/forums/Not_A_Slug!"), 404)
    problem(api("DELETE", "/api/v1/registrations/42", token=ORGANISER), 404)
    problem(api("POST", "/api/v1/unsubscribe/not-a-token"), 404)
    assert problem(api("PUT", f"/api/v1/forums/{FORUM_ID}"), 405)["title"] == "Method Not Allowed"
    problem(api("GET", "/api/v1/nowhere"), 404)
    assert FAKE.calls == []


def gateway_log(caplog):
    """What the gateway logged: not the test's HTTP client, nor the fake service's own workers."""
    formatter = logging.Formatter("%(name)s %(message)s")
    return "\n".join(
        formatter.format(record)
        for record in caplog.records
        if not record.name.startswith("urllib3") and "[registration." not in record.getMessage()
    )


def test_tokens_stay_out_of_the_access_log(api, caplog):
    caplog.set_level(logging.DEBUG)
    assert api("GET", f"/api/v1/unsubscribe/{TOKEN}").status_code == 200
    assert api("POST", f"/api/v1/unsubscribe/{TOKEN}?from=mail").status_code == 200
    FAKE.failure = ("InvalidToken", f"bad token {TOKEN}")
    assert api("POST", f"/api/v1/unsubscribe/{TOKEN}").status_code == 401
    assert api("GET", "/api/v1/people/me", token=TOKEN).status_code == 401
    wait_until(lambda: gateway_log(caplog).count("/api/v1/unsubscribe/…") == 3, message="access log lines")
    logged = gateway_log(caplog)
    assert "/api/v1/unsubscribe/…?from=mail" in logged and "InvalidToken" in logged
    assert TOKEN not in logged and TOKEN.split(".")[1] not in logged


def test_existing_routes_still_answer(api):
    assert api("GET", "/health/live").json() == {"status": "alive"}
    assert api("GET", "/api/v1/ping").json() == {"registration": "pong"}
    assert api("GET", "/api/v1/openapi.json").json()["openapi"] == "3.1.0"
    assert "registration_confirmed" in str(api("GET", "/api/v1/asyncapi.json").json()["channels"])
