"""Who may call what.

Organisers carry a bearer token: one created while the platform runs (``odo_…``, kept hashed by the
registration service, named, with a read or write scope), or the bootstrap token from ORGANISER_TOKEN
(comma-separated for several; write scope, named "ORGANISER_TOKEN"). A created token is looked up on
every request, with nothing cached, so a revoked one is refused at once; only its sha256 goes on the bus.
A read token may GET (and HEAD); any other method needs write. Once an organiser is known, their name
goes into the worker context, which nameko hands on with every RPC call: the services record it in
their audit trail (``kit.audit``).

A participant has no account: the bearer token is the one from their emailed link, passed on to the
service that minted it, which alone can tell whether it is valid. The public carries nothing.
"""

import hmac
import logging
import re
from typing import NamedTuple

from gateway.errors import Forbidden, Unauthenticated
from gateway.rpc import TimedRpcProxy
from kit import audit, organiser_tokens

log = logging.getLogger(__name__)
MAX_TOKEN = 2048  # far above any token we mint; anything longer is not worth a round trip
BOOTSTRAP = "ORGANISER_TOKEN"  # the name the audit trail gives the configured tokens
READING = frozenset({"GET", "HEAD"})
# What a token can be made of in a header (RFC 6750's b64token, and a little more): anything else, say
# a non-ASCII byte, is not a token we could have given, and is refused as such (401), never looked up.
VISIBLE = re.compile(r"[\x21-\x7e]+")


class Organiser(NamedTuple):
    name: str
    scope: str  # "read" or "write"


def ours(token):
    """Whether the token could be one we gave: visible ASCII. Anything else is refused (401) untried."""
    return VISIBLE.fullmatch(token) is not None


class Callers:
    """What a gateway worker sees: who calls, for this one request."""

    def __init__(self, bootstrap, lookup, worker_ctx):
        self.bootstrap = bootstrap  # sha256 digests of the configured tokens
        self.lookup = lookup  # the registration service, asked by digest
        self.worker_ctx = worker_ctx

    @staticmethod
    def bearer(request):
        """The bearer token of the request, or None."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        if len(token) > MAX_TOKEN:
            raise Unauthenticated("This token is not valid.")
        return token

    def _organiser(self, token):
        """The organiser holding this token, or None (a participant's token, or none of ours)."""
        if not ours(token):
            return None
        digest = organiser_tokens.digest(token)
        # compare against every configured token, so the time taken says nothing about which one was close
        if any([hmac.compare_digest(digest, known) for known in self.bootstrap]):
            return Organiser(BOOTSTRAP, "write")
        if not organiser_tokens.looks_stored(token):
            return None  # no round trip for a participant's token
        found = self.lookup.organiser_for_digest(digest.hex())
        return Organiser(found["name"], found["scope"]) if found else None

    def _acting(self, organiser, request):
        """The organiser, if the token's scope allows the request's method; named for the services."""
        if request.method not in READING and organiser.scope != "write":
            raise Forbidden("This token may only read.")
        self.worker_ctx.data[audit.ACTOR_KEY] = organiser.name
        return organiser

    def is_organiser(self, request):
        """For public routes where organisers see more (drafts), with either scope; any other token counts
        as public."""
        token = self.bearer(request)
        organiser = self._organiser(token) if token else None
        if organiser:
            self.worker_ctx.data[audit.ACTOR_KEY] = organiser.name
        return organiser is not None

    def organiser(self, request):
        """Organisers only: 401 without a valid token, 403 with a participant's, or a read token on a write."""
        token = self.bearer(request)
        if token is None:
            raise Unauthenticated("An organiser bearer token is required.")
        organiser = self._organiser(token)
        if organiser is None:
            if organiser_tokens.looks_stored(token) or not ours(token):
                raise Unauthenticated("This token is not valid.")  # revoked, or never one of ours
            raise Forbidden("This token is not an organiser token.")
        self._acting(organiser, request)

    def person(self, request):
        """The participant's token, for routes that act as the person; organisers are not a person."""
        token = self.bearer(request)
        if token is None:
            raise Unauthenticated("The bearer token from your emailed link is required.")
        if not ours(token):
            raise Unauthenticated("This token is not valid.")
        if organiser_tokens.looks_stored(token) or self._organiser(token):
            raise Forbidden("This route acts for a person: use the token from their link.")
        return token

    def organiser_or_person(self, request):
        """None for an organiser, else the participant's token (checked by the service)."""
        token = self.bearer(request)
        if token is None:
            raise Unauthenticated("An organiser token or the token from your emailed link is required.")
        organiser = self._organiser(token)
        if organiser is not None:
            self._acting(organiser, request)
            return None
        if organiser_tokens.looks_stored(token) or not ours(token):
            raise Unauthenticated("This token is not valid.")
        return token


def configured(config):
    """The sha256 digests of the configured organiser tokens (ORGANISER_TOKEN, comma-separated)."""
    raw = str(config.get("ORGANISER_TOKEN") or "")
    return [organiser_tokens.digest(token.strip()) for token in raw.split(",") if token.strip()]


def claims_organiser(request, bootstrap):
    """Whether the request's token is one of the configured organiser tokens, or has the shape of a
    created one, told without asking any service: the client limit leaves such requests alone (the route
    still checks the token, and refuses a false one with a 401)."""
    try:
        token = Callers.bearer(request)
    except Unauthenticated:
        return False
    if token is None or not ours(token):
        return False
    digest = organiser_tokens.digest(token)
    return organiser_tokens.looks_stored(token) or any([hmac.compare_digest(digest, k) for k in bootstrap])


class BearerTokens(TimedRpcProxy):
    """Who calls: a proxy to the registration service (which keeps the created tokens), with the digests
    of the configured ones."""

    def __init__(self):
        super().__init__("registration")

    def setup(self):
        super().setup()
        raw = str(self.container.config.get("ORGANISER_TOKEN") or "")
        if not all(ours(token.strip()) for token in raw.split(",") if token.strip()):
            log.warning("ORGANISER_TOKEN holds a token that is not visible ASCII: it will never be accepted")
        self.bootstrap = configured(self.container.config)

    def get_dependency(self, worker_ctx):
        return Callers(self.bootstrap, super().get_dependency(worker_ctx), worker_ctx)
