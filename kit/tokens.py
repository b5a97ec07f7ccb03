"""Signed, expiring, revocable tokens for people without accounts (magic links).

A token is ``<payload>.<signature>``: the payload is base64url JSON ``{"p": purpose, "s": subject,
"v": version, "e": expiry}``, the signature an HMAC-SHA256 of it with the shared ``SECRET_KEY``. The
registration service verifies them; the notification service mints them where an email is rendered,
so no token ever travels on the bus. Revoking is bumping the person's ``version``: every token minted
before stops working. Tokens are secrets: never log them or put them in events.
"""

import base64
import hashlib
import hmac
import json
import time

# What each kind of token lets its bearer do, and for how long.
LIFETIMES = {
    "manage": 90 * 24 * 3600,  # see, cancel, change consents; export or erase oneself (subject: person id)
    "confirm_subscription": 7 * 24 * 3600,  # double opt-in (subject: subscription id)
    "unsubscribe": 400 * 24 * 3600,  # one-click unsubscribe, in every announcement (subject: subscription id)
}
# How far ahead of the reader's clock the minting process's clock may be.
CLOCK_SKEW = 300
# Where the emailed links lead. The management link opens the person's session on the site (no
# JavaScript needed; the gateway keeps the query out of its logs and answers a redirection to /me without
# it, under Referrer-Policy: no-referrer). The confirmation page reads its token from the fragment (never
# sent to a server); the one-click unsubscribe URL is one RFC 8058 requires mail clients to POST to as it is.
PAGES = {
    "manage": "/me/session?token={token}",
    "confirm_subscription": "/subscriptions/confirm#token={token}",
    "unsubscribe": "/api/v1/unsubscribe/{token}",
}


def link(base_url, secret, purpose, subject, version=0):
    """The URL an email gives a person for ``purpose``."""
    token = mint(secret, purpose, subject, version, ttl=LIFETIMES[purpose])
    return base_url.rstrip("/") + PAGES[purpose].format(token=token)


class InvalidToken(Exception):
    """Tampered, expired, revoked or meant for something else."""


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret, payload):
    return _b64(hmac.new(secret.encode(), f"opendetat-token:{payload}".encode(), hashlib.sha256).digest())


def mint(secret, purpose, subject, version=0, ttl=None, now=None):
    """A token for ``purpose``, valid for ``ttl`` seconds (the purpose's lifetime unless shorter)."""
    ttl = LIFETIMES[purpose] if ttl is None else min(ttl, LIFETIMES[purpose])
    claims = {"p": purpose, "s": str(subject), "v": version, "e": int((now or time.time()) + ttl)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def read(secret, token, purpose, now=None):
    """Return ``(subject, version)``; raise InvalidToken unless signed by us, unexpired and for ``purpose``.

    An expiry further away than the purpose's lifetime (give or take the clocks of the minting and the
    reading process) is refused: whoever made such a token, it would otherwise outlive what the purpose
    allows. The caller still checks ``version`` against the person's current one (revocation), whatever
    the purpose.
    """
    try:
        payload, signature = str(token).split(".")
    except ValueError:
        raise InvalidToken("malformed token") from None
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise InvalidToken("bad signature")
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        raise InvalidToken("malformed token") from None
    if claims.get("p") != purpose:
        raise InvalidToken("token meant for something else")
    now = now or time.time()
    if claims.get("e", 0) < now:
        raise InvalidToken("expired token")
    if claims["e"] > now + LIFETIMES[purpose] + CLOCK_SKEW:
        raise InvalidToken("token outlives its purpose")
    return claims["s"], claims.get("v", 0)
