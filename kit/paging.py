"""Page cursors: the key of a page's last row, ``<label>.<part>.<part>``. Clients treat a cursor as opaque;
the API document states each listing's shape (``Cursor.pattern``), and every string of that shape reads
back to values the database takes: digits for a number (a bigint) or an instant (microseconds since
0001-01-01 UTC, so never out of range), 32 hex digits for a uuid. Anything else raises ``InvalidCursor``
before a query sees it: the one error every listing of every service answers for it (a 400 naming the
``cursor`` field). The label keeps a cursor of one listing from being any use to another."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

EPOCH = datetime(1, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class InvalidCursor(Exception):
    """A page cursor that no listing of this kind wrote: an expected error of every service that pages."""


class Kind(NamedTuple):
    pattern: str
    write: object
    read: object


BIGINT = Kind(r"[0-9]{1,18}", str, int)
UUID = Kind(r"[0-9a-f]{32}", lambda value: uuid.UUID(str(value)).hex, uuid.UUID)
MOMENT = Kind(
    r"[0-9]{1,17}",  # up to the year 3169
    lambda value: str((value - EPOCH) // MICROSECOND),
    lambda text: EPOCH + int(text) * MICROSECOND,
)


class Cursor:
    def __init__(self, label, *kinds):
        self.label, self.kinds = label, kinds
        self.pattern = "^" + re.escape(label) + "".join(r"\." + kind.pattern for kind in kinds) + "$"

    def write(self, *values):
        return ".".join(
            [self.label, *(kind.write(value) for kind, value in zip(self.kinds, values, strict=True))]
        )

    def read(self, cursor):
        """The values of ``cursor``; InvalidCursor when it is not of this listing's shape."""
        if not isinstance(cursor, str) or not re.fullmatch(self.pattern, cursor):
            raise InvalidCursor("this page cursor is not valid")
        parts = cursor.split(".")[1:]
        return [kind.read(part) for kind, part in zip(self.kinds, parts, strict=True)]


FORUMS = Cursor("forums", MOMENT, UUID)  # starts_at, id
REGISTRATIONS = Cursor("registrations", MOMENT, UUID)  # created_at, id
DELIVERIES = Cursor("deliveries", BIGINT)
DEAD_LETTERS = Cursor("dead-letters", BIGINT)
