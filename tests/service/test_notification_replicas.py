"""Two notification replicas side by side on the same queues and database: no message is sent twice."""

from collections import Counter

from harness.testing import wait_until
from services.notification.service import NotificationService

from .test_notification_emails import forum_block, handled, query, registration, someone


def test_two_replicas_share_the_work_and_send_each_message_once(
    container_factory, publish, smtp_sink, service_config
):
    for _ in range(2):  # competing consumers on every queue, two mail senders on one delivery log
        container_factory(NotificationService, service_config).start()
    forum = forum_block()
    people = [someone() for _ in range(40)]
    events = [registration("registration_confirmed", forum, person) for person in people]
    # Each event twice, as a redelivery would bring it: the replicas race on the same event id too.
    publish(*events, *events)
    handled(service_config, *events)
    expected = {person["email"] for person in people}

    def received():
        return Counter(m["To"].addresses[0].addr_spec for m in smtp_sink.messages())

    wait_until(lambda: set(received()) >= expected, timeout=60, message="one email for each of 40 people")
    rows = query(
        service_config,
        "SELECT recipient, status FROM deliveries WHERE event_id = ANY(%s)",
        [event["id"] for event in events],
    )
    assert sorted(row["recipient"] for row in rows) == sorted(expected)  # one row per message
    wait_until(lambda: all(r["status"] == "sent" for r in query(
        service_config, "SELECT status FROM deliveries WHERE event_id = ANY(%s)", [e["id"] for e in events]
    )), message="every row marked sent")  # fmt: skip
    assert {address: n for address, n in received().items() if address in expected} == dict.fromkeys(
        expected, 1
    )
