import pytest
from marshmallow import ValidationError

from gateway.openapi import build_openapi
from gateway.schemas import ForumCreateSchema, RegistrationCreateSchema

FORUM = {
    "title": "Forum",
    "starts_at": "2027-03-01T09:00:00+01:00",
    "ends_at": "2027-03-01T17:00:00+01:00",
    "venue": {"name": "Salle", "address": "1 rue", "city": "Paris"},
    "capacity": 10,
}


def errors(schema, data):
    with pytest.raises(ValidationError) as error:
        schema.load(data)
    return error.value.messages


def test_a_valid_forum_gets_defaults():
    forum = ForumCreateSchema().load(FORUM)
    assert forum["timezone"] == "Europe/Paris"
    assert forum["status"] == "open"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ends_at": "2027-03-01T08:00:00+01:00"}, "ends_at"),
        ({"starts_at": "2027-03-01T09:00:00"}, "starts_at"),  # no offset
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": "10"}, "capacity"),
        ({"title": ""}, "title"),
        ({"venue": {"name": "x"}}, "venue"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_forum_fields_are_named(change, field):
    assert field in errors(ForumCreateSchema(), FORUM | change)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "nobody"}, "email"),
        ({"stakeholder_group": "lobby"}, "stakeholder_group"),
        ({"locale": "de"}, "locale"),
        ({"first_name": "x" * 101}, "first_name"),
    ],
)
def test_bad_registration_fields_are_named(change, field):
    person = {"email": "a@example.org", "first_name": "A", "last_name": "B", "stakeholder_group": "citizen"}
    assert field in errors(RegistrationCreateSchema(), person | change)


def test_openapi_document_describes_the_routes_from_the_same_schemas():
    document = build_openapi("http://127.0.0.1:8000")
    assert document["openapi"].startswith("3.1")
    create = document["paths"]["/api/v1/forums/{forum_id}/registrations"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RegistrationCreate"
    }
    groups = document["components"]["schemas"]["RegistrationCreate"]["properties"]["stakeholder_group"]
    assert "civil_society" in groups["enum"]
    assert set(document["components"]["schemas"]["ForumCreate"]["required"]) >= {"title", "capacity", "venue"}
