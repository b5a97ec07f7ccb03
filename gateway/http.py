"""nameko's HTTP entrypoint, made to speak JSON and problem+json, with limits a public server needs.

- handlers return ``(status, body)`` or ``(status, headers, body)`` where body is JSON-able, or a
  werkzeug ``Response`` (CSV, HTML pages);
- any exception becomes a problem+json answer through ``errors.response_for``, including unknown
  routes and wrong methods (nameko would answer those in HTML);
- a JSON body must say so (``Content-Type: application/json`` or ``application/*+json``, else 415);
  request bodies above ``MAX_BODY`` (or the route's ``Doc.max_body``) are refused (413), a chunked one
  included, and idle connections are closed after a while (eventlet's server otherwise keeps them forever);
- a refused request (4xx) is logged in one line, a server error (5xx) with its traceback;
- public and participant routes that change something are limited per client (429, ``kit.ratelimit``),
  and so are routes open to participants and organisers alike, unless an organiser calls;
- the access log never shows a token (``redact``);
- each route carries its OpenAPI description (``doc=``), so a route cannot go undocumented.
"""

import hashlib
import io
import json
import logging
import re
import time
import uuid

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, Map
from werkzeug.wrappers import Request, Response

from gateway.auth import claims_organiser, configured
from gateway.errors import (
    CLIENT_ERRORS_IN_ONE_LINE,
    ApiError,
    InvalidIdempotencyKey,
    MalformedJson,
    TooManyRequests,
    UnsupportedMediaType,
    response_for,
)
from gateway.openapi import EITHER, PERSON, PUBLIC
from gateway.redact import RedactingLog
from kit.db import DEADLINE
from kit.idempotency import KEY as IDEMPOTENCY_KEY
from kit.idempotency import VALID as VALID_KEY
from kit.ratelimit import ClientLimits

MAX_BODY = 64 * 1024
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
IDLE_TIMEOUT = 60
JSON_TYPES = re.compile(r"application/(?:[\w.+-]+\+)?json", re.IGNORECASE)


class ForumRefConverter(BaseConverter):
    """A forum's id (any case, answered as lowercase) or its slug; anything else is a 404."""

    regex = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[a-z0-9-]{3,80}"

    def to_python(self, value):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value


class TokenConverter(BaseConverter):
    """The shape of a kit.tokens token (``<payload>.<signature>``, base64url); anything else is a 404."""

    regex = r"[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{1,200}"


CONVERTERS = {"ref": ForumRefConverter, "token": TokenConverter}


def read_chunked(environ, most=MAX_BODY):
    """Read a chunked body (eventlet's input joins the chunks) and hand it on with its length: werkzeug
    reads nothing of a body without one, and would cut one at MAX_BODY without a word. False when the
    body is over MAX_BODY."""
    body = environ["wsgi.input"].read(most + 1)
    if len(body) > most:
        return False
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    del environ["HTTP_TRANSFER_ENCODING"]
    return True


class ProblemWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            return response_for(exc)(environ, start_response)
        most = provider.doc.max_body if getattr(provider, "doc", None) else MAX_BODY
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not read_chunked(environ, most):
            return response_for(RequestEntityTooLarge())(environ, start_response)
        request = Request(environ, shallow=True)
        request.max_content_length = most
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class ApiWebServer(WebServer):
    def make_url_map(self):
        url_map = Map(converters=CONVERTERS)
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map

    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def context_data_from_headers(self, request):
        """What the services are told with every call this request makes: its deadline, and for a request
        that may change something an idempotency key (``kit.idempotency``), the client's
        ``Idempotency-Key`` or one made here, so that a redelivered call, or the client's retry with its
        key, acts once."""
        context = {DEADLINE: self.deadline()}
        if request.method in SAFE_METHODS:
            return context
        key = request.headers.get("Idempotency-Key")
        key = form_key(request) if key is None else key
        if key is None:
            return context | {IDEMPOTENCY_KEY: f"gateway-{uuid.uuid4()}"}
        if not VALID_KEY.fullmatch(key):
            raise InvalidIdempotencyKey()
        return context | {IDEMPOTENCY_KEY: caller_key(request, key)}

    def deadline(self):
        """When the services must stop trying to commit this request: a little before the gateway stops
        waiting for their answer (``RPC_TIMEOUT``), so that an answer committed in time still arrives in
        time. Past it they roll back (``kit.db.DeadlinePassed``): nobody is told "failed" for a request
        that then took effect."""
        timeout = float(self.container.config.get("RPC_TIMEOUT", 10))
        return time.time() + timeout - min(1.0, timeout / 4)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        server = super().get_wsgi_server(sock, wsgi_app, **kwargs)
        server.socket_timeout = IDLE_TIMEOUT
        server.log = RedactingLog(logging.getLogger("nameko.web.server"))
        return server


