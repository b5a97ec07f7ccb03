"""Organiser tokens and the audit trail, through the real gateway in front of the real registration and
notification services, with topics and restitution (real RabbitMQ vhost, real PostgreSQL): tokens created
by an organiser or on the command line work at once, revoked ones are refused at once, read tokens only
read, the database holds digests only, and the trail names who did what in every service."""

import hashlib
import http.client
import uuid
from urllib.parse import urlsplit

import pytest

from harness.testing import SmtpSink, wait_until
from kit.db import connect
from services.notification.service import NotificationService
from services.registration.organisers.__main__ import main as organisers_cli
from services.registration.service import RegistrationService
from services.restitution.service import RestitutionService
from services.topics.service import TopicsService

from .gateway_support import FORUM_IN, ORGANISER, TOKEN, Api, running_gateway

FORUM = FORUM_IN | {"title": "Forum des tokens", "capacity": 10}


@pytest.fixture(scope="module")
def settings(database_url, tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("mail")).start()
    yield {"DATABASE_URL": database_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.port}
    sink.stop()


@pytest.fixture(scope="module")
def api(rabbit_server, vhosts, settings):
    services = (RegistrationService, NotificationService, TopicsService, RestitutionService)
    with running_gateway(rabbit_server, vhosts, *services, overrides=settings) as url:
        yield Api(url)


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()


def created_token(api, scope="write", by=ORGANISER):
    name = f"Camille {uuid.uuid4().hex[:8]}"
    answer = api("POST", "/api/v1/organiser-tokens", token=by, json={"name": name, "scope": scope})
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"/api/v1/organiser-tokens/{answer.json()['id']}"
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json()


def create_forum(api, token):
    answer = api("POST", "/api/v1/forums", token=token, json=FORUM)
    assert answer.status_code == 201, answer.text
    return answer.json()


