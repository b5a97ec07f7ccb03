"""The files sent with a booked seat: the calendar invitation (.ics) and the attendee code as a QR code."""

import io
import random
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import segno

from services.notification import qr
from services.notification.invitation import built, invitation, sequence, uid
from services.notification.qr import qr_png

REGISTRATION = uuid.UUID("3b1f7c52-8d1e-4a43-9c3e-5d5e0f6a7b80")
AS_OF = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def forum(timezone="Europe/Paris", title="Forum de mai"):
    starts = datetime(2027, 5, 4, 7, 30, tzinfo=UTC)
    return {
        "title": title,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=8),
        "timezone": timezone,
        "venue": {"name": "Bercy", "address": "139 rue de Bercy", "city": "Paris", "accessibility": ""},
    }


def parsed(raw):
    calendar = icalendar.Calendar.from_ical(raw)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_the_invitation_gives_the_right_instants_in_the_forums_time_zone():
    calendar, event = parsed(invitation(forum(), REGISTRATION, AS_OF))
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime(2027, 5, 4, 7, 30, tzinfo=UTC) and end == datetime(
        2027, 5, 4, 15, 30, tzinfo=UTC
    )
    assert (
        event["DTSTART"].params["TZID"] == "Europe/Paris" and event["DTEND"].params["TZID"] == "Europe/Paris"
    )
    assert start.replace(tzinfo=None) == datetime(2027, 5, 4, 9, 30)  # wall-clock time in Paris
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Paris"
    assert zone.to_tz().utcoffset(datetime(2027, 5, 4, 9, 30)) == timedelta(hours=2)


def test_the_invitation_names_the_forum_and_its_place():
    _, event = parsed(invitation(forum(title="Forum ; de, mai\r\nX"), REGISTRATION, AS_OF))
    assert str(event["SUMMARY"]) == "Forum ; de, mai X"
    assert str(event["LOCATION"]) == "Bercy, 139 rue de Bercy, Paris"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_uid_is_stable_per_registration_and_later_copies_have_a_higher_sequence():
    first = invitation(forum(), REGISTRATION, AS_OF)
    assert first == invitation(forum(), REGISTRATION, AS_OF)  # the same inputs, the same bytes
    moved = forum() | {"starts_at": datetime(2027, 5, 11, 7, 30, tzinfo=UTC)}
    _, before = parsed(first)
    _, after = parsed(invitation(moved, REGISTRATION, AS_OF + timedelta(seconds=1)))
    assert str(before["UID"]) == str(after["UID"]) == uid(REGISTRATION)
    assert after["SEQUENCE"] > before["SEQUENCE"] == sequence(AS_OF)
    _, other = parsed(invitation(forum(), uuid.uuid4(), AS_OF))
    assert str(other["UID"]) != str(before["UID"])


@pytest.mark.parametrize("timezone", ["America/New_York", "Pacific/Noumea", "UTC"])
def test_other_time_zones_give_the_same_instants(timezone):
    calendar, event = parsed(invitation(forum(timezone), REGISTRATION, AS_OF))
    assert event.decoded("DTSTART") == datetime(2027, 5, 4, 7, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 5, 4, 15, 30, tzinfo=UTC)
    assert event.decoded("DTSTART").utcoffset() == datetime(2027, 5, 4, tzinfo=ZoneInfo(timezone)).utcoffset()
    if timezone != "UTC":
        assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == [timezone]


def png_pixels(png):
    """(width, height, rows of 0/1 pixels) of a 1-bit greyscale PNG, whatever its row filters."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    at, data = 8, b""
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (1, 0)
        elif kind == b"IDAT":
            data += body
        at += 12 + length
    raw, stride, previous, rows = zlib.decompress(data), (width + 7) // 8 + 1, bytes((width + 7) // 8), []
    for y in range(height):
        kind, line = raw[y * stride], bytearray(raw[y * stride + 1 : (y + 1) * stride])
        if kind == 1:  # Sub
            for x in range(1, len(line)):
                line[x] = (line[x] + line[x - 1]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        else:
            assert kind == 0, kind
        previous = bytes(line)
        bits = int.from_bytes(line, "big")
        rows.append([(bits >> (len(line) * 8 - 1 - x)) & 1 for x in range(width)])
    return width, height, rows


def segno_png(code):
    expected = io.BytesIO()
    segno.make(code, error="m", micro=False).save(expected, kind="png", scale=8, border=4)
    return expected.getvalue()


@pytest.mark.parametrize("code", ["K7P2QX", "ABCDEFGH", "23456789", "https://example.org/a?b=c", "é" * 40])
def test_the_qr_code_is_a_png_of_exactly_segnos_symbol_of_the_attendee_code(code):
    png = qr_png(code)
    assert png_pixels(png) == png_pixels(segno_png(code))  # pixel for pixel, black on white
    assert png == qr_png(code)
    width, height, _ = png_pixels(png)
    assert width == height >= 8 * (21 + 2 * 4)  # a version-1 code at least, 8 px a module, quiet zone


def test_the_mask_is_the_one_segno_chooses_for_any_attendee_code():
    generator = random.Random(13)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as registration makes them
    codes = ["".join(generator.choice(alphabet) for _ in range(8)) for _ in range(400)]
    codes += [
        "".join(generator.choice(alphabet) for _ in range(generator.randrange(1, 120))) for _ in range(40)
    ]
    for code in codes:
        expected = segno.make(code, error="m", micro=False).matrix
        assert list(qr.rows(code)) == [int(bytes(row).translate(qr.DIGITS), 2) for row in expected], code
    assert qr_png("K7P2QX") != qr_png("K7P2QY")


@pytest.mark.parametrize("timezone", ["Europe/Paris", "UTC", "America/New_York", "Pacific/Noumea"])
def test_the_invitation_is_what_icalendar_writes_for_the_whole_file(timezone):
    generator = random.Random(timezone)
    for _ in range(30):
        starts = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=generator.randrange(3 * 365 * 24 * 60))
        shown_in = ZoneInfo(generator.choice(["Europe/Paris", "Asia/Kolkata", "UTC"]))
        the_forum = forum(
            timezone, generator.choice(["Forum", "Forum, données; \\ " * generator.randrange(1, 9)])
        )
        the_forum |= {"starts_at": starts.astimezone(shown_in), "ends_at": starts + timedelta(hours=7)}
        registration = uuid.UUID(int=generator.getrandbits(128))
        as_of = AS_OF + timedelta(seconds=generator.randrange(10**8), microseconds=generator.randrange(10**6))
        assert invitation(the_forum, registration, as_of) == built(the_forum, registration, as_of)


def test_the_penalty_is_segnos_score_of_any_matrix():
    """``qr.penalty`` (rules N1-N4 on whole rows) against segno's own ``mask_scores``, on random
    matrices of several sizes, with long runs and blocks drawn in."""
    from segno import encoder

    generator = random.Random(5)
    for n in range(300):
        size = generator.choice([21, 25, 29, 45])
        density = generator.random()
        matrix = [bytearray(generator.random() < density for _ in range(size)) for _ in range(size)]
        for _ in range(5 if n % 2 else 0):
            i, j, value = generator.randrange(size), generator.randrange(size), generator.randrange(2)
            for k in range(generator.randrange(3, 12)):
                if j + k < size:
                    matrix[i][j + k] = value
                if i + k < size:
                    matrix[i + k][j] = value
        rows = [int(bytes(row).translate(qr.DIGITS), 2) for row in matrix]
        assert qr.penalty(rows, size) == sum(encoder.mask_scores(matrix, size, size))
