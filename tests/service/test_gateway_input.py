"""What a fuzzer sends the gateway: bodies not said to be JSON, chunked bodies, deep nesting, control
characters, addresses the mail relay cannot take, moments the database cannot store, forged cursors.
Each is a 4xx problem (never a 500) that reaches no service, and is logged in one line."""

import json
import logging

import pytest

from harness.testing import wait_until

from .gateway_support import FAKE, FORUM_ID, FORUM_IN, ORGANISER, PERSON, TOKEN

REGISTER = f"/api/v1/forums/{FORUM_ID}/registrations"


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml", "json"]
)
def test_a_json_body_must_be_sent_as_json(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = api("POST", REGISTER, data=json.dumps(PERSON).encode(), headers=headers)
    assert problem(answer, 415)["title"] == "Unsupported media type"
    assert FAKE.calls == []


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/x+json"],
)
def test_json_and_its_suffixed_types_are_taken(api, content_type):
    answer = api("POST", REGISTER, data=json.dumps(PERSON).encode(), headers={"Content-Type": content_type})
    assert answer.status_code == 201, answer.text


def test_routes_without_a_json_body_ask_for_no_content_type(api):
    assert api("POST", f"/api/v1/forums/{FORUM_ID}/open", token=ORGANISER).status_code == 200
    one_click = {"Content-Type": "application/x-www-form-urlencoded"}  # RFC 8058: List-Unsubscribe=One-Click
    answer = api("POST", f"/api/v1/unsubscribe/{TOKEN}", data="List-Unsubscribe=One-Click", headers=one_click)
    assert answer.status_code == 200 and FAKE.args("unsubscribe") == [TOKEN]
    assert api("POST", f"/api/v1/unsubscribe/{TOKEN}", data=b"").status_code == 200


