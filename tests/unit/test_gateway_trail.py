"""The audit trail merged from the services' own trails: newest first, each row once, page after page."""

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from gateway import trail

START = datetime(2027, 1, 1, tzinfo=UTC)


def rows(*minutes):
    """A service's trail, newest first: ids grow with time."""
    return [{"id": i + 1, "at": (START + timedelta(minutes=m)).isoformat()} for i, m in enumerate(minutes)][
        ::-1
    ]


TRAILS = {
    "registration": rows(0, 2, 4, 5, 9),
    "notification": rows(1, 3, 6, 7),
    "topics": rows(2, 8),  # at the same minute as one of registration's
    "restitution": [],  # nothing done there yet
}


def older(rows, before, limit):
    """What a service answers: rows below ``before`` (all when None), at most ``limit``."""
    return [row for row in rows if before is None or row["id"] < before][:limit]


def walk(limit, services=trail.SERVICES):
    shown, cursor = [], None
    while True:
        before = trail.positions(cursor)
        pages = {s: older(TRAILS[s], before[s], limit + 1) for s in services if before[s] != trail.DONE}
        page = trail.merge(pages, limit, before)
        assert len(page["items"]) <= limit
        shown += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return shown


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_every_row_is_shown_once_newest_first(limit):
    shown = walk(limit)
    assert [row["at"] for row in shown] == sorted((row["at"] for row in shown), reverse=True)
    assert sorted((row["service"], row["id"]) for row in shown) == sorted(
        (service, row["id"]) for service, rows in TRAILS.items() for row in rows
    )


def test_one_service_only():
    assert {row["service"] for row in walk(2, ["notification"])} == {"notification"}
    assert len(walk(2, ["notification"])) == len(TRAILS["notification"])


@pytest.mark.parametrize(
    "cursor", ["nonsense", "audit.1", "deliveries.1.2.3.4", "audit.x.2.3.4", "audit.1.2.3", "audit.1.2.3.4.5"]
)
def test_a_cursor_not_of_this_listing_is_a_400_on_the_cursor(cursor):
    with pytest.raises(ValidationError) as refused:
        trail.positions(cursor)
    assert set(refused.value.messages) == {"cursor"}
