"""Topics and restitution handle a registration event in one statement with its inbox row
(``kit.inbox.once``), on the real database: a redelivery changes nothing, the forum's copy is written
only when what the event carries differs, and every copy still only moves forward."""

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from kit import people
from kit.db import connect
from kit.migrations import migrate
from services.restitution import facts
from services.restitution.service import MIGRATIONS as RESTITUTION
from services.topics import people as topics_people
from services.topics.service import MIGRATIONS as TOPICS

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
SERVICES = {
    "topics": (TOPICS, topics_people.registrant),
    "restitution": (RESTITUTION, facts.registration),
}


@pytest.fixture(params=sorted(SERVICES))
def service(request, database_url):
    schema = request.param
    migrations, handle = SERVICES[schema]
    migrate(database_url, schema, migrations)
    with connect(database_url, schema) as conn, conn.cursor() as cursor:
        yield cursor, handle
        conn.rollback()


def a_forum(**changes):
    return {
        "id": uuid.uuid4(),
        "title": "Forum",
        "starts_at": T0 + timedelta(days=30),
        "ends_at": T0 + timedelta(days=30, hours=8),
        "timezone": "Europe/Paris",
        "status": "open",
    } | changes


def event(the_forum, at, person=None, group="citizen", event_type="registration_confirmed"):
    person = person or {"person_id": uuid.uuid4(), "token_version": 0}
    envelope = {"id": uuid.uuid4(), "type": event_type, "time": at}
    data = {"registration_id": uuid.uuid4(), "forum": the_forum, "person": person, "stakeholder_group": group}
    return envelope, data


def forum_row(cur, forum_id):
    return cur.execute("SELECT xmin::text AS version, title, status, as_of FROM forums WHERE id = %s",
                       (forum_id,)).fetchone()  # fmt: skip


def person_row(cur, person_id):
    return cur.execute(
        "SELECT xmin::text AS version, token_version, verified, stakeholder_group FROM people"
        " WHERE person_id = %s",
        (person_id,),
    ).fetchone()


def test_a_redelivered_registration_changes_nothing(service):
    cur, handle = service
    the_forum = a_forum()
    envelope, data = event(the_forum, T0)
    assert handle(cur, envelope, data)
    assert cur.execute("SELECT count(*) AS n FROM inbox WHERE event_id = %s", (envelope["id"],)).fetchone()[
        "n"
    ]
    before = forum_row(cur, the_forum["id"]), person_row(cur, data["person"]["person_id"])
    # The same event again, even carrying something else: nothing of it is applied.
    again = data | {"forum": the_forum | {"title": "Other"}, "stakeholder_group": "company"}
    assert not handle(cur, envelope, again)
    assert (forum_row(cur, the_forum["id"]), person_row(cur, data["person"]["person_id"])) == before
    assert person_row(cur, data["person"]["person_id"])["verified"]


def test_the_forum_copy_is_written_only_when_it_differs_and_only_moves_forward(service):
    cur, handle = service
    the_forum = a_forum()
    assert handle(cur, *event(the_forum, T0))
    first = forum_row(cur, the_forum["id"])
    assert handle(cur, *event(the_forum, T0 + timedelta(minutes=1)))
    assert forum_row(cur, the_forum["id"]) == first  # the same copy: not written again
    renamed = the_forum | {"title": "Renamed"}
    assert handle(cur, *event(renamed, T0 + timedelta(minutes=3)))
    assert forum_row(cur, the_forum["id"])["title"] == "Renamed"
    assert handle(cur, *event(the_forum, T0 + timedelta(minutes=2)))  # older: its copy loses
    assert forum_row(cur, the_forum["id"])["title"] == "Renamed"
    cancelled = renamed | {"status": "cancelled"}
    assert handle(cur, *event(cancelled, T0 + timedelta(minutes=4), event_type="registration_cancelled"))
    assert handle(cur, *event(renamed, T0 + timedelta(minutes=5)))  # a final status sticks
    assert forum_row(cur, the_forum["id"])["status"] == "cancelled"


def test_what_a_registration_tells_of_the_person_moves_forward_and_nothing_of_the_erased(service):
    cur, handle = service
    the_forum = a_forum()
    person = {"person_id": uuid.uuid4(), "token_version": 2}
    assert handle(cur, *event(the_forum, T0 + timedelta(minutes=2), person, "company"))
    assert handle(cur, *event(the_forum, T0 + timedelta(minutes=1), person | {"token_version": 1}, "citizen"))
    row = person_row(cur, person["person_id"])
    assert (row["token_version"], row["verified"], row["stakeholder_group"]) == (2, True, "company")
    people.subscriber(cur, person)  # nothing new: the row is not written again
    assert person_row(cur, person["person_id"])["version"] == row["version"]
    people.erase(cur, person["person_id"])
    assert handle(cur, *event(the_forum, T0 + timedelta(minutes=3), person | {"token_version": 3}, "other"))
    row = person_row(cur, person["person_id"])
    assert (row["token_version"], row["stakeholder_group"]) == (2, None)


def test_alone_on_its_connection_the_statement_is_its_own_transaction(database_url):
    """First on its connection, ``kit.inbox.once`` commits by itself (one round trip, no BEGIN/COMMIT) and
    leaves the connection as it found it; after other statements it joins their transaction."""
    migrate(database_url, "topics", TOPICS)
    with connect(database_url, "topics") as conn, connect(database_url, "topics") as other:
        envelope, data = event(a_forum(), T0)
        with conn.cursor() as cur:
            assert topics_people.registrant(cur, envelope, data)
            assert not conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        seen = "SELECT count(*) AS n FROM inbox WHERE event_id = %s"
        assert other.execute(seen, (envelope["id"],)).fetchone()["n"] == 1  # committed
        other.rollback()
        envelope, data = event(a_forum(), T0)
        with conn.cursor() as cur:
            cur.execute("SELECT 1")  # a transaction under way: the statement joins it
            assert topics_people.registrant(cur, envelope, data)
            conn.rollback()
        assert other.execute(seen, (envelope["id"],)).fetchone()["n"] == 0
