import uuid

import pytest
from marshmallow import ValidationError

from gateway.schemas import (
    CheckInSchema,
    ConsentsUpdateSchema,
    EmailSchema,
    ForumCancelSchema,
    ForumCreateSchema,
    ForumListQuerySchema,
    ForumUpdateSchema,
    RegistrationCreateSchema,
    RegistrationListQuerySchema,
    SubscriptionCreateSchema,
)

FORUM = {
    "title": "Forum",
    "starts_at": "2027-03-01T09:00:00+01:00",
    "ends_at": "2027-03-01T17:00:00+01:00",
    "venue": {"name": "Salle", "address": "1 rue", "city": "Paris"},
    "capacity": 10,
}
PERSON = {"email": "a@example.org", "first_name": "A", "last_name": "B", "stakeholder_group": "citizen"}


def errors(schema, data):
    with pytest.raises(ValidationError) as error:
        schema.load(data)
    return error.value.messages


def test_a_valid_forum_gets_defaults():
    forum = ForumCreateSchema().load(FORUM)
    assert forum["timezone"] == "Europe/Paris"
    assert forum["status"] == "open"


def test_a_forum_takes_its_window_slug_and_quotas():
    extra = {
        "slug": "forum-2027-paris",
        "registration_opens_at": "2027-01-01T09:00:00+01:00",
        "registration_closes_at": "2027-02-28T18:00:00+01:00",
        "quotas": {"civil_society": 4, "administration": 3},
        "quota_release_at": "2027-02-15T00:00:00+01:00",
        "status": "draft",
    }
    loaded = ForumCreateSchema().load(FORUM | extra)
    assert loaded["quotas"] == extra["quotas"] and loaded["slug"] == "forum-2027-paris"


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
        ({"status": "held"}, "status"),
        ({"slug": "Forum Paris"}, "slug"),
        ({"slug": "ab"}, "slug"),
        ({"slug": "-forum"}, "slug"),
        ({"slug": str(uuid.uuid4())}, "slug"),
        ({"quotas": {"lobby": 1}}, "quotas"),
        ({"quotas": {"citizen": -1}}, "quotas"),
        ({"quotas": {"citizen": 6, "company": 5}}, "quotas"),  # 11 seats reserved out of 10
        ({"agenda": [{"at": "9:30", "title": "Accueil"}]}, "agenda"),  # HH:MM
        ({"agenda": [{"at": "24:00", "title": "Accueil"}]}, "agenda"),
        ({"agenda": [{"at": "09:30", "title": ""}]}, "agenda"),
        ({"agenda": [{"at": "09:30", "title": "x"}] * 51}, "agenda"),
        ({"documents": [{"title": "Ordre du jour", "url": "javascript:alert(1)"}]}, "documents"),
        (
            {"documents": [{"title": "Ordre du jour", "url": "http://example.org/a.pdf"}]},
            "documents",
        ),  # https
        ({"documents": [{"title": "Ordre du jour", "url": "https://example.org\n"}]}, "documents"),
        ({"documents": [{"title": "Ordre du jour", "url": "https://example.org/a b.pdf"}]}, "documents"),
        (
            {"documents": [{"title": "Ordre du jour", "url": "https://example.org/a.pdf", "language": "de"}]},
            "documents",
        ),  # fmt: skip
        (
            {
                "registration_opens_at": "2027-02-01T09:00:00+01:00",
                "registration_closes_at": "2027-01-01T09:00:00+01:00",
            },
            "registration_closes_at",
        ),
    ],
)
def test_bad_forum_fields_are_named(change, field):
    assert field in errors(ForumCreateSchema(), FORUM | change)


def test_a_forums_programme_is_its_agenda_and_documents():
    programme = {
        "agenda": [
            {"at": "09:30", "title": "Accueil"},
            {"at": "10:00", "title": "Ateliers", "details": "Salle B"},
        ],
        "documents": [{"title": "Dossier", "url": "https://example.org/dossier.pdf", "language": "fr"}],
    }
    loaded = ForumCreateSchema().load(FORUM | programme)
    assert loaded["agenda"] == [programme["agenda"][0] | {"details": ""}, programme["agenda"][1]]
    assert loaded["documents"] == programme["documents"]
    assert ForumUpdateSchema().load({"documents": []}) == {"documents": []}  # given whole: [] removes them


