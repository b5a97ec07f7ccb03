"""Every error the API answers, as application/problem+json (RFC 9457): one table, one place."""

import json
import logging
import math
from typing import NamedTuple

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gateway.redact import redact
from kit.broker import BROKER_DOWN  # the broker cannot be reached: an outage (503), not a bug
from kit.quiet import EXPECTED  # nameko's words for a worker that raised an expected error

log = logging.getLogger(__name__)
PROBLEM_TYPE = "urn:opendetat:problem:"


class ApiError(Exception):
    status = 400
    title = "Bad request"
    headers = None

    def __init__(self, detail=None, errors=None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors


class MalformedJson(ApiError):
    title = "Malformed JSON"


class UnsupportedMediaType(ApiError):
    status = 415
    title = "Unsupported media type"


class Unauthenticated(ApiError):
    status = 401
    title = "Authentication required"
    headers = {"WWW-Authenticate": 'Bearer realm="opendetat"'}


class Forbidden(ApiError):
    status = 403
    title = "Not allowed"


class InvalidIdempotencyKey(ApiError):
    title = "Invalid Idempotency-Key"

    def __init__(self):
        super().__init__(
            "Idempotency-Key is 1 to 255 visible ASCII characters (a UUID, say).",
            {"Idempotency-Key": ["1 to 255 visible ASCII characters"]},
        )


class TooManyRequests(ApiError):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after):
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"Too many requests from this client: try again in {seconds} s.")
        self.headers = {"Retry-After": str(seconds)}


RETRY_AFTER = {"Retry-After": "5"}  # seconds: an outage answer says when to try again


class Unavailable(ApiError):
    status = 503
    title = "Service unavailable"
    headers = RETRY_AFTER


class NotReady(Unavailable):
    """/health/ready's answer while a service, the broker or a database is away: 503 for the probe, a state
    that the probe repeats every few seconds, not a failure: one line in the log, not a traceback."""


class UpstreamTimeout(Unavailable):
    """A service did not answer within RPC_TIMEOUT (it is down, or its database or broker is): 503 with
    Retry-After, like any outage; what it was doing is not committed past the request's deadline."""


class Remote(NamedTuple):
    """How a service's named exception is answered. ``field`` files the detail under ``errors`` (for
    forms); ``fields``: the detail names its fields itself (``field: message; field2: message``, as
    ``services.topics.errors`` writes them) and each is filed under its own; ``detail`` replaces the
    service's message where that message should not be shown."""

    status: int
    title: str
    field: str | None = None
    detail: str | None = None
    fields: bool = False


# Named exceptions raised by the services, by class name (as nameko sends them).
REMOTE_ERRORS = {
    "ForumNotFound": Remote(404, "Forum not found"),
    "RegistrationNotFound": Remote(404, "Registration not found"),
    "UnknownAttendeeCode": Remote(404, "Unknown attendee code", "code"),
    "RegistrationClosed": Remote(409, "Registration closed"),
    "AlreadyRegistered": Remote(
        409, "Already registered", detail="This address is already registered: its link was sent again."
    ),
    "InvalidTransition": Remote(409, "Not allowed in this status"),
    "CapacityBelowConfirmed": Remote(409, "Capacity below confirmed", "capacity"),
    # 422, not 409: well-formed quotas that this forum cannot take (e.g. more seats than its capacity)
    "QuotaInvalid": Remote(422, "Invalid quotas", "quotas"),
    "SlugTaken": Remote(409, "Slug taken", "slug"),
    # the client's Idempotency-Key was first used for another request (kit.idempotency)
    "IdempotencyKeyReused": Remote(422, "Idempotency-Key reused", "Idempotency-Key"),
    # an outage: the service's database cannot be reached, or the request's deadline passed before commit
    "DatabaseUnavailable": Remote(503, "Service unavailable", detail="Try again in a few seconds."),
    "DeadlinePassed": Remote(503, "Service unavailable", detail="Try again in a few seconds."),
    "InvalidToken": Remote(
        401, "Invalid token", detail="This link is invalid, expired or revoked: ask for a new one."
    ),
    "NotYourRegistration": Remote(403, "Not your registration"),
    "InvalidCursor": Remote(400, "Invalid cursor", "cursor"),
    # the change is well formed but contradicts what the forum already is (say, a start after its end)
    "InvalidForumChange": Remote(422, "Invalid change"),
    "DeliveryNotFound": Remote(404, "Message not found"),
    "NotRetryable": Remote(409, "Not a failed message"),
    "DeadLetterNotFound": Remote(404, "Dead letter not found"),
    "InvalidFilter": Remote(400, "Invalid filter"),
    "TemplateNotFound": Remote(404, "Template not found"),
    "UnsupportedLocale": Remote(400, "Unsupported locale", "locale"),
    "OrganiserTokenNotFound": Remote(404, "Organiser token not found"),
    "OrganiserNameTaken": Remote(409, "Name taken", "name"),
    "InvalidOrganiserName": Remote(400, "Invalid name", "name"),
    # topics (ForumNotFound and InvalidTransition above mean the same there)
    "TopicNotFound": Remote(404, "Topic not found"),
    "RoundNotFound": Remote(404, "Round not found"),
    "RoundAlreadyOpen": Remote(409, "Round already open"),
    "RoundNotOpen": Remote(409, "Round not open"),
    "ResultsNotYet": Remote(409, "Results not yet public"),
    "NoTopics": Remote(422, "No published topic"),
    "NothingToChange": Remote(422, "Nothing to change"),
    "NotAParticipant": Remote(403, "Not a participant"),
    # well-formed, but not what this round takes: errors by field, from the service's rules
    "BallotInvalid": Remote(422, "Invalid ballot", fields=True),
    "RoundInvalid": Remote(422, "Invalid round", fields=True),
    "GroupRequired": Remote(422, "Stakeholder group required", fields=True),
    # restitution (ForumNotFound and InvalidTransition above mean the same there)
    "RestitutionNotFound": Remote(404, "Restitution not found"),
    "CommitmentNotFound": Remote(404, "Commitment not found"),
    "CommentNotFound": Remote(404, "Comment not found"),
    "VersionConflict": Remote(409, "Edited on an earlier version"),
    "CommentNotAllowed": Remote(409, "Comment not allowed"),
    "DraftInvalid": Remote(422, "Invalid draft", fields=True),
    "CommitmentChangeInvalid": Remote(422, "Invalid commitment change", fields=True),
    "CommentInvalid": Remote(422, "Invalid comment", fields=True),
    "SettingsInvalid": Remote(422, "Invalid settings", fields=True),
}


