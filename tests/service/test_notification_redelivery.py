"""Each event the service handles, delivered twice: one set of emails, and the queues all drained."""

import uuid
from datetime import timedelta

from kombu import Connection

from harness.testing import wait_until
from services.notification.service import NotificationService
from services.registration.events import catalog

from .test_notification_emails import STARTS, forum_block, handled, mail_to, query, registration, someone


def ready(config, event_type):
    """Messages waiting in the event type's queue (not counting one a worker holds)."""
    with Connection(config["AMQP_URI"]) as conn:
        queue = f"evt-registration-{event_type}--notification.handle_{event_type}"
        return conn.default_channel.queue_declare(queue, passive=True).message_count


def test_every_event_delivered_twice_sends_its_emails_once(
    container_factory, service_config, publish, smtp_sink
):
    container = container_factory(NotificationService, service_config | {"max_workers": 1})
    container.start()
    forum, seated = forum_block(), someone("en")
    publish(registration("registration_confirmed", forum, seated))
    mail_to(smtp_sink, seated["email"])

    people = [someone("fr") for _ in range(5)]
    moved = forum | {"starts_at": STARTS + timedelta(days=1), "ends_at": STARTS + timedelta(days=1, hours=8)}
    events = [
        catalog.envelope(
            "forum_updated",
            {
                "forum": moved,
                "changes": ["starts_at", "ends_at"],
                "previous": {"starts_at": STARTS.isoformat()},
            },
        ),
        registration("registration_waitlisted", forum_block(), people[0], waitlist_position=4),
        registration("registration_promoted", forum_block(), people[1], attendee_code="P1", reason="quota"),
        registration(
            "registration_cancelled",
            forum_block(),
            people[2],
            cancelled_by="organiser",
            previous_status="confirmed",
        ),
        catalog.envelope("subscription_requested", {"subscription_id": uuid.uuid4(), "person": people[3]}),
        catalog.envelope("management_link_requested", {"person": people[4], "forum": None}),
        catalog.envelope("forum_held", {"forum": forum_block(status="held")}),
        catalog.envelope(
            "person_erased", {"person_id": uuid.uuid4(), "email": "nobody@example.org", "erased_by": "person"}
        ),
    ]
    for event in events:
        publish(event, event)
    handled(service_config, *events)
    wait_until(
        lambda: not any(ready(service_config, e["type"]) for e in events), message="the queues drained"
    )
    for person in [seated, *people]:
        mail_to(smtp_sink, person["email"], 2 if person is seated else 1)
    container.stop()  # lets every message in hand finish: then all that was delivered has been handled

    assert [e["type"] for e in events if ready(service_config, e["type"])] == []
    rows = query(
        service_config, "SELECT status FROM deliveries WHERE event_id = ANY(%s)", [e["id"] for e in events]
    )
    assert sorted(row["status"] for row in rows) == ["sent"] * 6
    assert len(smtp_sink.messages()) == 7