def test_a_forum_change_is_any_subset_but_not_nothing_nor_a_status():
    schema = ForumUpdateSchema()
    assert schema.load({"capacity": 20}) == {"capacity": 20}  # no defaults filled in
    assert schema.load({"registration_closes_at": None}) == {"registration_closes_at": None}
    assert "_schema" in errors(schema, {})
    assert "status" in errors(schema, {"status": "open"})
    assert "venue" in errors(schema, {"venue": {"city": "Lyon"}})  # a venue is given whole
    assert "ends_at" in errors(schema, {"starts_at": FORUM["ends_at"], "ends_at": FORUM["starts_at"]})


def test_a_cancellation_needs_a_reason():
    assert "reason" in errors(ForumCancelSchema(), {})
    assert "reason" in errors(ForumCancelSchema(), {"reason": "x" * 1001})


@pytest.mark.parametrize(
    "query, field",
    [
        ({"when": "tomorrow"}, "when"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "x" * 513}, "cursor"),
        ({"cursor": "has space"}, "cursor"),
        ({"page": "2"}, "page"),
    ],
)
def test_bad_forum_list_parameters_are_named(query, field):
    assert field in errors(ForumListQuerySchema(), query)


def test_list_parameters_have_defaults():
    assert ForumListQuerySchema().load({}) == {"when": "upcoming", "limit": 20, "cursor": None}
    assert RegistrationListQuerySchema().load({"limit": "100", "status": "waitlisted"}) == {
        "limit": 100,
        "cursor": None,
        "status": "waitlisted",
        "group": None,
    }
    assert set(errors(RegistrationListQuerySchema(), {"status": "x", "group": "y"})) == {"status", "group"}


def test_a_registration_defaults_its_consents_but_refuses_not_attending():
    loaded = RegistrationCreateSchema().load(PERSON)
    assert (loaded["consent_attend"], loaded["consent_updates"], loaded["consent_public_list"]) == (
        True,
        False,
        False,
    )
    assert loaded["locale"] == "fr"
    assert "consent_attend" in errors(RegistrationCreateSchema(), PERSON | {"consent_attend": False})


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "nobody"}, "email"),
        ({"stakeholder_group": "lobby"}, "stakeholder_group"),
        ({"locale": "de"}, "locale"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"accessibility_needs": "x" * 2001}, "accessibility_needs"),
        ({"consent_updates": "maybe"}, "consent_updates"),
        ({"token": "x"}, "token"),
    ],
)
def test_bad_registration_fields_are_named(change, field):
    assert field in errors(RegistrationCreateSchema(), PERSON | change)


def test_consents_change_one_or_both():
    assert ConsentsUpdateSchema().load({"consent_updates": True}) == {"consent_updates": True}
    assert "_schema" in errors(ConsentsUpdateSchema(), {})
    assert "consent_attend" in errors(ConsentsUpdateSchema(), {"consent_attend": False})


def test_attendee_codes_are_normalised_and_checked():
    assert CheckInSchema().load({"code": " k7p3qx9a\n"}) == {"code": "K7P3QX9A"}
    for bad in ("", "ab", "x" * 33, "K7P 3QX9", "<script>"):
        assert "code" in errors(CheckInSchema(), {"code": bad})


def test_subscriptions_and_addresses():
    loaded = SubscriptionCreateSchema().load({"email": "a@example.org"})
    assert loaded == {"email": "a@example.org", "first_name": "", "last_name": "", "locale": "fr"} | {
        "stakeholder_group": None
    }
    assert set(errors(SubscriptionCreateSchema(), {"email": "x", "stakeholder_group": "lobby"})) == {
        "email",
        "stakeholder_group",
    }
    assert "email" in errors(EmailSchema(), {})
    assert "email" in errors(EmailSchema(), {"email": "a" * 250 + "@example.org"})


def test_a_consent_is_a_json_boolean_and_nothing_else():
    from gateway.schemas import RegistrationCreateSchema

    base = {"email": "a@example.org", "first_name": "A", "last_name": "B", "stakeholder_group": "other"}
    for value in (0, 1, "true", "yes", None):
        with pytest.raises(ValidationError) as refused:
            RegistrationCreateSchema().load(base | {"consent_public_list": value})
        assert "consent_public_list" in refused.value.messages
    assert (
        RegistrationCreateSchema().load(base | {"consent_public_list": True})["consent_public_list"] is True
    )


def test_the_audit_filter_refuses_control_characters():
    from gateway.schemas.organisers import AuditListQuerySchema

    with pytest.raises(ValidationError):
        AuditListQuerySchema().load({"actor": "~\x00.\x82"})
    assert AuditListQuerySchema().load({"actor": "Marie (DITP)"})["actor"] == "Marie (DITP)"
