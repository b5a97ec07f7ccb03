"""An erased person: out of the delivery log and the roster, and never written to again."""

import time

from harness.testing import wait_until
from services.notification.deliveries import ERASED_BEFORE_SENDING
from services.registration.events import catalog

from .test_notification_emails import forum_block, handled, mail_to, query, registration, someone


def rows_of(config, *envelopes):
    rows = query(config, "SELECT * FROM deliveries WHERE event_id = ANY(%s)", [e["id"] for e in envelopes])
    return {str(row["event_id"]): row for row in rows}


def test_erasure_purges_the_log_and_the_roster_and_a_pending_message_is_never_sent(
    notification, publish, smtp_sink, service_config
):
    forum, person = forum_block(), someone("fr", email=f"Erased.{time.time_ns()}@Example.org")
    sent = registration("registration_confirmed", forum, person, attendee_code="E1")
    publish(sent)
    mail_to(smtp_sink, person["email"])
    wait_until(lambda: rows_of(service_config, sent)[sent["id"]]["status"] == "sent", message="marked sent")

    smtp_sink.stop()  # the next message waits in the log
    pending = registration("registration_waitlisted", forum_block(), person, waitlist_position=3)
    late = registration(  # an event older than the erasure, still on its way on another queue
        "registration_cancelled",
        forum,
        person,
        sent["data"]["registration_id"],
        cancelled_by="person",
        previous_status="confirmed",
    )
    publish(pending)
    wait_until(lambda: rows_of(service_config, pending), message="the pending message to be logged")
    erased = catalog.envelope(
        "person_erased",
        {"person_id": person["person_id"], "email": person["email"].lower(), "erased_by": "person"},
    )
    publish(erased)
    handled(service_config, erased)
    publish(late)
    handled(service_config, late)

    rows = rows_of(service_config, sent, pending, late)
    kept = rows[sent["id"]]
    assert (kept["status"], kept["template"]) == ("sent", "registration_confirmed")
    assert str(kept["forum_id"]) == str(forum["id"])  # counts by forum stay right
    for row in rows.values():
        assert person["email"].lower() not in row["recipient"].lower()
        assert (row["recipient_name"], row["subject"], row["body_text"], row["body_html"]) == ("", "", "", "")
        assert row["attachments"] is None and row["person_id"] is None
    waiting = rows.get(pending["id"])
    # Waiting between attempts it is failed, with the reason; caught in the sender's hands it is deleted.
    assert waiting is None or (waiting["status"], waiting["last_error"]) == ("failed", ERASED_BEFORE_SENDING)
    assert late["id"] not in rows  # nothing written from an event older than the erasure
    leftovers = "SELECT count(*) FROM deliveries WHERE lower(recipient) = lower(%s) OR body_text LIKE %s"
    assert query(service_config, leftovers, person["email"], f"%{person['last_name']}%")[0]["count"] == 0
    roster = "SELECT count(*) FROM roster_registrants WHERE lower(email) = lower(%s) OR person_id = %s"
    assert query(service_config, roster, person["email"], person["person_id"])[0]["count"] == 0

    smtp_sink.start()
    other = someone("en")
    publish(registration("registration_confirmed", forum_block(), other))
    mail_to(smtp_sink, other["email"])
    time.sleep(2)  # longer than the retry delay (capped at 1 s here): a pending message would be out
    assert len(mail_to(smtp_sink, person["email"])) == 1
    assert len(smtp_sink.messages()) == 2


def test_a_person_who_comes_back_after_erasure_is_written_to_again(
    notification, publish, smtp_sink, service_config
):
    person = someone("en")
    erased = catalog.envelope(
        "person_erased",
        {"person_id": person["person_id"], "email": person["email"], "erased_by": "organiser"},
    )
    publish(erased)
    handled(service_config, erased)
    again = someone("en", email=person["email"].upper())  # a new person record, the same address
    publish(registration("registration_confirmed", forum_block(), again))
    assert len(mail_to(smtp_sink, person["email"])) == 1
