"""The OpenAPI document: every route in it, each with who may call it, what it takes and answers."""

import uuid

import jsonschema
import pytest
from marshmallow import ValidationError
from nameko.cli.run import import_service

from gateway.errors import REMOTE_ERRORS
from gateway.openapi import build_openapi, openapi_path, routes
from gateway.schemas import RoundCreateSchema
from gateway.service import GatewayService
from services.topics.rules import MOST_TOPICS

DOCUMENT = build_openapi("http://127.0.0.1:8000", GatewayService)
OPERATIONS = [
    (path, method, operation)
    for path, described in DOCUMENT["paths"].items()
    for method, operation in described.items()
]
BODIES = {
    ("/api/v1/forums", "post"): "ForumCreate",
    ("/api/v1/forums/{forum_id}", "patch"): "ForumUpdate",
    ("/api/v1/forums/{forum_id}/cancel", "post"): "ForumCancel",
    ("/api/v1/forums/{forum_id}/open", "post"): "ForumMove",
    ("/api/v1/forums/{forum_id}/close", "post"): "ForumMove",
    ("/api/v1/forums/{forum_id}/hold", "post"): "ForumMove",
    ("/api/v1/forums/{forum_id}/registrations", "post"): "RegistrationCreate",
    ("/api/v1/forums/{forum_id}/check-ins", "post"): "CheckIn",
    ("/api/v1/registrations/{registration_id}/consents", "patch"): "ConsentsUpdate",
    ("/api/v1/people/erasures", "post"): "Email",
    ("/api/v1/people/management-link", "post"): "Email",
    ("/api/v1/subscriptions", "post"): "SubscriptionCreate",
    ("/api/v1/notifications/retry", "post"): "DeliveryRetry",
    ("/api/v1/organiser-tokens", "post"): "OrganiserTokenCreate",
    ("/api/v1/forums/{forum_id}/topics", "post"): "TopicCreate",
    ("/api/v1/topics/{topic_id}/reject", "post"): "TopicReject",
    ("/api/v1/topics", "post"): "TopicCreate",
    ("/api/v1/topics/{topic_id}", "patch"): "TopicUpdate",
    ("/api/v1/topics/{topic_id}/merge", "post"): "TopicMerge",
    ("/api/v1/topics/{topic_id}/carry-over", "post"): "TopicCarryOver",
    ("/api/v1/forums/{forum_id}/rounds", "post"): "RoundCreate",
    ("/api/v1/rounds/{round_id}/ballot", "put"): "Ballot",
    ("/api/v1/rounds/{round_id}/paper-tallies/{group}", "put"): "PaperTally",
    ("/api/v1/forums/{forum_id}/restitution", "put"): "RestitutionSave",
    ("/api/v1/forums/{forum_id}/restitution/publish", "post"): "RestitutionPublish",
    ("/api/v1/commitments/{commitment_id}", "patch"): "CommitmentChange",
    ("/api/v1/forums/{forum_id}/restitution/comments", "post"): "CommentCreate",
    ("/api/v1/comments/{comment_id}/hide", "post"): "CommentHide",
    ("/api/v1/forums/{forum_id}/restitution/moderation", "put"): "CommentSettings",
}


def test_it_is_a_valid_openapi_3_1_document():
    from openapi_spec_validator import validate

    assert DOCUMENT["openapi"] == "3.1.0"
    validate(DOCUMENT)


