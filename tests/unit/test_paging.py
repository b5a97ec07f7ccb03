import uuid

import pytest

from kit import paging


class Invalid(Exception):
    pass


def test_a_cursor_reads_back_its_parts_by_kind_and_its_label_must_match():
    key = uuid.uuid4()
    cursor = paging.cursor("delivery", 42, key)
    assert paging.read(cursor, "delivery", int, uuid.UUID, invalid=Invalid) == [42, key]
    for kinds in (("dead-letter", int, uuid.UUID), ("delivery", int), ("delivery", int, int)):
        with pytest.raises(Invalid):
            paging.read(cursor, *kinds, invalid=Invalid)
    for garbage in ("not base64!", "////", paging.cursor("délivery", "x")):
        with pytest.raises(Invalid):
            paging.read(garbage, "delivery", int, invalid=Invalid)
