"""The roster on the real database: whatever order the events arrive in, the newest state wins."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta

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
