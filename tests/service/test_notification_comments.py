"""The discussion of restitutions, from a real notification container to a real SMTP server: a reply told
once to the author who asked for it, in their language, with the reply's text as plain text; and the
organisers' moderation digest of the comments waiting. The registration events are published first (the
service then knows the forum and the people); the comment events are published signed on the restitution
exchange as its relay would. The digest's timer is triggered directly instead of waited for."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from harness.testing import wait_until
from services.notification.service import NotificationService
from services.registration.events import catalog as registration_catalog
from services.restitution.events import catalog

from .test_notification_emails import forum_block, handled, mail_to, query, registration, someone, text_of
from .test_notification_topics import settled

SCRIPT = "<script>alert(1)</script>"


def organisers():
    tag = uuid.uuid4().hex[:8]
    return [f"moderation-{tag}@example.org", f"Moderation.Bis-{tag}@example.org"]


@pytest.fixture
def start_notification(container_factory, service_config):
    def start(addresses=(), seconds=0):
        settings = {"ORGANISER_EMAILS": ", ".join(addresses), "MODERATION_DIGEST_SECONDS": seconds}
        container = container_factory(NotificationService, service_config | settings)
        container.start()
        return container

    return start


def submitted(forum, comment_id=None, status="pending", minutes_ago=0):
    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    block = {
        "id": comment_id or uuid.uuid4(),
        "forum_id": forum["id"],
        "commitment_id": None,
        "parent_id": None,
    }
    return catalog.envelope(
        "comment_submitted", {"comment": block | {"status": status, "created_at": created}}
    )


def published(forum, comment_id=None, notify=None, body="Merci, d'accord.", author_name=None):
    block = {"id": comment_id or uuid.uuid4(), "forum_id": forum["id"], "commitment_id": None}
    block |= {"parent_id": uuid.uuid4(), "body": body, "author_name": author_name}
    data = {"comment": block | {"published_at": datetime.now(UTC)}, "notify_person_id": notify}
    return catalog.envelope("comment_published", data)


def hidden(forum, comment_id):
    block = {"id": comment_id, "forum_id": forum["id"], "commitment_id": None, "parent_id": None}
    return catalog.envelope("comment_hidden", {"comment": block, "reason": "Hors sujet"})


def comment_id(envelope):
    return envelope["data"]["comment"]["id"]


def send_digest(container):
    with entrypoint_hook(container, "send_moderation_digest") as hook:
        hook()


def digests_to(sink, address):
    return [
        m
        for m in sink.messages()
        if m["To"].addresses[0].addr_spec.lower() == address.lower() and m["Subject"].startswith("Modération")
    ]


def digest_rows(config, address):
    return query(
        config,
        "SELECT 1 FROM deliveries WHERE template = 'moderation_digest' AND lower(recipient) = lower(%s)",
        address,
    )


def forum_line(message, forum):
    """The digest's line about this forum (other tests' forums may wait too)."""
    [line] = [line for line in text_of(message).splitlines() if forum["title"] in line]
    return line


def test_a_reply_is_told_once_in_the_authors_language_with_its_text_as_plain_text(
    notification, publish, publish_restitution, smtp_sink, service_config
):
    forum = forum_block(title="Forum de la discussion")
    english, french, erased = someone("en"), someone("fr"), someone("fr")
    setup = [registration("registration_confirmed", forum, person) for person in (english, french, erased)]
    publish(*setup)
    handled(service_config, *setup)
    erasure = registration_catalog.envelope(
        "person_erased", {"person_id": erased["person_id"], "email": erased["email"], "erased_by": "person"}
    )
    publish(erasure)
    handled(service_config, erasure)

    reply = published(forum, notify=english["person_id"], body=f"Bien vu.\n{SCRIPT}", author_name="Sam")
    in_french = published(forum, notify=french["person_id"])
    nobody = [
        published(forum),  # the author replied to did not ask (or replied to themselves)
        published(forum, notify=erased["person_id"]),
        published(forum, notify=uuid.uuid4()),  # a person this service never heard of
    ]
    publish_restitution(reply, reply, in_french, *nobody)  # the reply delivered twice: told once
    for envelope in (reply, in_french, *nobody):
        settled(service_config, envelope)

    [told] = mail_to(smtp_sink, english["email"], 2)[1:]  # after their confirmation
    assert told["Subject"] == 'A reply to your comment on the restitution of "Forum de la discussion"'
    text, page = text_of(told), told.get_body(("html",)).get_content()
    assert f"> {SCRIPT}" in text and "Sam replied to your comment" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    base = service_config["PUBLIC_BASE_URL"].rstrip("/")
    link = f"{base}/en/restitutions/{forum['id']}#comment-{comment_id(reply)}"  # in the author's language
    assert link in text and f'href="{link}"' in page
    assert "you asked to be told of replies to your comment" in text

    [theirs] = mail_to(smtp_sink, french["email"], 2)[1:]
    assert theirs["Subject"] == "Réponse à votre commentaire sur la restitution de « Forum de la discussion »"
    assert "Un·e participant·e a répondu à votre commentaire" in text_of(theirs)
    assert f"{base}/restitutions/{forum['id']}#comment-{comment_id(in_french)}" in text_of(theirs)

    assert len(query(service_config, "SELECT 1 FROM deliveries WHERE event_id = %s", reply["id"])) == 1
    for envelope in nobody:
        assert query(service_config, "SELECT 1 FROM deliveries WHERE event_id = %s", envelope["id"]) == []
    assert len(mail_to(smtp_sink, english["email"])) == 2  # nothing more came meanwhile


def test_organisers_get_one_digest_each_of_what_waits_and_only_new_comments_call_for_another(
    start_notification, publish, publish_restitution, smtp_sink, service_config
):
    addresses = organisers()
    first, second = start_notification(addresses), start_notification(addresses)  # two replicas
    forum = forum_block(title=f"Forum modéré {uuid.uuid4().hex[:6]}")
    known = registration("registration_confirmed", forum, someone("fr"))
    publish(known)
    handled(service_config, known)

    two = [submitted(forum, minutes_ago=90), submitted(forum, minutes_ago=5)]
    at_once = submitted(forum, status="published")  # post-moderation: nothing waits
    publish_restitution(*two, at_once)
    handled(service_config, *two, at_once)
    both = [eventlet.spawn(send_digest, first), eventlet.spawn(send_digest, second)]
    for thread in both:
        thread.wait()
    for address in addresses:
        [digest] = wait_until(lambda a=address: digests_to(smtp_sink, a), message=f"a digest to {address}")
        line = forum_line(digest, forum)
        assert "2 en attente (2 nouveaux)" in line, line
        assert f"/restitutions/{forum['id']}#comments" in line
        assert (
            f"GET {service_config['PUBLIC_BASE_URL'].rstrip('/')}/api/v1/comments/pending?forum_id=" in line
        )
        assert len(digest_rows(service_config, address)) == 1

    send_digest(first)  # nothing new: no digest
    assert [len(digest_rows(service_config, a)) for a in addresses] == [1, 1]

    third = submitted(forum)
    publish_restitution(third)
    handled(service_config, third)
    send_digest(second)
    for address in addresses:
        latest = wait_until(lambda a=address: digests_to(smtp_sink, a)[1:], message="a second digest")[0]
        assert "3 en attente (1 nouveau)" in forum_line(latest, forum)

    # One published, one hidden; a fourth comment's publication handled before its submission, a fifth new.
    late = uuid.uuid4()
    settle = [published(forum, comment_id(two[0])), hidden(forum, comment_id(third)), published(forum, late)]
    publish_restitution(*settle)
    handled(service_config, *settle)
    fifth, late_submission = submitted(forum), submitted(forum, late)
    publish_restitution(fifth, late_submission)
    handled(service_config, fifth, late_submission)
    send_digest(first)
    for address in addresses:
        latest = wait_until(lambda a=address: digests_to(smtp_sink, a)[2:], message="a third digest")[0]
        assert "2 en attente (1 nouveau)" in forum_line(latest, forum)
        assert len(digest_rows(service_config, address)) == 3
    for message in digests_to(smtp_sink, addresses[0]):  # counts and links only, never a comment's text
        assert "Merci, d'accord." not in text_of(message)


def test_without_organiser_addresses_no_digest_is_sent_and_the_log_says_so_once(
    start_notification, publish_restitution, service_config, caplog
):
    forum = forum_block(title="Forum sans organisateurs")
    with caplog.at_level(logging.INFO, logger="services.notification.moderation"):
        notification = start_notification()
    said = [r for r in caplog.records if "ORGANISER_EMAILS is empty" in r.getMessage()]
    assert len(said) == 1
    before = query(service_config, "SELECT count(*) FROM deliveries WHERE template = 'moderation_digest'")
    waiting = submitted(forum)
    publish_restitution(waiting)
    handled(service_config, waiting)
    send_digest(notification)
    after = query(service_config, "SELECT count(*) FROM deliveries WHERE template = 'moderation_digest'")
    assert after == before
    [row] = query(service_config, "SELECT digested_at FROM comments_waiting WHERE forum_id = %s", forum["id"])
    assert row["digested_at"] is None
    done = hidden(forum, comment_id(waiting))  # leave nothing waiting for the other tests' digests
    publish_restitution(done)
    handled(service_config, done)


def test_a_wrong_organiser_address_stops_the_service_from_starting(start_notification):
    with pytest.raises(ValueError, match="not-an-address"):
        start_notification(["organisers@example.org", "not-an-address"])
