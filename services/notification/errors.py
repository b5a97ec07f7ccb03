"""The errors this service raises on purpose; the gateway maps each (by class name) to an HTTP status."""

from kit.db import OUTAGES
from kit.paging import InvalidCursor


class NotificationError(Exception):
    """Base of the expected errors: answered as 4xx by the gateway (by class name)."""


class DeliveryNotFound(NotificationError):
    pass


class NotRetryable(NotificationError):
    pass


class InvalidFilter(NotificationError):
    pass


class TemplateNotFound(NotificationError):
    pass


class UnsupportedLocale(NotificationError):
    pass


EXPECTED = (NotificationError, InvalidCursor, *OUTAGES)  # 4xx (and 503 in an outage), not errors, in the logs