def trail(api, token=ORGANISER, **query):
    answer = api("GET", "/api/v1/audit", token=token, params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_created_token_works_at_once_and_is_refused_once_revoked(api):
    created = created_token(api)
    assert created["token"].startswith("odo_") and created["created_by"] == "ORGANISER_TOKEN"
    create_forum(api, created["token"])
    listed = api("GET", "/api/v1/organiser-tokens", token=created["token"]).json()["items"]
    mine = next(token for token in listed if token["id"] == created["id"])
    assert mine["name"] == created["name"] and mine["revoked_at"] is None and mine["last_used_at"]
    assert all("token" not in token and "digest" not in token for token in listed)
    # revoked by the token itself: the very next request is refused, with no restart
    revoked = api("DELETE", f"/api/v1/organiser-tokens/{created['id']}", token=created["token"])
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = problem(api("POST", "/api/v1/forums", token=created["token"], json=FORUM), 401)
    assert refused["detail"] == "This token is not valid."
    problem(api("GET", "/api/v1/organiser-tokens", token=created["token"]), 401)
    assert api("DELETE", f"/api/v1/organiser-tokens/{created['id']}", token=ORGANISER).status_code == 200
    problem(api("DELETE", f"/api/v1/organiser-tokens/{uuid.uuid4()}", token=ORGANISER), 404)


def test_a_name_in_use_is_taken_until_revoked(api):
    created = created_token(api)
    again = {"name": created["name"].upper(), "scope": "read"}
    assert problem(api("POST", "/api/v1/organiser-tokens", token=ORGANISER, json=again), 409)["errors"][
        "name"
    ]
    api("DELETE", f"/api/v1/organiser-tokens/{created['id']}", token=ORGANISER)
    assert api("POST", "/api/v1/organiser-tokens", token=ORGANISER, json=again).status_code == 201
    reserved = {"name": "ORGANISER_TOKEN", "scope": "write"}
    problem(api("POST", "/api/v1/organiser-tokens", token=ORGANISER, json=reserved), 409)


def test_a_read_token_reads_and_may_not_write(api):
    created = created_token(api, "read")
    reader = created["token"]
    forum = create_forum(api, ORGANISER)
    assert api("GET", f"/api/v1/forums/{forum['id']}/registrations", token=reader).status_code == 200
    assert api("GET", "/api/v1/audit", token=reader).status_code == 200
    for method, path, body in [
        ("POST", "/api/v1/forums", FORUM),
        ("POST", f"/api/v1/forums/{forum['id']}/close", None),
        ("POST", "/api/v1/organiser-tokens", {"name": "by a reader", "scope": "write"}),
    ]:
        assert (
            problem(api(method, path, token=reader, json=body), 403)["detail"] == "This token may only read."
        )
    assert api("GET", f"/api/v1/forums/{forum['id']}").json()["status"] == "open"
    assert trail(api, actor=created["name"])["items"] == []  # what was refused left no trace


def test_the_database_keeps_a_digest_never_the_token(api, settings):
    created = created_token(api)
    create_forum(api, created["token"])
    with connect(settings["DATABASE_URL"], "registration") as conn:
        row = conn.execute("SELECT * FROM organiser_tokens WHERE id = %s", (created["id"],)).fetchone()
        dumped = conn.execute(
            "SELECT (SELECT string_agg(t::text, ' ') FROM organiser_tokens t)"
            " || (SELECT string_agg(a::text, ' ') FROM audit_trail a) AS text"
        ).fetchone()["text"]
    assert bytes(row["digest"]) == hashlib.sha256(created["token"].encode()).digest()
    secret = created["token"].removeprefix("odo_")
    assert secret not in dumped and secret.encode().hex() not in dumped


def test_the_trail_names_the_organiser_in_both_services(api, settings):
    created = created_token(api)
    forum = create_forum(api, created["token"])
    api("PATCH", f"/api/v1/forums/{forum['id']}", token=created["token"], json={"capacity": 12})
    delivery = failed_delivery(settings["DATABASE_URL"], forum["id"])
    retried = api("POST", f"/api/v1/notifications/{delivery}/retry", token=created["token"])
    assert retried.status_code == 200, retried.text
    rows = trail(api, actor=created["name"])["items"]
    done = [(row["service"], row["action"], row["subject"]) for row in rows]
    assert done == [
        ("notification", "delivery_retried", str(delivery)),
        ("registration", "forum_updated", forum["id"]),
        ("registration", "forum_created", forum["id"]),
    ]
    assert rows[1]["details"] == {"changes": ["capacity"]}
    created_row = trail(api, actor="ORGANISER_TOKEN", service="registration")["items"]
    assert any(
        row["action"] == "organiser_token_created" and row["subject"] == created["id"] for row in created_row
    )
    # one row per page, page after page: the same rows, in the same order
    paged, cursor = [], None
    while True:
        page = trail(api, actor=created["name"], limit=1, **({"cursor": cursor} if cursor else {}))
        paged += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == rows
    assert problem(api("GET", "/api/v1/audit", token=ORGANISER, params={"cursor": "audit.x.1"}), 400)[
        "errors"
    ]


def failed_delivery(database_url, forum_id):
    """A message in the notification log that failed for good, as the sender would have left it."""
    with connect(database_url, "notification") as conn:
        return conn.execute(
            "INSERT INTO deliveries (event_id, template, recipient, locale, forum_id, message_id, subject,"
            " body_text, body_html, status, attempts, last_error)"
            " VALUES (%s, 'forum_updated', %s, 'fr', %s, %s, 'Sujet', 'texte', '<p>html</p>', 'failed', 20,"
            " '550 refused') RETURNING id",
            (uuid.uuid4(), f"audit-{uuid.uuid4().hex[:8]}@example.org", forum_id, f"<{uuid.uuid4()}@test>"),
        ).fetchone()["id"]


def test_a_token_made_on_the_command_line_works_at_once_and_its_revocation_too(api, settings, capsys):
    name = f"Operator {uuid.uuid4().hex[:8]}"
    organisers_cli(["create", "--name", name, "--scope", "write"], settings)
    token = capsys.readouterr().out.strip()
    forum = create_forum(api, token)
    assert any(row["subject"] == forum["id"] for row in trail(api, actor=name)["items"])
    made = trail(api, actor="cli", service="registration")["items"]
    assert any(row["action"] == "organiser_token_created" and row["details"]["name"] == name for row in made)
    organisers_cli(["list"], settings)
    listed = capsys.readouterr().out
    assert name in listed and token not in listed
    organisers_cli(["revoke", "--name", name], settings)
    problem(api("POST", "/api/v1/forums", token=token, json=FORUM), 401)
    with pytest.raises(SystemExit, match="refused"):
        organisers_cli(["revoke", "--name", name], settings)


@pytest.mark.parametrize(
    "value",
    [b"Bearer caf\xc3\xa9", b"Bearer caf\xe9", b"Bearer \xff\xfe", b"Bearer odo_\xe9" + b"a" * 42],
    ids=["utf-8", "latin-1", "bytes", "odo-shaped"],
)
def test_a_bearer_token_that_is_not_ascii_is_a_401_problem(api, value):
    for method, path in [
        ("POST", "/api/v1/forums"),
        ("GET", "/api/v1/organiser-tokens"),
        ("DELETE", f"/api/v1/registrations/{uuid.uuid4()}"),
        ("GET", "/api/v1/people/me"),
    ]:
        status, content_type, body = raw_request(api.base_url, method, path, value)
        assert (status, content_type) == (401, "application/problem+json"), body
    assert api("GET", "/api/v1/forums", headers={"Authorization": "Bearer caf\xe9"}).status_code == 200


def test_an_unknown_token_of_the_organiser_shape_is_a_401_and_a_participant_token_a_403(api):
    problem(api("POST", "/api/v1/forums", token="odo_" + "A" * 43, json=FORUM), 401)
    problem(api("POST", "/api/v1/forums", token=TOKEN, json=FORUM), 403)


def raw_request(base_url, method, path, authorization):
    """A request with the header's bytes exactly as given (requests would encode them itself)."""
    address = urlsplit(base_url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        conn.putrequest(method, path)
        conn.putheader("Authorization", authorization)
        conn.endheaders()
        answer = conn.getresponse()
        return answer.status, answer.getheader("Content-Type"), answer.read()
    finally:
        conn.close()


def test_the_trail_keeps_ids_of_people_never_their_address(api, settings):
    organiser = created_token(api)
    forum = create_forum(api, ORGANISER)
    people = [f"audit-{uuid.uuid4().hex[:8]}@example.org" for _ in range(3)]
    person = {"first_name": "A", "last_name": "B", "stakeholder_group": "citizen", "locale": "fr"}
    registered = []
    for address in people:
        answer = api("POST", f"/api/v1/forums/{forum['id']}/registrations", json=person | {"email": address})
        assert answer.status_code == 201, answer.text
        registered.append(answer.json())
    as_organiser = organiser["token"]
    code = registered[0]["attendee_code"]
    checked = api("POST", f"/api/v1/forums/{forum['id']}/check-ins", token=as_organiser, json={"code": code})
    cancelled = api("DELETE", f"/api/v1/registrations/{registered[1]['id']}", token=as_organiser)
    erased = api("POST", "/api/v1/people/erasures", token=as_organiser, json={"email": people[2]})
    assert [checked.status_code, cancelled.status_code, erased.status_code] == [200, 200, 200]
    rows = trail(api, actor=organiser["name"], service="registration")["items"]
    with connect(settings["DATABASE_URL"], "registration") as conn:
        sql = "SELECT person_id FROM registrations WHERE id = %s"
        erased_person = str(conn.execute(sql, (registered[2]["id"],)).fetchone()["person_id"])
    assert [(row["action"], row["subject"]) for row in rows[:3]] == [
        ("person_erased", erased_person),
        ("registration_cancelled", registered[1]["id"]),
        ("attendee_checked_in", registered[0]["id"]),
    ]
    assert not any(address in str(rows) for address in people)


def test_the_trail_names_who_moderated_topics_and_published_a_restitution(api):
    organiser = created_token(api)
    forum = create_forum(api, ORGANISER)
    topic = {"title": "Données ouvertes", "description": "Lesquelles publier d'abord"}
    made = wait_until(  # once the topics service has learnt of the forum from registration's events
        lambda: (
            (
                answer := api(
                    "POST", f"/api/v1/forums/{forum['id']}/topics", token=organiser["token"], json=topic
                )
            ).status_code
            == 201
            and answer
        ),
        30,
        message="the topics service knows the forum",
    ).json()
    draft = wait_until(
        lambda: (
            (
                answer := api("GET", f"/api/v1/forums/{forum['id']}/restitution/draft", token=ORGANISER)
            ).status_code
            == 200
            and answer
        ),
        30,
        message="the restitution service knows the forum",
    ).json()
    saved = api("PUT", f"/api/v1/forums/{forum['id']}/restitution", token=organiser["token"],
                json={"version": draft["version"], "summary": "Ce qui a été dit."})  # fmt: skip
    assert saved.status_code == 200, saved.text
    topics = trail(api, actor=organiser["name"], service="topics")["items"]
    assert [(row["action"], row["subject"]) for row in topics] == [("topic_published", made["id"])]
    written = trail(api, actor=organiser["name"], service="restitution")["items"]
    assert [(row["action"], row["subject"]) for row in written] == [("restitution_draft_saved", forum["id"])]
    merged = trail(api, actor=organiser["name"])["items"]  # all services, one trail
    assert {"topics", "restitution"} <= {row["service"] for row in merged}
