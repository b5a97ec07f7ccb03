"""Organiser tokens (named, read or write; the token itself is answered once) and the audit trail of
what organisers did, merged from the services that keep one."""

from marshmallow import Schema, fields, validate

from gateway import trail
from gateway.schemas.common import NEXT_CURSOR, Answer, Name, PageQuerySchema, Text, page_cursor

SCOPES = ("read", "write")


class OrganiserTokenCreateSchema(Schema):
    name = Name(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={
            "description": "Who holds it (unique among the tokens in use, trimmed; ORGANISER_TOKEN and cli"
            " are taken): the audit trail shows it"
        },
    )
    scope = fields.String(
        required=True,
        validate=validate.OneOf(SCOPES),
        metadata={"description": "read (GET only) or write (everything organisers may do)"},
    )


class OrganiserTokenSchema(Answer):
    id = fields.UUID()
    name = fields.String()
    scope = fields.String(metadata={"description": ", ".join(SCOPES)})
    created_at = fields.AwareDateTime()
    created_by = fields.String(metadata={"description": "The name of the organiser who created it, or cli"})
    revoked_at = fields.AwareDateTime(allow_none=True, metadata={"description": "Null while in use"})
    last_used_at = fields.AwareDateTime(allow_none=True, metadata={"description": "To the minute"})


class OrganiserTokenCreatedSchema(OrganiserTokenSchema):
    token = fields.String(
        metadata={"description": "The bearer token: shown this once, only its digest is kept"}
    )


class OrganiserTokenListSchema(Answer):
    items = fields.List(fields.Nested(OrganiserTokenSchema))


class AuditListQuerySchema(PageQuerySchema):
    actor = Text(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Only what this organiser did (a token's name, ORGANISER_TOKEN or cli)"},
    )
    service = fields.String(load_default=None, validate=validate.OneOf(trail.SERVICES))
    cursor = page_cursor(trail.CURSOR)


class AuditEntrySchema(Answer):
    service = fields.String(metadata={"description": "Where it was done: " + ", ".join(trail.SERVICES)})
    id = fields.Integer(metadata={"description": "Numbered per service"})
    at = fields.AwareDateTime()
    actor = fields.String(
        allow_none=True,
        metadata={"description": "The token's name; null for a call made on the bus, not through the API"},
    )
    action = fields.String(metadata={"description": "e.g. forum_created, person_erased, delivery_retried"})
    subject = fields.String(allow_none=True, metadata={"description": "The id of what it was done to"})
    details = fields.Dict(metadata={"description": "A few facts about it (never an email address)"})


class AuditListSchema(Answer):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_cursor = NEXT_CURSOR
