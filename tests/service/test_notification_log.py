"""What organisers see of the delivery log and do with it (a real container, a real SMTP server that is
down, then up), and the preview of every message with sample data."""

import re

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from harness.testing import wait_until
from kit import tokens
from services.notification.samples import PLACEHOLDER_TOKEN
from services.notification.service import NotificationService
from services.registration.events import catalog

from .test_notification_emails import forum_block, mail_to, query, registration, someone

BODIES = {"subject", "body_text", "body_html", "text", "html", "attachments", "headers"}


@pytest.fixture
def one_try_config(service_config):
    """A message fails at its first temporary error, so that failed rows appear at once."""
    return service_config | {"MAIL_MAX_ATTEMPTS": 1}


@pytest.fixture
def notification_rpc(container_factory, one_try_config):
    container_factory(NotificationService, one_try_config).start()
    with ServiceRpcProxy("notification", one_try_config, timeout=30) as proxy:
        yield proxy


def statuses(config, forum_id):
    rows = query(config, "SELECT status FROM deliveries WHERE forum_id = %s", forum_id)
    return [row["status"] for row in rows]


def remote_error(call, *args):
    with pytest.raises(RemoteError) as raised:
        call(*args)
    return raised.value.exc_type


def test_failed_messages_are_listed_then_retried_and_delivered_once(
    notification_rpc, publish, smtp_sink, one_try_config
):
    smtp_sink.stop()
    forum, people = forum_block(), [someone("fr"), someone("en"), someone("fr")]
    publish(
        *[registration("registration_confirmed", forum, person, attendee_code="K7P2QX") for person in people]
    )
    wait_until(lambda: statuses(one_try_config, forum["id"]) == ["failed"] * 3, message="three failures")

    forum_id = str(forum["id"])
    listed = notification_rpc.list_deliveries(forum_id, "failed")
    assert sorted(row["recipient"] for row in listed["items"]) == sorted(p["email"] for p in people)
    ids = [row["id"] for row in listed["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert listed["next_cursor"] is None
    row = listed["items"][0]
    assert not BODIES & set(row) and row["attempts"] == 1 and "Refused" in row["last_error"]
    locale = next(p["locale"] for p in people if p["email"] == row["recipient"])
    assert (row["template"], row["locale"], row["forum_id"], row["sent_at"]) == (
        "registration_confirmed", locale, forum_id, None,
    )  # fmt: skip
    first = notification_rpc.list_deliveries(forum_id, None, None, 2)
    second = notification_rpc.list_deliveries(forum_id, None, None, 2, first["next_cursor"])
    assert [r["id"] for r in first["items"] + second["items"]] == [r["id"] for r in listed["items"]]
    assert second["next_cursor"] is None
    by_address = notification_rpc.list_deliveries(None, None, people[1]["email"].upper())
    assert [r["recipient"] for r in by_address["items"]] == [people[1]["email"]]
    assert notification_rpc.list_deliveries(forum_id, "sent")["items"] == []
    summary = notification_rpc.delivery_summary(forum_id)
    assert summary["totals"] == {"pending": 0, "sending": 0, "sent": 0, "failed": 3}
    assert summary["by_template"] == {"registration_confirmed": summary["totals"]}
    assert forum_id in notification_rpc.delivery_summary()["by_forum"]

    smtp_sink.start()
    retried = notification_rpc.retry_delivery(row["id"])
    assert (retried["status"], retried["attempts"]) == ("pending", 0)
    mail_to(smtp_sink, row["recipient"])
    assert notification_rpc.retry_failed(forum_id) == {"forum_id": forum_id, "retried": 2}
    wait_until(lambda: statuses(one_try_config, forum["id"]) == ["sent"] * 3, message="all three sent")
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_sink.messages()) == sorted(
        p["email"] for p in people
    )
    assert notification_rpc.retry_failed(forum_id)["retried"] == 0
    assert remote_error(notification_rpc.retry_delivery, row["id"]) == "NotRetryable"
    assert remote_error(notification_rpc.retry_delivery, 10**12) == "DeliveryNotFound"
    assert (
        remote_error(notification_rpc.list_deliveries, None, None, None, 2, "not-a-cursor") == "InvalidCursor"
    )
    assert remote_error(notification_rpc.list_deliveries, None, "lost") == "InvalidFilter"


def test_a_message_of_an_erased_person_is_not_retried(notification_rpc, publish, smtp_sink, one_try_config):
    smtp_sink.stop()
    forum, person = forum_block(), someone("fr")
    publish(registration("registration_confirmed", forum, person))
    wait_until(lambda: statuses(one_try_config, forum["id"]) == ["failed"], message="a failure")
    erased = {"person_id": person["person_id"], "email": person["email"], "erased_by": "person"}
    publish(catalog.envelope("person_erased", erased))
    wait_until(
        lambda: notification_rpc.list_deliveries(str(forum["id"]))["items"][0]["recipient"].startswith(
            "erased-"
        ),
        message="the erasure",
    )
    assert notification_rpc.retry_failed(str(forum["id"]))["retried"] == 0
    [row] = notification_rpc.list_deliveries(str(forum["id"]))["items"]
    assert remote_error(notification_rpc.retry_delivery, row["id"]) == "NotRetryable"


def test_every_template_previews_in_both_locales_with_links_that_open_nothing(
    notification_rpc, one_try_config
):
    templates = notification_rpc.list_templates()
    assert {"registration_confirmed", "forum_updated", "forum_announced"} <= set(templates)
    base_url = one_try_config["PUBLIC_BASE_URL"].rstrip("/")
    subjects = set()
    for template in templates:
        for locale in ("fr", "en"):
            preview = notification_rpc.preview_template(template, locale)
            assert (preview["template"], preview["locale"]) == (template, locale)
            assert preview["subject"] and "\n" not in preview["subject"]
            # to an unconfirmed address, or to the organisers' addresses: greets nobody
            named = template not in ("subscription_requested", "moderation_digest")
            assert ("Camille Martin" in preview["text"]) is named and (
                "Camille Martin" in preview["html"]
            ) is named
            assert preview["html"].lstrip().lower().startswith("<!doctype html")
            subjects.add(preview["subject"])
            links = [word for word in preview["text"].split() if word.startswith(base_url)]
            secret = [url for url in links if "token=" in url or "/unsubscribe/" in url]
            assert all(
                re.search(r"(?:token=|/unsubscribe/)([^&\s]+)", url).group(1) == PLACEHOLDER_TOKEN
                for url in secret
            )
    assert len(subjects) == 2 * len(templates)  # each message in each language says its own thing
    with pytest.raises(tokens.InvalidToken):
        tokens.read(one_try_config["SECRET_KEY"], PLACEHOLDER_TOKEN, "manage")
    en = notification_rpc.preview_template("registration_confirmed", "en")
    assert "K7P2QX" in en["text"] and "/me/session?token=" + PLACEHOLDER_TOKEN in en["text"]
    assert remote_error(notification_rpc.preview_template, "no_such_message", "fr") == "TemplateNotFound"
    assert (
        remote_error(notification_rpc.preview_template, "registration_confirmed", "de") == "UnsupportedLocale"
    )


def test_an_organisers_retry_sent_again_with_its_key_acts_once(
    notification_rpc, publish, smtp_sink, one_try_config
):
    """As the gateway sends it: keyed. The same request again (a client's retry, a redelivery) gets the
    first answer and queues nothing again; the audit trail shows one retry. A new key is a new retry."""
    smtp_sink.stop()
    forum = forum_block()
    publish(registration("registration_confirmed", forum, someone("fr")))
    forum_id = str(forum["id"])
    wait_until(lambda: statuses(one_try_config, forum["id"]) == ["failed"], message="a failure")

    def keyed(key):
        return ServiceRpcProxy(
            "notification", one_try_config, context_data={"idempotency_key": key}, timeout=30
        )

    def retries():
        rows = query(one_try_config, "SELECT count(*) AS n FROM audit_trail WHERE subject = %s", forum_id)
        return rows[0]["n"]

    with keyed("retry-1") as first, keyed("retry-1") as again, keyed("retry-2") as other:
        assert first.retry_failed(forum_id) == {"forum_id": forum_id, "retried": 1}
        wait_until(lambda: statuses(one_try_config, forum["id"]) == ["failed"], message="failing again")
        assert again.retry_failed(forum_id) == {"forum_id": forum_id, "retried": 1}  # the first answer
        assert statuses(one_try_config, forum["id"]) == ["failed"] and retries() == 1  # nothing queued
        assert other.retry_failed(forum_id) == {"forum_id": forum_id, "retried": 1}
    assert retries() == 2
