"""The roster on the real database: whatever order the events arrive in, the newest state wins."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from kit.db import connect
from kit.migrations import migrate
from services.notification import roster, store
from services.notification.service import MIGRATIONS

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def cur(database_url):
    migrate(database_url, "notification", MIGRATIONS)
    with connect(database_url, "notification") as conn, conn.cursor() as cursor:
        yield cursor
        conn.rollback()


def forum(**changes):
    venue = {"name": "Bercy", "address": "1 rue", "city": "Paris", "accessibility": ""}
    return {
        "id": uuid.uuid4(),
        "title": "Forum",
        "starts_at": T0 + timedelta(days=30),
        "ends_at": T0 + timedelta(days=30, hours=8),
        "timezone": "Europe/Paris",
        "venue": venue,
        "status": "open",
    } | changes


def registrant(the_forum, registration_id, email="a@example.org"):
    person = {"person_id": None, "email": email, "first_name": "A", "last_name": "B", "locale": "fr"}
    return {"registration_id": registration_id, "forum": the_forum, "person": person}


@pytest.mark.parametrize(
    "order", list(itertools.permutations([("waitlisted", 1), ("confirmed", 2), ("cancelled", 3)]))
)
def test_a_registration_only_moves_forward_whatever_the_order(cur, order):
    the_forum, registration_id = forum(), uuid.uuid4()
    applied = []
    for status, minutes in order:
        applied.append(
            roster.keep_registrant(
                cur, registrant(the_forum, registration_id), status, T0 + timedelta(minutes=minutes)
            )
        )
    cur.execute("SELECT status FROM roster_registrants WHERE registration_id = %s", (registration_id,))
    assert cur.fetchone()["status"] == "cancelled"
    # Each event applies only if nothing newer came before it: the first always, a later one if newer.
    newest = 0
    for (_, minutes), was_applied in zip(order, applied, strict=True):
        assert was_applied == (minutes > newest)
        newest = max(newest, minutes)


def test_an_older_waitlisting_never_overwrites_a_promotion_even_with_a_later_clock(cur):
    the_forum, registration_id = forum(), uuid.uuid4()
    assert roster.keep_registrant(cur, registrant(the_forum, registration_id), "confirmed", T0)
    late = T0 + timedelta(seconds=5)  # a replica's clock slightly ahead: the status order still wins
    assert not roster.keep_registrant(cur, registrant(the_forum, registration_id), "waitlisted", late)


def test_the_forum_copy_keeps_the_newest_and_a_final_status_sticks(cur):
    the_forum = forum()
    assert roster.keep_forum(cur, the_forum, "open", T0).as_of == T0
    newer = the_forum | {"title": "Forum renamed"}
    assert roster.keep_forum(cur, newer, "open", T0 + timedelta(minutes=2)).forum["title"] == "Forum renamed"
    stale = roster.keep_forum(cur, the_forum | {"title": "Old"}, "open", T0 + timedelta(minutes=1))
    assert (stale.forum["title"], stale.as_of) == ("Forum renamed", T0 + timedelta(minutes=2))
    assert stale.forum["starts_at"] == the_forum["starts_at"]  # read back as datetimes
    roster.keep_forum(cur, newer, "cancelled", T0 + timedelta(minutes=3))
    reopened = roster.keep_forum(cur, newer, "open", T0 + timedelta(minutes=4))
    assert reopened.status == "cancelled"


def test_registrants_to_tell_are_the_active_ones_known_before_the_change(cur):
    the_forum = forum()
    for minutes, status, email in [(1, "confirmed", "a@x.org"), (2, "waitlisted", "b@x.org"),
                                   (3, "cancelled", "c@x.org"), (9, "confirmed", "d@x.org")]:  # fmt: skip
        roster.keep_registrant(
            cur, registrant(the_forum, uuid.uuid4(), email), status, T0 + timedelta(minutes=minutes)
        )
    told = store.roster.registrants_to_tell(cur, the_forum["id"], T0 + timedelta(minutes=5), batch=1)
    assert sorted(r["email"] for r in told) == ["a@x.org", "b@x.org"]


def test_erasure_is_recognised_for_older_events_only(cur):
    person = {"person_id": uuid.uuid4(), "email": "Someone@Example.org"}
    roster.forget(cur, person["person_id"], "someone@example.org", T0)
    assert roster.erased(cur, {"email": "SOMEONE@example.org"}, T0 - timedelta(seconds=1))
    assert roster.erased(
        cur, {"email": "other@example.org", "person_id": person["person_id"]}, T0 - timedelta(1)
    )
    assert not roster.erased(cur, {"email": "someone@example.org"}, T0 + timedelta(seconds=1))


def written(cur, forum_id):
    """The forum row's version (xmin): it changes whenever the row is written."""
    return cur.execute("SELECT xmin::text AS v FROM roster_forums WHERE id = %s", (forum_id,)).fetchone()["v"]


