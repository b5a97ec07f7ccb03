"""The organiser console's session: an organiser signs in once with their token, and their browser then
carries a cookie instead of the token.

The cookie (``odt_console``) holds what identifies the token and when the session ends, signed with the
platform's ``SECRET_KEY`` (HMAC-SHA256), never the token: a created token (``odo_…``) by its sha256 (what
the gateway already sends the registration service; 256 random bits behind it, so nothing is guessed from
it), a configured one (ORGANISER_TOKEN, which a person may have chosen weak) by an HMAC of its sha256, so
a stolen cookie cannot be tried offline against guesses. Every request names the organiser again from
that identity (``holder``): a revoked token, or one taken out of ORGANISER_TOKEN, ends its sessions at
once. A session lasts ``SESSION_AGE`` from sign-in (a day at the door, not a sliding window: an
unattended phone is signed out by the evening).

An organiser on ORGANISER_EMAILS may instead sign in by an emailed link (``routes.console``; the
notification service sends it, to a listed address only, and spends it once): their session names the
address by an HMAC of it (``ADDRESS``), and ``holder`` names them by it again on every request while the
address is still on ORGANISER_EMAILS (compared trimmed, whatever the case), with the write scope. The
audit trail records their actions under the address.

It is HttpOnly, SameSite=Strict (no other site's link or form carries it), Secure over https, and set
twice, at Path=/console and Path=/en/console: the two languages of the console share one session, and
the cookie never travels with the public pages or the API.
"""

import hashlib
import hmac
import re
import time
from types import SimpleNamespace

from gateway.auth import BOOTSTRAP, Organiser

SESSION_COOKIE = "odt_console"
SESSION_AGE = 8 * 3600  # seconds
PATHS = ("/console", "/en/console")
CREATED, CONFIGURED = "t", "b"  # how the session names its token: its sha256, or an HMAC of it
ADDRESS = "a"  # a session opened by an emailed link: an HMAC of the organiser's address
SHAPE = re.compile(r"([tba])\.([0-9a-f]{64})\.([0-9]{1,12})\.([0-9a-f]{64})")
LINK_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # the emailed link's token: 256 random bits, base64url
NEXT = re.compile(r"(?:/en)?/console(?:/[A-Za-z0-9/_-]{0,200})?")


def _mac(secret, text):
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def identity(secret, bootstrap, digest):
    """(kind, ident) of the token with this sha256 (bytes): one of the configured tokens or a created one."""
    if any([hmac.compare_digest(digest, known) for known in bootstrap]):
        return CONFIGURED, _mac(secret, f"console-configured:{digest.hex()}")
    return CREATED, digest.hex()


def listed(value):
    """The addresses of ORGANISER_EMAILS (comma-separated), trimmed and lowercased."""
    return tuple(part.strip().lower() for part in str(value or "").split(",") if part.strip())


def address_identity(secret, address):
    """(kind, ident) of a session opened by an emailed link sent to ``address``."""
    return ADDRESS, _mac(secret, f"console-address:{address.strip().lower()}")


def link_digest(token):
    """What the notification service knows an emailed link by (the sha256 of its token), or None for
    what cannot be one of its tokens."""
    if not isinstance(token, str) or LINK_TOKEN.fullmatch(token) is None:
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def seal(secret, kind, ident, now=None):
    """The cookie's value for a session of this token, ending ``SESSION_AGE`` from ``now``."""
    expires = int(now if now is not None else time.time()) + SESSION_AGE
    body = f"{kind}.{ident}.{expires}"
    return f"{body}.{_mac(secret, 'console-session:' + body)}"


def opened(secret, value, now=None):
    """(kind, ident) of a well-signed, unexpired session; None for anything else."""
    found = SHAPE.fullmatch(value or "")
    if found is None:
        return None
    kind, ident, expires, signature = found.groups()
    if not hmac.compare_digest(signature, _mac(secret, f"console-session:{kind}.{ident}.{expires}")):
        return None
    now = now if now is not None else time.time()
    return (kind, ident) if now < int(expires) <= now + SESSION_AGE else None


def holder(callers, secret, kind, ident, addresses=()):
    """The organiser whose token (or address) the session names, asked now: None once revoked or
    unconfigured, or once the address is off ``addresses`` (``listed(ORGANISER_EMAILS)``)."""
    if kind == ADDRESS:
        keyed = {_mac(secret, f"console-address:{known}"): known for known in addresses}
        found = [known for key, known in keyed.items() if hmac.compare_digest(ident, key)]
        return Organiser(found[0], "write") if found else None
    if kind == CONFIGURED:
        keyed = [_mac(secret, f"console-configured:{known.hex()}") for known in callers.bootstrap]
        return Organiser(BOOTSTRAP, "write") if any([hmac.compare_digest(ident, k) for k in keyed]) else None
    found = callers.lookup.organiser_for_digest(ident)
    return Organiser(found["name"], found["scope"]) if found else None


def as_bearer(token):
    """A stand-in request carrying ``token`` as its bearer, for ``Callers.organiser`` to judge exactly as it
    judges the API's requests (a sign-in only reads: a read token may sign in)."""
    return SimpleNamespace(headers={"Authorization": f"Bearer {token}"}, method="GET")


def safe_next(value):
    """Where to go after signing in: a page of the console (its path only), else None."""
    return value if value and NEXT.fullmatch(value) else None


def set_session(response, request, value):
    for path in PATHS:
        response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_AGE, path=path, httponly=True,
                            samesite="Strict", secure=request.scheme == "https")  # fmt: skip
    return response


def clear_session(response, request):
    for path in PATHS:
        response.delete_cookie(
            SESSION_COOKIE, path=path, httponly=True, samesite="Strict", secure=request.scheme == "https"
        )
    return response
