"""Tokens are secrets: whatever the gateway logs or answers goes through ``redact`` first. It also hides
the values of query parameters that carry personal data (an address), which the access log would keep.

Magic-link tokens travel in the ``Authorization`` header, in a URL fragment (which no server sees), in
the query of ``/me/session`` (the emailed management link, exchanged there for a session cookie) and in
the one-click unsubscribe URL (RFC 8058), where the token is a path segment.
"""

import logging
import re

HIDDEN = "…"
PERSONAL_PARAMETERS = ("recipient", "email", "actor")  # an actor may be an organiser's address
PATTERNS = (
    # the unsubscribe URL's path segment, whatever it holds
    (re.compile(r"(/unsubscribe/)[^\s/?#\"']+"), rf"\g<1>{HIDDEN}"),
    # anything shaped like a kit.tokens token: <base64url payload>.<base64url HMAC-SHA256>
    (re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"), HIDDEN),
    # an organiser token (kit.organiser_tokens), as the answer that creates one carries it
    (re.compile(r"odo_[A-Za-z0-9_-]{43}"), HIDDEN),
    # a token given as a query parameter, or an Authorization header echoed somewhere
    (re.compile(r"(?i)(token=)[^\s&\"']+"), rf"\g<1>{HIDDEN}"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{16,}"), rf"\g<1>{HIDDEN}"),
    # personal data in a query string (an organiser's ?recipient= search of the delivery log): the access
    # log keeps that the search was made, not whom it was about
    (re.compile(rf"(?i)([?&;](?:{'|'.join(PERSONAL_PARAMETERS)})=)[^\s&#\"']+"), rf"\g<1>{HIDDEN}"),
)


def redact(text):
    text = str(text)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """For loggers that may carry what a service said (nameko.rpc logs every reply at DEBUG)."""

    def filter(self, record):
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


REDACTING = RedactingFilter()


class RedactingLog:
    """Stands in for the logger eventlet's WSGI server writes its access and error lines to."""

    def __init__(self, logger):
        self.logger = logger

    def _log(self, level, msg, *args, **kwargs):
        text = msg % args if args else msg
        self.logger.log(level, "%s", redact(text), **kwargs)

    def debug(self, msg, *args, **kwargs):
        self._log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg, *args, **kwargs):
        self._log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg, *args, **kwargs):
        self._log(logging.WARNING, msg, *args, **kwargs)

    def error(self, msg, *args, **kwargs):
        self._log(logging.ERROR, msg, *args, **kwargs)
