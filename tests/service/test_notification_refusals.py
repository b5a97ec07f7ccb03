"""A server that refuses a recipient for good (5xx): that message fails at once, the others go out."""

import logging
import re
import time
import uuid

from harness.testing import SmtpSink, wait_until
from services.notification.service import NotificationService

from .test_notification_emails import forum_block, handled, mail_to, query, registration, someone


def test_a_permanent_refusal_fails_the_message_at_once_and_is_never_retried(
    container_factory, publish, service_config, tmp_path
):
    sink = SmtpSink(tmp_path / "refusing", refuse="@refused.example").start()
    try:
        config = service_config | {"SMTP_PORT": sink.port}
        container_factory(NotificationService, config).start()
        forum = forum_block()
        refused, welcome = someone(email="nobody@refused.example"), someone()
        events = [registration("registration_confirmed", forum, person) for person in (refused, welcome)]
        publish(*events)
        handled(config, *events)
        mail_to(sink, welcome["email"])

        def row():
            [found] = query(
                config,
                "SELECT status, attempts, last_error FROM deliveries WHERE recipient = %s",
                refused["email"],
            )
            return found

        wait_until(lambda: row()["status"] == "failed", message="the refused message to be marked failed")
        time.sleep(1.5)  # several retry delays of this configuration (0.2 s, growing): none may happen
        assert row()["attempts"] == 1 and "550" in row()["last_error"]
        assert [m["To"].addresses[0].addr_spec for m in sink.messages()] == [welcome["email"]]
    finally:
        sink.stop()


def test_a_refusal_is_logged_by_delivery_and_person_id_never_by_address(
    container_factory, publish, service_config, tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    sink = SmtpSink(tmp_path / "refusing", refuse="@refused.example").start()
    try:
        config = service_config | {"SMTP_PORT": sink.port}
        container_factory(NotificationService, config).start()
        refused = someone(email=f"{uuid.uuid4().hex[:8]}.private@refused.example")
        event = registration("registration_confirmed", forum_block(), refused)
        publish(event)
        handled(config, event)

        def failed():
            rows = query(config, "SELECT id, status FROM deliveries WHERE recipient = %s", refused["email"])
            return rows[0] if rows and rows[0]["status"] == "failed" else None

        row = wait_until(failed, message="the refused message to be marked failed")
        about = re.compile(rf"\bdelivery {row['id']}\b")
        lines = [r.getMessage() for r in caplog.records if about.search(r.getMessage())]
        assert lines and refused["email"].split("@")[0] not in caplog.text
        assert all(f"(person {refused['person_id']})" in line and "550" in line for line in lines)
    finally:
        sink.stop()
