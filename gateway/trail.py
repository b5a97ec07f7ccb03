"""The audit trail as organisers read it: the trails the services keep (``kit.audit``), merged newest
first.

Each service numbers its own rows. A page's cursor holds, per service, the id of the last row shown from
it (empty: none shown yet; 0: none left), and the next page asks each service only for rows older than
that: no row is shown twice or skipped, whatever is written in between. The services' clocks may differ
a little; each service's rows keep their own order in the merge.
"""

import heapq
from datetime import datetime

from marshmallow import ValidationError

from kit import paging

SERVICES = ("registration", "notification", "topics", "restitution")
DONE = 0  # no row has id 0: nothing older left
# A service's place: the id to go below, or nothing (none of its rows shown yet).
POSITION = paging.Kind(
    r"[0-9]{0,18}",
    lambda value: "" if value is None else str(value),
    lambda text: int(text) if text else None,
)
CURSOR = paging.Cursor("audit", *(POSITION for _ in SERVICES))


def positions(cursor):
    """Where each service's trail stands: None (from its newest row), DONE, or the id to go below."""
    if cursor is None:
        return dict.fromkeys(SERVICES)
    try:
        return dict(zip(SERVICES, CURSOR.read(cursor), strict=True))
    except paging.InvalidCursor as exc:
        raise ValidationError({"cursor": [str(exc)]}) from None


def merge(pages, limit, before):
    """One page of at most ``limit`` rows from ``pages`` (rows by service, newest first, up to
    ``limit + 1`` each), with the cursor of the next (None on the last)."""
    tagged = [[row | {"service": service} for row in rows] for service, rows in pages.items()]
    shown = list(heapq.merge(*tagged, key=lambda row: datetime.fromisoformat(row["at"]), reverse=True))[
        :limit
    ]
    after = {service: DONE if service not in pages else before[service] for service in SERVICES}
    for row in shown:
        after[row["service"]] = row["id"]
    for service, rows in pages.items():
        taken = sum(1 for row in shown if row["service"] == service)
        if taken == len(rows) and len(rows) <= limit:
            after[service] = DONE  # all it had was shown
    more = any(value != DONE for value in after.values())
    next_cursor = CURSOR.write(*(after[service] for service in SERVICES)) if more else None
    return {"items": shown, "next_cursor": next_cursor}
