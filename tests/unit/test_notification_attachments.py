"""The files sent with a booked seat: the calendar invitation (.ics) and the attendee code as a QR code."""

import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import segno

from services.notification.invitation import invitation, sequence, uid
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


def test_the_qr_code_is_a_png_of_exactly_the_attendee_code():
    png = qr_png("K7P2QX")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    expected = io.BytesIO()
    segno.make("K7P2QX", error="m", micro=False).save(expected, kind="png", scale=8, border=4)
    assert png == expected.getvalue()
    assert png != qr_png("K7P2QY")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == height >= 8 * (21 + 2 * 4)  # a version-1 code at least, 8 px a module, quiet zone
