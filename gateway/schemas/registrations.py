"""Registrations to attend a forum, what organisers see of them, and the door (check-in)."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from gateway.schemas.common import (
    NEXT_CURSOR,
    REGISTRATION_STATUSES,
    Answer,
    Flag,
    PageQuerySchema,
    email,
    group,
    locale,
    page_cursor,
    text,
)
from kit import paging


class RegistrationCreateSchema(Schema):
    email = email()
    first_name = text(100)
    last_name = text(100)
    organisation = text(200, required=False)
    stakeholder_group = group(required=True)
    locale = locale()
    accessibility_needs = text(
        2000, required=False, multiline=True, metadata={"description": "Read by the organisers"}
    )
    consent_attend = Flag(
        load_default=True,
        validate=validate.Equal(True, error="Registering means agreeing to attend."),
        metadata={"description": "Must be true; taken as true when not given"},
    )
    consent_updates = Flag(load_default=False, metadata={"description": "Keep me informed"})
    consent_public_list = Flag(
        load_default=False, metadata={"description": "Show my name on the public participant list"}
    )


class ConsentsSchema(Answer):
    attend = fields.Boolean()
    updates = fields.Boolean()
    public_list = fields.Boolean()


class ConsentsUpdateSchema(Schema):
    consent_updates = Flag()
    consent_public_list = Flag()

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give consent_updates, consent_public_list or both.")


class RegistrationSchema(Answer):
    id = fields.UUID()
    forum_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(REGISTRATION_STATUSES))
    waitlist_position = fields.Integer(allow_none=True)
    email = fields.Email()
    first_name = fields.String()
    last_name = fields.String()
    organisation = fields.String()
    stakeholder_group = group()
    locale = fields.String()
    accessibility_needs = fields.String()
    consents = fields.Nested(ConsentsSchema)
    attendee_code = fields.String(allow_none=True, metadata={"description": "Set while confirmed"})
    checked_in_at = fields.AwareDateTime(allow_none=True)
    promoted_at = fields.AwareDateTime(allow_none=True)
    promotion_reason = fields.String(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class RegistrationListQuerySchema(PageQuerySchema):
    cursor = page_cursor(paging.REGISTRATIONS)
    status = fields.String(load_default=None, validate=validate.OneOf(REGISTRATION_STATUSES))
    group = group(load_default=None)


class RegistrationListSchema(Answer):
    items = fields.List(fields.Nested(RegistrationSchema))
    next_cursor = NEXT_CURSOR


class SummaryCountsSchema(Answer):
    reserved = fields.Integer()
    confirmed = fields.Integer()
    waitlisted = fields.Integer()
    cancelled = fields.Integer()
    checked_in = fields.Integer()


class RegistrationSummarySchema(Answer):
    forum_id = fields.UUID()
    capacity = fields.Integer()
    by_group = fields.Dict(keys=fields.String(), values=fields.Nested(SummaryCountsSchema))
    totals = fields.Nested(SummaryCountsSchema)


class ParticipantSchema(Answer):
    """Only people who agreed to appear on the public list."""

    first_name = fields.String()
    last_name = fields.String()
    organisation = fields.String()
    stakeholder_group = fields.String()


class CheckInSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^\s*[A-Za-z0-9-]{4,32}\s*$", error="Not an attendee code."),
        metadata={"description": "The attendee code (case and surrounding spaces do not matter)"},
    )

    @post_load
    def normalise(self, data, **kwargs):
        return {"code": data["code"].strip().upper()}


class CheckInResultSchema(Answer):
    registration = fields.Nested(RegistrationSchema)
    already_checked_in = fields.Boolean(metadata={"description": "True when this code was scanned before"})


class AttendanceCountsSchema(Answer):
    confirmed = fields.Integer()
    checked_in = fields.Integer()


class AttendanceSchema(Answer):
    forum_id = fields.UUID()
    by_group = fields.Dict(keys=fields.String(), values=fields.Nested(AttendanceCountsSchema))
    totals = fields.Nested(AttendanceCountsSchema)
