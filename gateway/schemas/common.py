"""Shapes every resource uses: enumerations, bounded text, pagination, problems."""

from marshmallow import INCLUDE, Schema, fields, validate

from services.registration.events import LOCALES, STAKEHOLDER_GROUPS

FORUM_STATUSES = ("draft", "open", "closed", "held", "cancelled")
REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
__all__ = ["LOCALES", "STAKEHOLDER_GROUPS"]  # the events contract's, shared with the API


class Answer(Schema):
    """Documents an answer (the gateway passes the service's JSON on): answers may gain fields."""

    class Meta:
        unknown = INCLUDE


def text(max_length, required=True, **kwargs):
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)
    return fields.String(load_default="", validate=validate.Length(max=max_length), **kwargs)


def email(**kwargs):
    return fields.Email(required=True, validate=validate.Length(max=254), **kwargs)


def group(**kwargs):
    return fields.String(validate=validate.OneOf(STAKEHOLDER_GROUPS), **kwargs)


def locale():
    return fields.String(load_default="fr", validate=validate.OneOf(LOCALES))


class PageQuerySchema(Schema):
    """``limit`` and ``cursor``: the cursor is opaque, given by one answer and taken by the next call."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=512), validate.Regexp(r"^[\x21-\x7e]+$")],
        metadata={"description": "The next_cursor of the previous page, as it was given"},
    )


NEXT_CURSOR = fields.String(
    allow_none=True, metadata={"description": "Pass as ``cursor`` for the next page; null on the last"}
)


class EmailSchema(Schema):
    email = email()


class AcceptedSchema(Answer):
    status = fields.String(metadata={"description": "What happens next"})


class ProblemSchema(Answer):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Per-field messages, for validation errors"})
