"""A person without an account: their data, their erasure, their subscription to the series."""

from marshmallow import Schema, fields

from gateway.schemas.common import Answer, email, group, locale, text
from gateway.schemas.registrations import RegistrationSchema
from gateway.schemas.topics import MyTopicsSchema


class PersonSchema(Answer):
    id = fields.UUID()
    email = fields.Email()
    first_name = fields.String()
    last_name = fields.String()
    locale = fields.String()
    created_at = fields.AwareDateTime()


class PersonExportSchema(Answer):
    """Everything held about the person (the service may add fields)."""

    person = fields.Nested(PersonSchema)
    registrations = fields.List(fields.Nested(RegistrationSchema))
    subscriptions = fields.List(fields.Dict())
    topics = fields.Nested(
        MyTopicsSchema,
        allow_none=True,
        metadata={
            "description": "My proposals and ballots; null for a person who may not take part in topics"
        },
    )
    restitution = fields.Dict(
        allow_none=True,
        metadata={"description": "comments: my comments on restitutions (CommentSchema, with the text of a "
                  "hidden one); null for a person who may not comment"},
    )  # fmt: skip


class ErasureSchema(Answer):
    erased = fields.Boolean(metadata={"description": "False when nobody had this address"})


class SubscriptionCreateSchema(Schema):
    email = email()
    first_name = text(100, required=False)
    last_name = text(100, required=False)
    locale = locale()
    stakeholder_group = group(load_default=None, allow_none=True)


class SubscriptionSchema(Answer):
    subscription_id = fields.UUID()
    status = fields.String(metadata={"description": "pending, confirmed or ended"})
