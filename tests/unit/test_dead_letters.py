"""What a dead letter's row says, read from the message alone, and which bodies name an erased person."""

import hashlib
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from kit import dead_letters

QUEUE = "evt-registration-forum_held--notification.handle_forum_held"


def message(body, headers=None, delivery_info=None):
    return SimpleNamespace(
        body=body, headers=headers or {}, delivery_info=delivery_info or {}, content_type="application/json"
    )


class Cursor:
    """Keeps what would have been written."""

    rowcount = 1

    def execute(self, sql, params):
        self.params = params


def test_an_erased_persons_address_is_found_in_any_case_even_where_json_escapes_it():
    person_id = uuid.uuid4()
    body = json.dumps(
        {"data": {"person": {"email": "Élise.Martin@Example.org", "id": str(person_id).upper()}}}
    )
    assert "élise" not in body.casefold()  # the raw text has \u00c9 where the address has É
    assert dead_letters.mentions(body, ["élise.martin@example.org"])
    assert dead_letters.mentions(body, [str(person_id)])
    assert dead_letters.mentions("not json: Lou <LOU@example.org>", ["lou@example.org"])
    assert not dead_letters.mentions(body, ["martin@example.org.uk", str(uuid.uuid4())])


def test_what_a_body_says_of_itself_is_kept_only_when_it_is_plain():
    raw = b'{"id": 5, "type": ["x"], "source": true, "data": "Lou\\u0000"}'
    row = dead_letters.as_row(message(raw), QUEUE, "rejected")
    assert (row["event_id"], row["event_type"], row["source"]) == ("5", None, None)
    assert row["body"] == raw.decode() and row["fingerprint"] == hashlib.sha256(raw).hexdigest()
    with_nul = dead_letters.as_row(message(b'{"data": "Lou\x00"}'), QUEUE, "rejected")
    assert with_nul["body"] == '{"data": "Lou\\u0000"}'  # PostgreSQL text cannot hold a NUL
    unreadable = dead_letters.as_row(message(b"\xff not json"), QUEUE, "rejected")
    assert unreadable["event_id"] is None and unreadable["body"] == "\\xff not json"


def test_an_invalid_event_is_recorded_with_its_errors_and_its_attempts():
    cur = Cursor()
    info = {"exchange": "registration.events", "routing_key": "forum_held"}
    errors = {"forum": {"title": ["Missing data for required field."]}}
    dead_letters.record_invalid(cur, message(b"{}", {"x-delivery-count": 2}, info), QUEUE, errors)
    assert (cur.params["reason"], cur.params["attempts"], json.loads(cur.params["errors"])) == (
        "invalid", 3, errors,
    )  # fmt: skip
    assert (cur.params["exchange"], cur.params["routing_key"]) == ("registration.events", "forum_held")


def test_the_brokers_newest_death_in_this_queue_says_why_and_when():
    replayed = {"queue": "elsewhere", "reason": "expired", "time": datetime(2027, 1, 1)}
    death = {"queue": QUEUE, "reason": "delivery_limit", "time": datetime(2027, 5, 4, 7, 30)}
    death |= {"exchange": "registration.events", "routing-keys": ["forum_held"], "count": 1}
    headers = {"x-death": [replayed, death], "x-first-death-reason": "expired"}
    cur = Cursor()
    dead_letters.record_dead(cur, message(b"{}", headers), QUEUE, delivery_limit=8)
    assert (cur.params["reason"], cur.params["attempts"], cur.params["errors"]) == ("delivery_limit", 9, None)
    assert cur.params["dead_at"] == datetime(2027, 5, 4, 7, 30, tzinfo=UTC)
    assert (cur.params["exchange"], cur.params["routing_key"]) == ("registration.events", "forum_held")
    dead_letters.record_dead(cur, message(b"{}", {"x-first-death-reason": "rejected"}), QUEUE, 8)
    assert (cur.params["reason"], cur.params["attempts"], cur.params["dead_at"]) == ("rejected", None, None)
