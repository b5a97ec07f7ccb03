"""Every error the API answers, as application/problem+json (RFC 9457): one table, one place."""

import json
import logging

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

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


class Unauthenticated(ApiError):
    status = 401
    title = "Authentication required"
    headers = {"WWW-Authenticate": 'Bearer realm="opendetat"'}


class Forbidden(ApiError):
    status = 403
    title = "Not allowed"


class Unavailable(ApiError):
    status = 503
    title = "Service unavailable"


class UpstreamTimeout(ApiError):
    status = 504
    title = "A service did not answer in time"


# Named exceptions raised by the services, by class name (as nameko sends them): status and title.
REMOTE_ERRORS = {
    "ForumNotFound": (404, "Forum not found"),
    "AlreadyRegistered": (409, "Already registered"),
    "RegistrationClosed": (409, "Registration closed"),
}


def slug(title):
    return title.lower().replace(" ", "-")


def problem(status, title, detail=None, errors=None, headers=None):
    body = {"type": PROBLEM_TYPE + slug(title), "title": title, "status": status, "detail": detail or title}
    if errors:
        body["errors"] = errors
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/problem+json",
    )


def response_for(exc):
    if isinstance(exc, ApiError):
        return problem(exc.status, exc.title, exc.detail, exc.errors, exc.headers)
    if isinstance(exc, ValidationError):
        return problem(400, "Invalid request", "Some fields are missing or invalid.", exc.messages)
    if isinstance(exc, RemoteError) and exc.exc_type in REMOTE_ERRORS:
        status, title = REMOTE_ERRORS[exc.exc_type]
        return problem(status, title, exc.value)
    if isinstance(exc, HTTPException):
        return problem(exc.code, exc.name, exc.description)
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "Internal error", "The error was logged.")
