"""The emails sent, for organisers: the delivery log, retrying what failed, previewing every message, and
the events the service could not handle (its dead letters)."""

from functools import partial

from werkzeug.wrappers import Response

from gateway.http import api, query, row_id, validated
from gateway.openapi import ORGANISER, Doc
from gateway.routes import PRIVATE
from gateway.schemas.notifications import (
    DeadLetterListQuerySchema,
    DeliveryListQuerySchema,
    DeliveryRetrySchema,
    DeliverySummaryQuerySchema,
    PreviewQuerySchema,
)

DELIVERY_LIST = DeliveryListQuerySchema()
DELIVERY_SUMMARY = DeliverySummaryQuerySchema()
DELIVERY_RETRY = DeliveryRetrySchema()
PREVIEW = PreviewQuerySchema()
DEAD_LETTER_LIST = DeadLetterListQuerySchema()
doc = partial(Doc, tag="notifications", auth=ORGANISER)
# A preview is our own template with made-up data: its inline styles may apply, nothing else may load.
PREVIEW_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class NotificationRoutes:
    @api(
        "GET",
        "/api/v1/notifications",
        doc=doc(
            "The delivery log, newest first: who was sent what, when, and what failed (never the bodies)",
            query=DeliveryListQuerySchema,
            answer="DeliveryList",
            returns="A page of the log",
            raises=("InvalidCursor", "InvalidFilter"),
        ),
    )
    def list_deliveries(self, request):
        self.auth.organiser(request)
        asked = query(DELIVERY_LIST, request)
        page = self.notification.list_deliveries(
            asked["forum_id"], asked["status"], asked["recipient"], asked["limit"], asked["cursor"]
        )
        return 200, PRIVATE, page

    @api(
        "GET",
        "/api/v1/notifications/summary",
        doc=doc(
            "How many messages are pending, sending, sent or failed, by template (and by forum)",
            query=DeliverySummaryQuerySchema,
            answer="DeliverySummary",
            returns="The counts",
            raises=("InvalidFilter",),
        ),
    )
    def delivery_summary(self, request):
        self.auth.organiser(request)
        return 200, self.notification.delivery_summary(query(DELIVERY_SUMMARY, request)["forum_id"])

    @api(
        "POST",
        "/api/v1/notifications/<delivery_id>/retry",
        doc=doc(
            "Send a failed message again",
            answer="Delivery",
            returns="The message, queued again (pending)",
            raises=("DeliveryNotFound", "NotRetryable"),
            description="Only a failed message can be retried, and not one whose recipient was erased. "
            "It gets a full round of attempts again: attempts starts over from 0.",
        ),
    )
    def retry_delivery(self, request, delivery_id):
        self.auth.organiser(request)  # first: who calls learns nothing of what exists
        return 200, PRIVATE, self.notification.retry_delivery(row_id(delivery_id))

    @api(
        "POST",
        "/api/v1/notifications/retry",
        doc=doc(
            "Send every failed message of a forum again",
            body="DeliveryRetry",
            answer="DeliveriesRetried",
            returns="How many were queued again (0 when none had failed)",
            raises=("InvalidFilter",),
        ),
    )
    def retry_failed(self, request):
        self.auth.organiser(request)
        return 200, self.notification.retry_failed(validated(DELIVERY_RETRY, request)["forum_id"])

    @api(
        "GET",
        "/api/v1/notifications/templates",
        doc=doc("The messages the platform sends", answer="TemplateList", returns="Their template names"),
    )
    def list_templates(self, request):
        self.auth.organiser(request)
        return 200, {"templates": self.notification.list_templates()}

    @api(
        "GET",
        "/api/v1/notifications/templates/<name>/preview",
        doc=doc(
            "A message rendered with sample data, in French or English",
            query=PreviewQuerySchema,
            answer="MessagePreview",
            returns="The subject, plain text and HTML (format=html: the HTML page; format=text: the text)",
            raises=("TemplateNotFound", "UnsupportedLocale"),
            description="The sample forum and person are made up; the links lead to the platform's pages "
            "with a placeholder instead of a token, so they open nothing.",
        ),
    )
    def preview_template(self, request, name):
        self.auth.organiser(request)
        asked = query(PREVIEW, request)
        preview = self.notification.preview_template(name, asked["locale"])
        if asked["format"] == "html":
            return Response(preview["html"], headers=PREVIEW_HEADERS, content_type="text/html; charset=utf-8")
        if asked["format"] == "text":
            return Response(
                preview["text"], headers=PREVIEW_HEADERS, content_type="text/plain; charset=utf-8"
            )
        return 200, preview

    @api(
        "GET",
        "/api/v1/notifications/dead-letters",
        doc=doc(
            "Events the service could not handle, newest first: malformed, or failing at every attempt",
            query=DeadLetterListQuerySchema,
            answer="DeadLetterList",
            returns="A page of dead letters (never their bodies)",
            raises=("InvalidCursor",),
            description="Each event is listed once, with why it was given up on. The service went on with "
            "the next events; a dead letter waits here until someone fixes and replays it.",
        ),
    )
    def list_dead_letters(self, request):
        self.auth.organiser(request)
        asked = query(DEAD_LETTER_LIST, request)
        return 200, PRIVATE, self.notification.list_dead_letters(asked["limit"], asked["cursor"])

    @api(
        "GET",
        "/api/v1/notifications/dead-letters/<dead_letter_id>",
        doc=doc(
            "One dead letter with its body, to fix and replay it",
            answer="DeadLetterDetail",
            returns="The dead letter and the body as it was received",
            raises=("DeadLetterNotFound",),
            description="Replay it by publishing the fixed body to its exchange with its routing key. "
            "Its body is null once a person it named was erased.",
        ),
    )
    def get_dead_letter(self, request, dead_letter_id):
        self.auth.organiser(request)  # first: who calls learns nothing of what exists
        return 200, PRIVATE, self.notification.get_dead_letter(row_id(dead_letter_id))
