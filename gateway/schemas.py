"""The shapes of the HTTP API: these schemas validate requests and generate the OpenAPI document."""

from zoneinfo import ZoneInfo, available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

STAKEHOLDER_GROUPS = ("administration", "civil_society", "company", "citizen", "research_media", "other")
LOCALES = ("fr", "en")
TIMEZONES = frozenset(available_timezones())


def text(max_length, required=True, **kwargs):
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)
    return fields.String(load_default="", validate=validate.Length(max=max_length), **kwargs)


class VenueSchema(Schema):
    name = text(200)
    address = text(300)
    city = text(100)
    accessibility = text(2000, required=False, metadata={"description": "Access, lifts, hearing loops…"})


class ForumCreateSchema(Schema):
    title = text(200)
    description = text(5000, required=False)
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "RFC 3339 with an offset"})
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(load_default="Europe/Paris", metadata={"description": "IANA time zone"})
    venue = fields.Nested(VenueSchema, required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000))
    status = fields.String(load_default="open", validate=validate.OneOf(("draft", "open")))

    @validates("timezone")
    def known_timezone(self, value, **kwargs):
        if value not in TIMEZONES:
            raise ValidationError("Unknown time zone.")
        ZoneInfo(value)

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")


class VenueOutSchema(VenueSchema):
    accessibility = fields.String()


class ForumSchema(Schema):
    id = fields.UUID()
    slug = fields.String()
    title = fields.String()
    description = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String()
    venue = fields.Nested(VenueOutSchema)
    capacity = fields.Integer()
    seats_left = fields.Integer()
    waitlist_length = fields.Integer()
    status = fields.String(validate=validate.OneOf(("draft", "open", "closed", "held", "cancelled")))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class RegistrationCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    first_name = text(100)
    last_name = text(100)
    organisation = text(200, required=False)
    stakeholder_group = fields.String(required=True, validate=validate.OneOf(STAKEHOLDER_GROUPS))
    locale = fields.String(load_default="fr", validate=validate.OneOf(LOCALES))


class RegistrationSchema(RegistrationCreateSchema):
    id = fields.UUID()
    forum_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(("confirmed", "waitlisted", "cancelled")))
    waitlist_position = fields.Integer(allow_none=True)


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Per-field messages, for validation errors"})
