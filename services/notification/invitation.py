"""The calendar invitation (.ics) sent with a booked seat, and again when the forum's date or venue moves.

One event per registration: its UID is derived from the registration id, so every later copy (a
promotion, a change of date) replaces the earlier one in the person's calendar; SEQUENCE grows with the
time of the event that produced the copy. Times carry the forum's time zone (TZID) with a VTIMEZONE that
covers them. METHOD:PUBLISH, as the platform does not collect replies. The bytes depend only on the
inputs, so the same event always produces the same file.

Only three lines depend on the registration (DTSTAMP, UID, SEQUENCE): the rest, the time zone's rules
above all, is the forum's, and is built by icalendar once per copy of the forum (``_around``, kept for
the last few copies); each registration's file is that with its three lines, byte for byte what
icalendar writes for the whole (``built``, which the tests compare it with).
"""

import functools
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

CONTENT_TYPE = 'text/calendar; charset="utf-8"; method=PUBLISH'
FILENAME = "invitation.ics"
SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def uid(registration_id):
    return f"registration-{registration_id}@opendetat"


def sequence(as_of):
    """Seconds since 2024: later copies get a larger number (and it fits RFC 5545's integer until 2092)."""
    return max(0, int((as_of - SEQUENCE_EPOCH).total_seconds()))


def location(venue):
    return ", ".join(" ".join(str(part).split()) for part in (venue["name"], venue["address"], venue["city"]))


def invitation(forum, registration_id, as_of):
    """The .ics bytes for ``forum`` as known at ``as_of`` (the time of the event that produced it)."""
    venue = forum["venue"]
    around = _around(
        forum["title"], forum["starts_at"], forum["ends_at"], forum["timezone"],
        venue["name"], venue["address"], venue["city"],
    )  # fmt: skip
    if around is None:
        return built(forum, registration_id, as_of)
    before, after = around
    return before + _own_lines(registration_id, as_of) + after


def _own_lines(registration_id, as_of):
    stamp = as_of.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"DTSTAMP:{stamp}\r\nUID:{uid(registration_id)}\r\nSEQUENCE:{sequence(as_of)}\r\n".encode()


SAMPLE_ID, SAMPLE_TIME = uuid.UUID(int=0), datetime(2024, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=32)
def _around(title, starts_at, ends_at, timezone, name, address, city):
    """What comes before and after a registration's own lines in the forum's file (None if icalendar
    does not write them together, as it does today: then each file is built whole)."""
    forum = {"title": title, "starts_at": starts_at, "ends_at": ends_at, "timezone": timezone}
    forum |= {"venue": {"name": name, "address": address, "city": city}}
    whole = built(forum, SAMPLE_ID, SAMPLE_TIME)
    own = _own_lines(SAMPLE_ID, SAMPLE_TIME)
    if whole.count(own) != 1 or not whole.split(own)[0].endswith(b"\r\n"):
        return None
    before, after = whole.split(own)
    return before, after


def built(forum, registration_id, as_of):
    """The .ics bytes as icalendar writes them, the whole file."""
    zone = ZoneInfo(forum["timezone"])
    starts, ends = forum["starts_at"].astimezone(zone), forum["ends_at"].astimezone(zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Open d'Etat//Forums//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid(registration_id))
    event.add("dtstamp", as_of.astimezone(UTC))
    event.add("sequence", sequence(as_of))
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", " ".join(forum["title"].split()))
    event.add("location", location(forum["venue"]))
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    if forum["timezone"] != "UTC":
        year = timedelta(days=366)
        calendar.add_missing_timezones(first_date=(starts - year).date(), last_date=(ends + year).date())
    return calendar.to_ical()