REQUIRED = """
    POST /api/v1/forums; GET /api/v1/forums; GET /api/v1/forums/{forum_id}; PATCH /api/v1/forums/{forum_id}
    POST /api/v1/forums/{forum_id}/open; POST /api/v1/forums/{forum_id}/close
    POST /api/v1/forums/{forum_id}/hold; POST /api/v1/forums/{forum_id}/cancel
    POST /api/v1/forums/{forum_id}/registrations; GET /api/v1/forums/{forum_id}/registrations
    GET /api/v1/forums/{forum_id}/registrations.csv; GET /api/v1/forums/{forum_id}/registrations/summary
    GET /api/v1/forums/{forum_id}/participants; POST /api/v1/forums/{forum_id}/check-ins
    GET /api/v1/forums/{forum_id}/attendance; GET /api/v1/registrations/{registration_id}
    DELETE /api/v1/registrations/{registration_id}; PATCH /api/v1/registrations/{registration_id}/consents
    GET /api/v1/people/me; DELETE /api/v1/people/me; POST /api/v1/people/erasures
    POST /api/v1/people/management-link; POST /api/v1/subscriptions; POST /api/v1/subscriptions/confirm
    POST /api/v1/unsubscribe/{token}; GET /api/v1/unsubscribe/{token}; GET /manage; GET /subscriptions/confirm
    GET /api/v1/notifications; GET /api/v1/notifications/summary; POST /api/v1/notifications/retry
    POST /api/v1/notifications/{delivery_id}/retry; GET /api/v1/notifications/templates
    GET /api/v1/notifications/templates/{name}/preview; GET /api/v1/notifications/dead-letters
    GET /api/v1/notifications/dead-letters/{dead_letter_id}
    POST /api/v1/organiser-tokens; GET /api/v1/organiser-tokens; DELETE /api/v1/organiser-tokens/{token_id}
    GET /api/v1/audit
    POST /api/v1/forums/{forum_id}/topics; GET /api/v1/forums/{forum_id}/topics; GET /api/v1/topics
    POST /api/v1/topics/{topic_id}/publish; POST /api/v1/topics/{topic_id}/reject
    POST /api/v1/forums/{forum_id}/rounds; GET /api/v1/rounds/{round_id}; PUT /api/v1/rounds/{round_id}/ballot
    POST /api/v1/rounds/{round_id}/close; GET /api/v1/rounds/{round_id}/results
    PUT /api/v1/rounds/{round_id}/paper-tallies/{group}; GET /api/v1/people/me/topics
    GET /api/v1/topics/{topic_id}; PATCH /api/v1/topics/{topic_id}; POST /api/v1/topics/{topic_id}/merge
    POST /api/v1/topics/{topic_id}/carry-over; POST /api/v1/topics; GET /api/v1/topics/backlog
    GET /api/v1/rounds/{round_id}/results.csv
    PUT /api/v1/forums/{forum_id}/restitution; GET /api/v1/forums/{forum_id}/restitution/draft
    POST /api/v1/forums/{forum_id}/restitution/publish; GET /api/v1/forums/{forum_id}/restitution
    GET /api/v1/forums/{forum_id}/restitution/versions/{number}; GET /api/v1/restitutions
    PATCH /api/v1/commitments/{commitment_id}; GET /api/v1/commitments; GET /api/v1/commitments.csv
    GET /api/v1/forums/{forum_id}/attendance.csv; GET /api/v1/restitution.schema.json
    GET /restitutions; GET /restitutions/{forum_id}; GET /restitutions/{forum_id}/versions/{number}
    GET /restitutions/feed.atom
    GET /; GET /en/; GET /forums/{forum_ref}; GET /en/forums/{forum_ref}; POST /forums/{forum_ref}/register
    POST /en/forums/{forum_ref}/register; POST /subscribe; POST /en/subscribe
    POST /api/v1/forums/{forum_id}/restitution/comments; GET /api/v1/forums/{forum_id}/restitution/comments
    GET /api/v1/comments/pending; POST /api/v1/comments/{comment_id}/publish; POST /api/v1/comments/{comment_id}/hide
    GET /api/v1/forums/{forum_id}/restitution/moderation; PUT /api/v1/forums/{forum_id}/restitution/moderation
    GET /commitments; GET /en/commitments; GET /forums/{forum_ref}/topics; GET /en/forums/{forum_ref}/topics
    GET /accessibility; GET /en/accessibility
    GET /me/session; GET /en/me/session; GET /me; GET /en/me; POST /me/link; POST /en/me/link; GET /me/export
    GET /en/me/export; GET /me/erase; POST /me/erase; POST /en/me/erase; POST /me/sign-out; POST /en/me/sign-out
    POST /me/registrations/{registration_id}/consents; GET /me/registrations/{registration_id}/cancel
    POST /me/registrations/{registration_id}/cancel; GET /me/rounds/{round_id}; POST /me/rounds/{round_id}
    POST /en/me/rounds/{round_id}
    GET /console/sign-in; POST /console/sign-in; POST /console/sign-out; GET /console
    GET /console/forums/{forum_id}; GET /console/forums/{forum_id}/check-in; POST /console/forums/{forum_id}/check-in
    GET /en/console/sign-in; POST /en/console/sign-in; POST /en/console/sign-out; GET /en/console
    GET /en/console/forums/{forum_id}; GET /en/console/forums/{forum_id}/check-in
    POST /en/console/forums/{forum_id}/check-in
    GET /health/live; GET /health/ready; GET /api/v1/openapi.json; GET /api/v1/asyncapi.json; GET /api/v1/ping
"""


