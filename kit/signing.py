"""Events carry a signature of the service that published them; a consumer acts only on signed events.

Anyone holding broker credentials (an integrator's, say) could otherwise publish a made-up
``management_link_requested`` or ``registration_confirmed`` and have the notification service email a
link to someone's data, or text of their choosing, to any address. Each outbox relay signs the exact
bytes of every message it publishes (HMAC-SHA256 under a key derived from the shared ``SECRET_KEY``, in
the ``x-opendetat-signature`` header); every event handler checks it before its worker runs, and a
message without a valid signature is dead-lettered as invalid, never handled. So what an event says
(an address, a name, a person id) is what the owning service wrote in its own transaction.

Integrators only read: they need no key, and the header changes nothing in the body they parse.
"""

import hashlib
import hmac

HEADER = "x-opendetat-signature"
SCHEME = "hmac-sha256="


def event_key(secret):
    """A key for events only, derived from ``SECRET_KEY`` (links are signed under another derivation)."""
    return hmac.new(str(secret).encode(), b"opendetat-events-v1", hashlib.sha256).digest()


def sign(key, body):
    """The header value for ``body`` (the message's bytes as published)."""
    return SCHEME + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(key, body, headers):
    """True when ``headers`` carry a valid signature of ``body``."""
    given = (headers or {}).get(HEADER)
    if isinstance(given, bytes):
        given = given.decode("ascii", "replace")
    if isinstance(body, str):  # the AMQP client decodes a body sent with a content encoding (UTF-8 here)
        body = body.encode()
    if not isinstance(given, str) or not isinstance(body, bytes | bytearray):
        return False
    return hmac.compare_digest(given.encode("ascii", "replace"), sign(key, bytes(body)).encode())
