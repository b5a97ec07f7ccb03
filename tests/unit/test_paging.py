import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kit import paging


def test_a_cursor_reads_back_its_values_and_only_its_own_listing_takes_it():
    key, moment = uuid.uuid4(), datetime(2027, 3, 1, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    cursor = paging.FORUMS.write(moment, key)
    assert paging.FORUMS.read(cursor) == [moment, key]
    assert paging.DELIVERIES.read(paging.DELIVERIES.write(42)) == [42]
    for other in (paging.REGISTRATIONS, paging.DELIVERIES, paging.DEAD_LETTERS):
        with pytest.raises(paging.InvalidCursor):
            other.read(cursor)


def test_every_value_of_the_documented_shape_reads_to_values_the_database_takes():
    """The document's pattern is all a client (or a fuzzer) knows: anything it allows must read."""
    for extreme in ("0", "9" * 17):
        (moment, key) = paging.FORUMS.read(f"forums.{extreme}.{'f' * 32}")
        assert datetime(1, 1, 1, tzinfo=UTC) <= moment < datetime(3170, 1, 1, tzinfo=UTC)
    assert paging.DEAD_LETTERS.read("dead-letters." + "9" * 18) == [10**18 - 1]  # < 2**63


@pytest.mark.parametrize(
    "forged",
    [
        "forums.2027-13-45T99:99:99.00000000000000000000000000000000",  # an invalid datetime
        "forums.1.2.3",
        "forums." + "9" * 18 + "." + "0" * 32,  # beyond what a datetime holds
        "dead-letters." + "9" * 19,  # beyond a bigint
        "dead-letters.²",  # "²".isdigit() is true
        "dead-letters.-1",
        "dead-letters. 1",
        "dead-letters.1\n",
        "ZGVhZC1sZXR0ZXI6Mw==",  # the old base64 shape
        "",
        None,
    ],
)
def test_a_forged_cursor_is_refused_before_any_query(forged):
    for listing in (paging.FORUMS, paging.DEAD_LETTERS):
        with pytest.raises(paging.InvalidCursor):
            listing.read(forged)