def slug(title):
    return title.lower().replace(" ", "-")


def problem(status, title, detail=None, errors=None, headers=None):
    detail = redact(detail or title)  # a detail never carries a token, whoever wrote it
    body = {"type": PROBLEM_TYPE + slug(title), "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/problem+json",
    )


def by_field(detail):
    """``choices: at most 3 topics; points: ...`` → ``{"choices": ["at most 3 topics"], ...}``. A field's
    messages stay one string: a message may itself hold a comma ("one of approval, dots, ranked")."""
    errors = {}
    for part in detail.split("; "):
        field, _, message = part.partition(": ")
        errors.setdefault(field, []).append(message or field)
    return errors


def remote_problem(exc):
    known = REMOTE_ERRORS[exc.exc_type]
    detail = known.detail or exc.value
    errors = {known.field: [detail]} if known.field else by_field(detail) if known.fields else None
    headers = {401: Unauthenticated.headers, 503: RETRY_AFTER}.get(known.status)
    return problem(known.status, known.title, detail, errors, headers)


def response_for(exc):
    if isinstance(exc, ApiError):
        return problem(exc.status, exc.title, exc.detail, exc.errors, exc.headers)
    if isinstance(exc, ValidationError):
        return problem(400, "Invalid request", "Some fields are missing or invalid.", exc.messages)
    if isinstance(exc, RemoteError) and exc.exc_type in REMOTE_ERRORS:
        return remote_problem(exc)
    if isinstance(exc, HTTPException):
        headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
        return problem(exc.code, exc.name, exc.description, headers=headers or None)
    if isinstance(exc, BROKER_DOWN):
        log.warning("answered 503, the broker is unreachable: %s: %s", type(exc).__name__, exc)
        return response_for(Unavailable("The platform is briefly unavailable: try again in a few seconds."))
    # the worker's failure was logged with its traceback where it happened (see ClientErrorsInOneLine)
    log.error("unexpected error answered 500: %s: %s", type(exc).__name__, exc)
    return problem(500, "Internal error", "The error was logged.")


def status_of(exc):
    """The status ``response_for`` answers ``exc`` with."""
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, ValidationError):
        return 400
    if isinstance(exc, RemoteError) and exc.exc_type in REMOTE_ERRORS:
        return REMOTE_ERRORS[exc.exc_type].status
    if isinstance(exc, HTTPException) and exc.code:
        return exc.code
    return 503 if isinstance(exc, BROKER_DOWN) else 500


class ClientErrorsInOneLine(logging.Filter):
    """nameko logs every worker failure with its traceback, the expected ones as warnings: for a refused
    request (a 4xx) the traceback says nothing the one line does not, and a fuzzer's 100k requests made
    77 MB of it. This keeps one line for a 4xx (and for "not ready", which a readiness probe asks every few
    seconds) and the traceback for what else is answered 5xx."""

    def filter(self, record):
        if not str(record.msg).startswith(EXPECTED) or len(record.args or ()) != 2:
            return True
        exc = record.args[1]
        status = status_of(exc)
        if status < 500 or isinstance(exc, NotReady):
            record.msg, record.args = (
                "worker %s answered %s: %s: %s",
                (record.args[0], status, type(exc).__name__, exc),
            )
            record.exc_info = record.exc_text = None
        else:
            record.levelno, record.levelname = logging.ERROR, "ERROR"
        return True


CLIENT_ERRORS_IN_ONE_LINE = ClientErrorsInOneLine()