def test_every_route_of_the_gateway_is_in_it():
    required = {tuple(route.split()) for route in REQUIRED.replace("\n", ";").split(";") if route.strip()}
    documented = {(method.upper(), path) for path, method, _ in OPERATIONS}
    assert required <= documented
    for name, entrypoint in routes(GatewayService):
        assert entrypoint.doc is not None, f"{name} is not documented"
        path, _ = openapi_path(entrypoint.url)
        english = "_en" if path == "/en" or path.startswith("/en/") else ""  # a page's English address
        assert DOCUMENT["paths"][path][entrypoint.method.lower()]["operationId"] == name + english


@pytest.mark.parametrize("path, method, operation", OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS])
def test_each_operation_says_who_may_call_it_and_what_it_answers(path, method, operation):
    assert operation["summary"] and operation["tags"]
    assert "security" in operation
    statuses = set(operation["responses"])
    assert "default" in statuses and any(status.startswith("2") for status in statuses)
    schemes = {name for requirement in operation["security"] for name in requirement}
    if operation["security"] == [{"organiserToken": []}]:
        assert {"401", "403"} <= statuses
    if "participantToken" in schemes:
        assert "401" in statuses
    if "{" in path:
        assert "404" in statuses
    body = BODIES.get((path, method))
    if body:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{body}"}
        assert operation["requestBody"]["required"] is (body != "ForumMove")  # a move's reason is optional
        assert {"400", "413"} <= statuses
    else:
        assert "requestBody" not in operation


def test_the_contract_routes_are_described_from_the_same_schemas():
    create = DOCUMENT["paths"]["/api/v1/forums/{forum_id}/registrations"]["post"]
    assert create["security"] == [] and "Location" in create["responses"]["201"]["headers"]
    groups = DOCUMENT["components"]["schemas"]["RegistrationCreate"]["properties"]["stakeholder_group"]
    assert "civil_society" in groups["enum"]
    assert set(DOCUMENT["components"]["schemas"]["ForumCreate"]["required"]) >= {"title", "capacity", "venue"}
    update = DOCUMENT["components"]["schemas"]["ForumUpdate"]
    assert "required" not in update and "status" not in update["properties"]
    assert "default" not in update["properties"]["timezone"]
    assert DOCUMENT["components"]["schemas"]["RegistrationCreate"]["additionalProperties"] is False


def test_query_parameters_and_service_errors_are_described():
    listing = DOCUMENT["paths"]["/api/v1/forums/{forum_id}/registrations"]["get"]
    query = {
        parameter["name"]: parameter for parameter in listing["parameters"] if parameter["in"] == "query"
    }
    assert set(query) == {"status", "group", "limit", "cursor"}
    assert query["limit"]["schema"]["maximum"] == 100
    cancel = DOCUMENT["paths"]["/api/v1/registrations/{registration_id}"]["delete"]
    assert cancel["security"] == [{"organiserToken": []}, {"participantToken": []}]
    for name in ("RegistrationNotFound", "InvalidToken", "NotYourRegistration"):
        known = REMOTE_ERRORS[name]
        assert known.title in cancel["responses"][str(known.status)]["description"]
    csv = DOCUMENT["paths"]["/api/v1/forums/{forum_id}/registrations.csv"]["get"]
    assert "text/csv" in csv["responses"]["200"]["content"]


def test_the_topics_routes_state_their_shapes():
    ballot = DOCUMENT["components"]["schemas"]["Ballot"]["properties"]
    assert ballot["choices"]["maxItems"] == 100 and ballot["choices"]["items"]["format"] == "uuid"
    assert ballot["points"]["propertyNames"]["pattern"].startswith("^[0-9A-Fa-f]{8}-")
    assert ballot["points"]["additionalProperties"]["minimum"] == 0
    tally = DOCUMENT["paths"]["/api/v1/rounds/{round_id}/paper-tallies/{group}"]["put"]
    group = next(parameter for parameter in tally["parameters"] if parameter["name"] == "group")
    assert "civil_society" in group["schema"]["enum"]
    opening = DOCUMENT["paths"]["/api/v1/forums/{forum_id}/rounds"]["post"]
    assert "Location" in opening["responses"]["201"]["headers"]
    assert REMOTE_ERRORS["RoundAlreadyOpen"].title in opening["responses"]["409"]["description"]
    assert set(DOCUMENT["components"]["schemas"]["RoundCreate"]["required"]) == {
        "method",
        "closes_at",
        "agenda_size",
    }


IDS = [str(uuid.uuid4()) for _ in range(MOST_TOPICS + 1)]


