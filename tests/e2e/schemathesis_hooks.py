"""schemathesis hooks for ``test_schemathesis``: the rules between fields of a forum that the document
states in words (JSON Schema cannot compare two fields: ends_at after starts_at, registration_closes_at
after registration_opens_at, no more seats in quotas than the capacity). A request that schemathesis
means as valid is made to keep them; one it means as invalid is left as it is."""

from datetime import datetime, timedelta

import schemathesis

FORUM_BODIES = {("POST", "/api/v1/forums"), ("PATCH", "/api/v1/forums/{forum_id}")}
SECOND = timedelta(seconds=1)
LAST_YEAR = 2999  # of the documented pattern of a moment


def moment(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def written(value):
    return value.isoformat()


def after(body, first, then):
    """``body[then]`` after ``body[first]`` when both are given: swapped, or one second apart."""
    if not (isinstance(body.get(first), str) and isinstance(body.get(then), str)):
        return
    start, end = moment(body[first]), moment(body[then])
    if end < start:
        body[first], body[then] = body[then], body[first]
    elif end == start:
        later = end + SECOND
        if later.year <= LAST_YEAR:
            body[then] = written(later)
        else:
            body[first] = written(start - SECOND)


def number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def within_capacity(body):
    quotas, capacity = body.get("quotas"), body.get("capacity")
    if not (isinstance(quotas, dict) and number(capacity) and all(map(number, quotas.values()))):
        return
    if sum(quotas.values()) > capacity:
        body["capacity"] = min(100_000, int(sum(quotas.values())))
        if sum(quotas.values()) > body["capacity"]:
            body["quotas"] = {}


@schemathesis.hook
def before_call(context, case, kwargs):
    """Before each request of every phase (the stateful one included); a case schemathesis means as
    invalid (negative mode) is sent as it was drawn."""
    meta = case.meta
    negative = meta is not None and not meta.generation.mode.is_positive
    if negative or (case.method.upper(), case.path) not in FORUM_BODIES or not isinstance(case.body, dict):
        return
    after(case.body, "starts_at", "ends_at")
    after(case.body, "registration_opens_at", "registration_closes_at")
    within_capacity(case.body)


OTHER_THINGS = {"urn:opendetat:problem:unknown-attendee-code", "urn:opendetat:problem:restitution-not-found"}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """schemathesis reads any 404 from a route under a forum it just created as the forum gone missing;
    a 404 that names another thing (the attendee code checked in; the forum's restitution, not published
    yet: as documented) is not that."""
    if type(failure).__name__ != "EnsureResourceAvailability":
        return True
    try:
        named = response.json().get("type", "")
    except ValueError:
        return True
    return named not in OTHER_THINGS