def chunks(data, size=1000):
    """A generator body: requests sends it chunked, without a Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_body_is_read_and_still_bounded(api):
    body = json.dumps(PERSON | {"accessibility_needs": "x" * 1500}).encode()
    answer = api("POST", REGISTER, data=chunks(body), headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    assert FAKE.args("register")[1]["accessibility_needs"] == "x" * 1500
    FAKE.reset()
    huge = json.dumps(PERSON | {"accessibility_needs": "x" * 70_000}).encode()
    problem(api("POST", REGISTER, data=chunks(huge), headers={"Content-Type": "application/json"}), 413)
    assert FAKE.calls == []


def test_deeply_nested_json_is_malformed_not_a_crash(api):
    for nested in (b"[" * 30_000, b'{"first_name": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"):
        answer = api("POST", REGISTER, data=nested, headers={"Content-Type": "application/json"})
        assert problem(answer, 400)["title"] == "Malformed JSON"
    assert FAKE.calls == []


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\n", "\r", "\t"])
def test_control_characters_are_refused_in_one_line_text(api, character):
    answer = api(
        "POST", REGISTER, json=PERSON | {"first_name": f"A{character}na", "organisation": f"O{character}"}
    )
    assert set(problem(answer, 400)["errors"]) == {"first_name", "organisation"}
    venue = FORUM_IN["venue"] | {"city": f"Pa{character}ris"}
    answer = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM_IN | {"venue": venue})
    assert problem(answer, 400)["errors"] == {
        "venue": {"city": [answer.json()["errors"]["venue"]["city"][0]]}
    }
    assert FAKE.calls == []


def test_multi_line_text_keeps_tabs_and_new_lines_but_no_other_control_character(api):
    text = "Ligne 1\r\n\tLigne 2\n"
    answer = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM_IN | {"description": text})
    assert answer.status_code == 201 and FAKE.args("create_forum")[0]["description"] == text
    for bad in ("\x00", "\x0b", "\x1f", "\ud800"):
        answer = api("POST", REGISTER, json=PERSON | {"accessibility_needs": f"Rampe{bad}"})
        assert set(problem(answer, 400)["errors"]) == {"accessibility_needs"}
    answer = api("POST", f"/api/v1/forums/{FORUM_ID}/cancel", token=ORGANISER, json={"reason": "Grève\x00"})
    assert set(problem(answer, 400)["errors"]) == {"reason"}


def test_an_address_needs_an_ascii_local_part_and_an_international_domain_goes_as_punycode(api):
    answer = api("POST", REGISTER, json=PERSON | {"email": "élodie@example.org"})
    assert "ASCII" in problem(answer, 400)["errors"]["email"][0]
    for route in ("/api/v1/subscriptions", "/api/v1/people/management-link"):
        assert set(problem(api("POST", route, json={"email": "é@example.org"}), 400)["errors"]) == {"email"}
    assert set(
        problem(api("POST", REGISTER, json=PERSON | {"email": '"a\x01"@example.org'}), 400)["errors"]
    ) == {"email"}
    assert FAKE.calls == []
    answer = api("POST", REGISTER, json=PERSON | {"email": "ana@exemple-été.fr"})
    assert answer.status_code == 201, answer.text
    assert FAKE.args("register")[1]["email"] == "ana@xn--exemple-t-i4ab.fr"
    assert answer.json()["email"] == "ana@xn--exemple-t-i4ab.fr"


@pytest.mark.parametrize(
    "moment",
    [
        "2027-03-01T09:00:00+20:00",  # PostgreSQL takes offsets up to 15:59
        "2027-03-01T09:00:00-16:00",
        "9999-12-31T23:00:00-15:00",  # past the year 9999 in UTC
        "0001-01-01T01:00:00+15:00",
        "2027-03-01T09:00+01:00",  # no seconds: not RFC 3339
        "2027-03-01 09:00:00+01:00",
        "2027-03-01T09:00:00+01:00\n",
    ],
)
def test_a_moment_the_database_cannot_store_is_a_field_error(api, moment):
    answer = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM_IN | {"starts_at": moment})
    assert set(problem(answer, 400)["errors"]) == {"starts_at"}
    assert FAKE.calls == []


def test_the_document_and_the_schemas_agree_on_what_a_forum_change_and_its_dates_are(api):
    """``{}`` is refused as the document says (minProperties 1); equal start and end are refused, as the
    document says in words (JSON Schema cannot compare two fields)."""
    document = api("GET", "/api/v1/openapi.json").json()
    update = document["components"]["schemas"]["ForumUpdate"]
    assert update["minProperties"] == 1
    problem(api("PATCH", f"/api/v1/forums/{FORUM_ID}", token=ORGANISER, json={}), 400)
    assert "ends_at not after starts_at" in document["paths"]["/api/v1/forums"]["post"]["description"]
    for name in ("ForumCreate", "ForumUpdate", "ConsentsUpdate", "Venue", "Quotas"):
        assert document["components"]["schemas"][name]["additionalProperties"] is False, name
    same = FORUM_IN | {"ends_at": FORUM_IN["starts_at"]}
    assert set(problem(api("POST", "/api/v1/forums", token=ORGANISER, json=same), 400)["errors"]) == {
        "ends_at"
    }


@pytest.mark.parametrize(
    "cursor",
    [
        "MjAyNy0xMy00NVQ5OTo5OTo5OXwwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=",  # a forged old one
        "forums.99999999999999999999." + "0" * 32,
        "registrations.1." + "0" * 32,
    ],
)
def test_a_forged_cursor_is_refused_before_the_service_is_asked(api, cursor):
    answer = api("GET", "/api/v1/forums", params={"cursor": cursor})
    assert set(problem(answer, 400)["errors"]) == {"cursor"}
    assert FAKE.calls == []


def worker_records(caplog, route):
    return [
        record
        for record in caplog.records
        if record.name == "nameko.containers" and route in record.getMessage()
    ]


def test_a_refused_request_is_logged_in_one_line_and_a_server_error_with_its_traceback(api, caplog):
    caplog.set_level(logging.INFO)
    assert api("POST", "/api/v1/forums", token=ORGANISER, json={"title": ""}).status_code == 400
    refused = wait_until(lambda: worker_records(caplog, "gateway.create_forum"), message="the refusal logged")
    assert [(record.levelname, record.exc_info, record.exc_text) for record in refused] == [
        ("WARNING", None, None)
    ]
    assert "answered 400" in refused[0].getMessage() and "\n" not in refused[0].getMessage()
    FAKE.failure = ("KeyError", "surprise")
    assert api("GET", f"/api/v1/forums/{FORUM_ID}").status_code == 500
    failed = wait_until(lambda: worker_records(caplog, "gateway.get_forum"), message="the failure logged")
    assert failed[0].levelname == "ERROR" and failed[0].exc_info is not None


def test_an_integer_is_what_json_schema_calls_one(api):
    """12.0 is the integer 12 to JSON Schema, so to the document: taken, and sent on as 12."""
    answer = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM_IN | {"capacity": 12.0})
    assert answer.status_code == 201 and FAKE.args("create_forum")[0]["capacity"] == 12
    for wrong in ("12", True, 12.5):
        answer = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM_IN | {"capacity": wrong})
        assert set(problem(answer, 400)["errors"]) == {"capacity"}


def test_not_ready_is_logged_in_one_line_since_a_probe_asks_it_every_few_seconds(api, caplog):
    caplog.set_level(logging.INFO)
    answer = api("GET", "/health/ready")  # only a fake registration answers here: not ready
    assert problem(answer, 503)["detail"].startswith("Not ready: ")
    logged = wait_until(lambda: worker_records(caplog, "gateway.ready"), message="the answer logged")
    assert [(record.levelname, record.exc_info, record.exc_text) for record in logged] == [
        ("WARNING", None, None)
    ]
    assert "answered 503" in logged[0].getMessage() and "\n" not in logged[0].getMessage()
