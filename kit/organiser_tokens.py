"""The shape of organiser tokens, shared by the gateway (which checks them) and the registration service
(which mints them and keeps their digests).

A token is ``odo_`` and 32 random bytes in base64url (43 characters): the gateway tells it from a
participant's link token (``<payload>.<signature>``) by its shape alone, and looks up only tokens of
this shape. Only its sha256 is stored and sent on the bus: with 256 random bits, nothing can be guessed
from the digest, so a slow password hash would add nothing but time on every organiser request.
"""

import hashlib
import re
import secrets

PREFIX = "odo_"
SHAPE = re.compile(r"odo_[A-Za-z0-9_-]{43}")


def mint():
    return PREFIX + secrets.token_urlsafe(32)


def digest(raw):
    """The sha256 of a token (bytes, or text taken as UTF-8)."""
    return hashlib.sha256(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")).digest()


def looks_stored(token):
    return SHAPE.fullmatch(token) is not None
