"""Forums: what organisers send, what everyone reads."""

import uuid
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from gateway.schemas.common import (
    FORUM_STATUSES,
    NEXT_CURSOR,
    STAKEHOLDER_GROUPS,
    Answer,
    Moment,
    PageQuerySchema,
    Whole,
    page_cursor,
    text,
)
from kit import paging

TIMEZONES = tuple(sorted(available_timezones()))
SLUG = r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$"


class VenueSchema(Schema):
    name = text(200)
    address = text(300)
    city = text(100)
    accessibility = text(
        2000, required=False, multiline=True, metadata={"description": "Access, lifts, hearing loops…"}
    )


class AgendaItemSchema(Schema):
    at = fields.String(
        required=True,
        validate=validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="A time of day as HH:MM."),
        metadata={"description": "Time of day (HH:MM) in the forum's time zone"},
    )
    title = text(200)
    details = text(1000, required=False, multiline=True)


# The rule is the document's pattern, so that what the document allows the API takes.
HTTPS_ADDRESS = r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\x00-\x20\x7f]*)?$"


def one_line(value):
    """Python's ``$`` also matches before a final line break, which the document's pattern refuses."""
    if "\n" in value:
        raise ValidationError("An https:// address, without spaces.")


class DocumentSchema(Schema):
    title = text(200)
    url = fields.String(
        required=True,
        validate=[
            validate.Length(max=2000),
            validate.Regexp(HTTPS_ADDRESS, error="An https:// address, without spaces."),
            one_line,
        ],
        metadata={"description": "An https address"},
    )
    language = fields.String(
        validate=validate.OneOf(("fr", "en")),
        allow_none=True,
        load_default=None,
        metadata={"description": "The document's language, when it has one"},
    )


AGENDA_ITEMS, DOCUMENTS = 50, 30


# One field per group (not a free mapping): the document then names the groups a quota may be for.
QuotasSchema = Schema.from_dict(
    {name: Whole(validate=validate.Range(min=0, max=100_000)) for name in STAKEHOLDER_GROUPS},
    name="QuotasSchema",
)


def moment(description="", **kwargs):
    described = f"RFC 3339 with seconds and an offset of at most 15:59, years 1900 to 2999. {description}"
    return Moment(metadata={"description": described.strip()}, **kwargs)


# JSON Schema cannot compare two fields: the document says these rules in words.
BETWEEN_FIELDS = (
    "Refused with 400 and the field named: ends_at not after starts_at, registration_closes_at not after "
    "registration_opens_at, more seats in quotas than the capacity."
)


class ForumCreateSchema(Schema):
    """A new forum; the routes that take it say ``BETWEEN_FIELDS`` in their description (a Meta
    description would cost the schema its additionalProperties in apispec 6)."""

    title = text(200)
    description = text(5000, required=False, multiline=True)
    starts_at = moment(required=True)
    ends_at = moment("After starts_at.", required=True)
    timezone = fields.String(
        load_default="Europe/Paris",
        validate=validate.OneOf(TIMEZONES, error="Unknown time zone."),
        metadata={"description": "IANA time zone"},
    )
    venue = fields.Nested(VenueSchema, required=True)
    capacity = Whole(required=True, validate=validate.Range(min=0, max=100_000))
    status = fields.String(load_default="open", validate=validate.OneOf(("draft", "open")))
    slug = fields.String(
        validate=validate.Regexp(SLUG, error="3 to 80 of a-z, 0-9 and inner hyphens."),
        metadata={"description": "The forum's readable address (made from the title when not given)"},
    )
    registration_opens_at = moment(allow_none=True)
    registration_closes_at = moment("After registration_opens_at. Default: the start.", allow_none=True)
    quotas = fields.Nested(
        QuotasSchema,
        metadata={"description": "Seats reserved per stakeholder group, no more in all than the capacity"},
    )
    quota_release_at = moment("When reserved seats not taken are opened to all.", allow_none=True)
    agenda = fields.List(
        fields.Nested(AgendaItemSchema),
        validate=validate.Length(max=AGENDA_ITEMS),
        metadata={"description": f"The programme, in order (at most {AGENDA_ITEMS} items); given whole"},
    )
    documents = fields.List(
        fields.Nested(DocumentSchema),
        validate=validate.Length(max=DOCUMENTS),
        metadata={"description": f"Documents to read (at most {DOCUMENTS}); given whole"},
    )

    @validates("slug")
    def not_an_id(self, value, **kwargs):
        try:
            uuid.UUID(value)
        except ValueError:
            return
        raise ValidationError("A slug must not look like an id.")

    @validates_schema
    def consistent(self, data, **kwargs):
        """Checks between fields, where both are given (a change is checked again by the service)."""
        errors = {}
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            errors["ends_at"] = ["Must be after starts_at."]
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            errors["registration_closes_at"] = ["Must be after registration_opens_at."]
        if data.get("quotas") and "capacity" in data and sum(data["quotas"].values()) > data["capacity"]:
            errors["quotas"] = ["More seats reserved than the capacity."]
        if errors:
            raise ValidationError(errors)


class ForumUpdateSchema(ForumCreateSchema):
    """Any of the fields of a new forum but its status (which has its own routes), at least one (the
    document says minProperties 1). A venue is given whole."""

    class Meta:
        exclude = ("status",)

    def __init__(self, **kwargs):
        # partial at the top only: a partial=True would reach into the venue too
        super().__init__(partial=tuple(self._declared_fields), **kwargs)

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.")


class ForumCancelSchema(Schema):
    reason = text(1000, multiline=True, metadata={"description": "Told to everyone registered"})


class ForumMoveSchema(Schema):
    reason = text(
        1000,
        required=False,
        multiline=True,
        metadata={"description": "Why, for the organisers: kept in the audit trail"},
    )


class ForumListQuerySchema(PageQuerySchema):
    cursor = page_cursor(paging.FORUMS)
    when = fields.String(load_default="upcoming", validate=validate.OneOf(("upcoming", "past", "all")))


class ForumSchema(Answer):
    id = fields.UUID()
    slug = fields.String()
    title = fields.String()
    description = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String()
    venue = fields.Nested(VenueSchema)
    capacity = fields.Integer()
    seats_left = fields.Integer()
    waitlist_length = fields.Integer()
    status = fields.String(validate=validate.OneOf(FORUM_STATUSES))
    registration_opens_at = fields.AwareDateTime(allow_none=True)
    registration_closes_at = fields.AwareDateTime(allow_none=True)
    registration_open = fields.Boolean(metadata={"description": "Whether a registration is taken now"})
    quotas = fields.Dict(keys=fields.String(), values=fields.Integer())
    quota_release_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    cancellation_reason = fields.String(allow_none=True)
    agenda = fields.List(fields.Nested(AgendaItemSchema))
    documents = fields.List(fields.Nested(DocumentSchema))


class ForumListSchema(Answer):
    items = fields.List(fields.Nested(ForumSchema))
    next_cursor = NEXT_CURSOR