def registration_event(cur, the_forum, status, at, registration_id=None):
    data = registrant(the_forum, registration_id or uuid.uuid4())
    assert not roster.registration_gate(cur, data, at)
    return roster.keep_registration(cur, data, the_forum["status"], status, at)


def test_a_registration_writes_the_forum_copy_only_when_what_it_carries_differs(cur):
    the_forum = forum()
    copy, kept = registration_event(cur, the_forum, "confirmed", T0)  # the first news of the forum
    assert kept and copy == (the_forum, "open", T0)
    cur.execute("SAVEPOINT before")
    version = written(cur, the_forum["id"])
    copy, kept = registration_event(cur, the_forum, "confirmed", T0 + timedelta(minutes=1))
    assert kept and copy == (the_forum, "open", T0 + timedelta(minutes=1))  # the event's own time
    assert written(cur, the_forum["id"]) == version  # not written again
    # An older event carrying the same copy speaks of it as of the newest time known.
    copy, _ = registration_event(cur, the_forum, "confirmed", T0 - timedelta(minutes=1))
    assert copy.as_of == T0
    # What differs is written, newest first, as a forum event would.
    renamed = the_forum | {"title": "Renamed"}
    copy, _ = registration_event(cur, renamed, "confirmed", T0 + timedelta(minutes=2))
    assert copy.forum["title"] == "Renamed" and written(cur, the_forum["id"]) != version
    copy, kept = registration_event(cur, the_forum, "waitlisted", T0 + timedelta(minutes=1, seconds=30))
    assert kept and (copy.forum["title"], copy.as_of) == ("Renamed", T0 + timedelta(minutes=2))


def test_a_forum_event_between_two_identical_copies_is_not_undone_by_an_older_one(cur):
    """X at 1, Y at 2, X again at 3 (a change and its reversal), arriving 1, 3, then the registrations,
    then 2 late: the copy ends as X, the forum's content from its newest forum event on."""
    x = forum()
    y = x | {"title": "Y"}
    roster.keep_forum(cur, x, "open", T0 + timedelta(minutes=1))  # forum_scheduled
    roster.keep_forum(cur, x, "open", T0 + timedelta(minutes=3))  # forum_updated back to X
    registration_event(cur, x, "confirmed", T0 + timedelta(minutes=4))  # not written
    assert roster.keep_forum(cur, y, "open", T0 + timedelta(minutes=2)).forum["title"] == "Forum"
    copy, _ = registration_event(cur, x, "confirmed", T0 + timedelta(minutes=5))
    assert copy.forum["title"] == "Forum"


def test_a_registration_waits_for_a_change_of_the_forum_under_way(database_url, cur):
    """The forum's lock: a registration handled while a forum event is handled waits for its commit, so
    it either speaks of the new copy or was there to be told of the change; registrations do not wait
    for one another."""
    the_forum = forum()
    data = registrant(the_forum, uuid.uuid4())
    with (
        connect(database_url, "notification") as change,
        connect(database_url, "notification") as other,
        other.cursor() as registering,
    ):
        registering.execute("SET lock_timeout = '200ms'")
        roster.registration_gate(cur, data, T0)  # a registration under way does not stop another
        roster.registration_gate(registering, data, T0)
        other.rollback()
        cur.connection.rollback()
        roster.keep_forum(change.cursor(), the_forum | {"title": "Moved"}, "open", T0 + timedelta(minutes=1))
        registering.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            roster.registration_gate(registering, data, T0 + timedelta(minutes=2))
        other.rollback()
        change.rollback()
        registering.execute("SET lock_timeout = '200ms'")
        assert not roster.registration_gate(registering, data, T0 + timedelta(minutes=2))
        other.rollback()