@pytest.mark.parametrize(
    "topic_ids, taken",
    [
        (IDS[:2], True),
        (IDS[:MOST_TOPICS], True),
        ([IDS[0], IDS[0].upper()], True),  # two spellings: the service refuses them as one topic twice
        ([], False),
        (IDS, False),
        ([IDS[0], IDS[1], IDS[0]], False),
        (["topic-1"], False),
        ([f"{{{IDS[0]}}}"], False),
        (IDS[0], False),
    ],
)
def test_a_rounds_topics_are_refused_by_the_gateway_exactly_when_the_document_refuses_them(topic_ids, taken):
    stated = DOCUMENT["components"]["schemas"]["RoundCreate"]["properties"]["topic_ids"]
    assert (stated["minItems"], stated["maxItems"], stated["uniqueItems"]) == (1, MOST_TOPICS, True)
    assert "topic_ids" not in DOCUMENT["components"]["schemas"]["RoundCreate"]["required"]
    valid = jsonschema.Draft202012Validator(stated, format_checker=None).is_valid(topic_ids)
    body = {"method": "approval", "max_choices": 1, "agenda_size": 1, "closes_at": "2030-01-01T10:00:00Z"}
    try:
        loaded = RoundCreateSchema().load(body | {"topic_ids": topic_ids})
    except ValidationError as refused:
        assert set(refused.messages) == {"topic_ids"}
        loaded = None
    assert (valid, loaded is not None) == (taken, taken)
    if taken:
        assert loaded["topic_ids"] == [uuid.UUID(topic_id) for topic_id in topic_ids]
    assert "topic_ids" not in RoundCreateSchema().load(body)  # absent: the forum's published topics, all


def test_a_topic_edit_must_change_something_besides_its_note():
    update = DOCUMENT["components"]["schemas"]["TopicUpdate"]
    assert update["required"] == ["note"] and update["minProperties"] == 2
    assert update["additionalProperties"] is False
    assert update["properties"]["note"]["maxLength"] == 1000
    assert "default" not in update["properties"]["description"]
    carry = DOCUMENT["components"]["schemas"]["TopicCarryOver"]
    assert carry["required"] == ["why"] and "null" in carry["properties"]["forum_id"]["type"]
    proposal = DOCUMENT["paths"]["/api/v1/forums/{forum_id}/topics"]["post"]
    assert "Location" in proposal["responses"]["201"]["headers"]
    assert "429" in proposal["responses"]  # a participant's proposal counts against the client's limit
    csv = DOCUMENT["paths"]["/api/v1/rounds/{round_id}/results.csv"]["get"]
    assert csv["security"] == [] and "text/csv" in csv["responses"]["200"]["content"]
    export = DOCUMENT["components"]["schemas"]["PersonExport"]["properties"]["topics"]
    assert export  # what the topics service holds, or null


def test_the_restitution_outputs_state_their_media_and_schema():
    paths = DOCUMENT["paths"]
    feed = paths["/restitutions/feed.atom"]["get"]["responses"]["200"]["content"]
    assert list(feed) == ["application/atom+xml"]
    schema = paths["/api/v1/restitution.schema.json"]["get"]["responses"]["200"]["content"]
    assert list(schema) == ["application/schema+json"]
    for path in ("/restitutions/{forum_id}", "/restitutions/{forum_id}/versions/{number}"):
        answers = paths[path]["get"]["responses"]
        assert "text/html" in answers["200"]["content"] and "text/html" in answers["404"]["content"]
        assert "ETag" in paths[path]["get"]["description"]
    for path in (
        "/api/v1/forums/{forum_id}/restitution",
        "/api/v1/forums/{forum_id}/restitution/versions/{number}",
    ):
        assert "/api/v1/restitution.schema.json" in paths[path]["get"]["description"]


def test_every_service_error_is_documented_somewhere():
    described = " ".join(
        response["description"]
        for _, _, operation in OPERATIONS
        for response in operation["responses"].values()
    )
    for name, known in REMOTE_ERRORS.items():
        assert known.title in described, name


def test_nameko_run_finds_the_one_gateway_service():
    assert import_service("gateway.service") == [GatewayService]


def test_no_two_route_classes_name_the_same_thing():
    """The route classes are mixins of one service: a helper of the same name in two of them would make one
    class call the other's (the first base wins), silently."""
    seen = {}
    for base in GatewayService.__mro__[1:]:
        if base.__module__.startswith("gateway.routes"):
            for name in vars(base):
                if not name.startswith("__"):
                    assert name not in seen, f"{name} is in both {seen.get(name)} and {base.__name__}"
                    seen[name] = base.__name__
