"""The delivery log as organisers see it (never the messages' bodies), retries and previews."""

from marshmallow import Schema, fields, validate

from gateway.schemas.common import LOCALES, NEXT_CURSOR, Answer, PageQuerySchema

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")
PREVIEW_FORMATS = ("json", "html", "text")


class DeliveryListQuerySchema(PageQuerySchema):
    forum_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))
    recipient = fields.Email(
        load_default=None,
        validate=validate.Length(max=254),
        metadata={"description": "The recipient's address (any case)"},
    )


class DeliverySummaryQuerySchema(Schema):
    forum_id = fields.UUID(load_default=None, metadata={"description": "Without it: every forum"})


class DeliveryRetrySchema(Schema):
    forum_id = fields.UUID(required=True, metadata={"description": "Every failed message of this forum"})


class PreviewQuerySchema(Schema):
    locale = fields.String(load_default="fr", validate=validate.OneOf(LOCALES))
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(PREVIEW_FORMATS),
        metadata={"description": "json (subject, text and html), html (the page) or text (plain text)"},
    )


class DeliverySchema(Answer):
    id = fields.Integer()
    template = fields.String()
    recipient = fields.String(metadata={"description": "erased-<id> once the person was erased"})
    locale = fields.String()
    forum_id = fields.UUID(allow_none=True)
    status = fields.String(metadata={"description": ", ".join(DELIVERY_STATUSES)})
    attempts = fields.Integer(metadata={"description": "Attempts since the message was last queued"})
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime()


class DeliveryListSchema(Answer):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = NEXT_CURSOR


def status_counts():
    return fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "By status"})


class DeliverySummarySchema(Answer):
    forum_id = fields.UUID(allow_none=True)
    totals = status_counts()
    by_template = fields.Dict(keys=fields.String(), values=fields.Dict())
    by_forum = fields.Dict(
        keys=fields.String(), values=fields.Dict(), metadata={"description": "Only without forum_id"}
    )


class DeliveriesRetriedSchema(Answer):
    forum_id = fields.UUID()
    retried = fields.Integer(metadata={"description": "How many failed messages were queued again"})


class TemplateListSchema(Answer):
    templates = fields.List(fields.String())


class MessagePreviewSchema(Answer):
    template = fields.String()
    locale = fields.String()
    subject = fields.String()
    text = fields.String()
    html = fields.String()
