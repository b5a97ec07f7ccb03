"""The calendar invitation (.ics) sent with a booked seat, and again when the forum's date or venue moves.

One event per registration: its UID is derived from the registration id, so every later copy (a
promotion, a change of date) replaces the earlier one in the person's calendar; SEQUENCE grows with the
time of the event that produced the copy. Times carry the forum's time zone (TZID) with a VTIMEZONE that
covers them. METHOD:PUBLISH, as the platform does not collect replies. The bytes depend only on the
inputs, so the same event always produces the same file.
"""

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
