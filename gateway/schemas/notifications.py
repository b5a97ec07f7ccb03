"""The delivery log as organisers see it (never the messages' bodies), retries, previews, and the events
the service could not handle (dead letters: their bodies only one at a time)."""

from marshmallow import Schema, fields, validate

from gateway.schemas.common import (
    EMAIL_DESCRIPTION,
    LOCALES,
    NEXT_CURSOR,
    Answer,
    Email,
    PageQuerySchema,
    page_cursor,
)
from kit import paging

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")
PREVIEW_FORMATS = ("json", "html", "text")


class DeliveryListQuerySchema(PageQuerySchema):
    cursor = page_cursor(paging.DELIVERIES)
    forum_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))
    recipient = Email(
        load_default=None,
        validate=validate.Length(max=254),
        metadata={"description": f"The recipient's address (any case). {EMAIL_DESCRIPTION}"},
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


class DeadLetterListQuerySchema(PageQuerySchema):
    """Only a page: dead letters are incidents, few and recent ones first."""

    cursor = page_cursor(paging.DEAD_LETTERS)


class DeadLetterSchema(Answer):
    id = fields.Integer()
    queue = fields.String(metadata={"description": "The queue of the handler that gave up on it"})
    event_id = fields.String(allow_none=True, metadata={"description": "As the body says, if it says"})
    event_type = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "The service that sent it"})
    exchange = fields.String(
        metadata={"description": "Where it was published: publish it there to replay it"}
    )
    routing_key = fields.String()
    reason = fields.String(
        metadata={
            "description": "invalid (it did not fit the handler's schema: see errors), delivery_limit (the "
            "handler failed at every attempt), rejected (by the handler, when it could not record it at "
            "once, or because its body could not be decoded), expired or maxlen"
        }
    )
    errors = fields.Dict(allow_none=True, metadata={"description": "Per field, what did not fit"})
    attempts = fields.Integer(allow_none=True, metadata={"description": "How many times it was handled"})
    dead_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    erased_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When its body went, as it named an erased person"}
    )


class DeadLetterListSchema(Answer):
    items = fields.List(fields.Nested(DeadLetterSchema))
    next_cursor = NEXT_CURSOR


class DeadLetterDetailSchema(DeadLetterSchema):
    content_type = fields.String(allow_none=True)
    body = fields.String(
        allow_none=True,
        metadata={"description": "As it was received; null once a person it named was erased"},
    )


def status_counts():
    return fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "By status"})


class AnnouncementProgressSchema(Answer):
    queued = fields.Integer(metadata={"description": "Subscribers written to the delivery log so far"})
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True, metadata={"description": "Null while still being written"})


class DeliverySummarySchema(Answer):
    forum_id = fields.UUID(allow_none=True)
    totals = status_counts()
    by_template = fields.Dict(keys=fields.String(), values=fields.Dict())
    by_forum = fields.Dict(
        keys=fields.String(), values=fields.Dict(), metadata={"description": "Only without forum_id"}
    )
    announcement = fields.Nested(
        AnnouncementProgressSchema,
        allow_none=True,
        metadata={"description": "Only with forum_id: its announcement to subscribers (null if none)"},
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