class ApiHandler(HttpRequestHandler):
    server = ApiWebServer()
    limits = ClientLimits()

    def __init__(self, method, url, doc=None, **kwargs):
        # Answers to bad requests are logged as warnings, without a traceback.
        kwargs.setdefault("expected_exceptions", (ApiError, ValidationError, RemoteError, HTTPException))
        super().__init__(method, url, **kwargs)
        self.doc = doc

    def setup(self):
        super().setup()
        logging.getLogger("nameko.containers").addFilter(CLIENT_ERRORS_IN_ONE_LINE)
        self.bootstrap = configured(self.container.config)

    def handle_request(self, request):
        """Public and participant requests that change something count against the client's limit first
        (``kit.ratelimit``); past it, 429 with ``Retry-After`` and no worker, no call to any service."""
        if self.limited(request):
            wait = self.limits.wait(request)
            if wait is not None:
                return response_for(TooManyRequests(wait))
        return super().handle_request(request)

    def limited(self, request):
        """Whether the request counts: an organiser's does not (their tokens are accountable), on a route
        open to both (``EITHER``) told by their token's look, as the worker is not started yet."""
        if request.method in SAFE_METHODS or self.doc is None:
            return False
        if self.doc.auth in (PUBLIC, PERSON):
            return True
        return self.doc.auth == EITHER and not claims_organiser(request, self.bootstrap)

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, headers, body = result if len(result) == 3 else (result[0], {}, result[1])
        return Response(
            json.dumps(body, ensure_ascii=False),
            status=status,
            headers=headers,
            content_type="application/json",
        )

    def response_from_exception(self, exc):
        return response_for(exc)


api = ApiHandler.decorator


def form_key(request):
    """A page's form carries its key (``idempotency_key``, made when the page was shown): sent twice (a
    double click, a reload of the answer), it acts once and answers the same."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return None
    return request.form.get("idempotency_key") or None


def caller_key(request, key):
    """A client's key, as the services keep it: namespaced by who calls (their Authorization header, or
    for a page's form the visitor's CSRF cookie), so that one caller's key can neither replay another's
    answer nor be refused for it (a key reused by someone else, or with a wrong token, is a new key: the
    request is judged, 401 and all)."""
    caller = request.headers.get("Authorization") or "visitor " + request.cookies.get("odt_csrf", "")
    return "client-" + hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()


def json_body(request):
    """The request's JSON object, or a 415 (not said to be JSON) / 400 (malformed) / 413 (too large)
    answer. A body sent as a form or text is refused even when it holds JSON: a browser may send those
    from any site without asking (no CORS preflight), and a proxy or log reads them as what they say."""
    if not JSON_TYPES.fullmatch(request.mimetype):
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJson(f"The body is not valid JSON: {exc}") from exc
    except RecursionError:
        raise MalformedJson("The body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise MalformedJson("The body must be a JSON object.")
    return body


def row_id(text):
    """A row's number in a path (a bigint: ASCII digits only, "²".isdigit() is true), else a 404."""
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise NotFound()
    return int(text)


def validated(schema, request):
    """Load the JSON body (raising 400 with field errors) and dump it back to plain JSON for the RPC."""
    return schema.dump(schema.load(json_body(request)))


def optional_body(schema, request):
    """Like ``validated``, for a body that may be left out: a request without one (no bytes; the WSGI
    server may still say text/plain) is loaded as ``{}``; one sent is checked as any other."""
    if not request.get_data(cache=True):
        return schema.dump(schema.load({}))
    return validated(schema, request)


def query(schema, request):
    """The query string, validated like a body: unknown or bad parameters are a 400 with errors."""
    return schema.dump(schema.load(request.args.to_dict()))
