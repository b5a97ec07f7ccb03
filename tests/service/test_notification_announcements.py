"""A forum opening is announced to every confirmed subscriber, each with their own unsubscribe link."""

import re
import uuid

from kit import tokens
from services.registration.events import catalog

from .test_notification_emails import (
    forum_block,
    handled,
    link_token,
    mail_to,
    query,
    registration,
    someone,
    text_of,
)


def subscription(event_type, person, subscription_id=None):
    subscription_id = subscription_id or uuid.uuid4()
    if event_type == "subscription_ended":
        data = {
            "subscription_id": subscription_id,
            "person_id": person["person_id"],
            "email": person["email"],
        }
        return catalog.envelope(event_type, data | {"reason": "unsubscribed"})
    return catalog.envelope(event_type, {"subscription_id": subscription_id, "person": person})


def test_confirmed_subscribers_hear_of_a_forum_opening_once_and_can_leave_in_one_click(
    notification, publish, smtp_sink, service_config
):
    fan, english_fan, gone = someone("fr"), someone("en"), someone("fr")
    fan_subscription = subscription("subscription_confirmed", fan)
    gone_subscription = subscription("subscription_confirmed", gone)
    publish(fan_subscription, subscription("subscription_confirmed", english_fan), gone_subscription)
    handled(service_config, fan_subscription, gone_subscription)
    left = subscription("subscription_ended", gone, gone_subscription["data"]["subscription_id"])
    publish(left)
    handled(service_config, left)

    forum = forum_block(title="Forum de juin")
    opened = catalog.envelope("forum_opened", {"forum": forum})
    publish(opened)
    [message] = mail_to(smtp_sink, fan["email"])
    assert message["Subject"] == "Inscriptions ouvertes : Forum de juin"
    [english] = mail_to(smtp_sink, english_fan["email"])
    assert english["Subject"] == "Registration open: Forum de juin"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(\S+)>", message["List-Unsubscribe"]).group(1)
    assert link in text_of(message)  # the same link in the body
    token = link.rsplit("/", 1)[1]
    assert link.startswith(service_config["PUBLIC_BASE_URL"] + "/api/v1/unsubscribe/")
    subject, _ = tokens.read(service_config["SECRET_KEY"], token, "unsubscribe")
    assert subject == str(fan_subscription["data"]["subscription_id"])

    reopened = catalog.envelope("forum_opened", {"forum": forum})  # closed, then opened again
    confirmation = registration("registration_confirmed", forum, gone)  # transactional: always sent
    publish(reopened, confirmation)
    handled(service_config, reopened, confirmation)
    mail_to(smtp_sink, gone["email"])
    announced = query(
        service_config, "SELECT recipient FROM deliveries WHERE template = 'forum_announced' AND forum_id = %s",
        forum["id"],
    )  # fmt: skip
    # The session's database holds other tests' subscribers too: look at ours.
    ours = {fan["email"], english_fan["email"], gone["email"]}
    assert sorted(r["recipient"] for r in announced if r["recipient"] in ours) == sorted(
        [fan["email"], english_fan["email"]]
    )
    [progress] = query(
        service_config, "SELECT queued, finished_at FROM announcements WHERE forum_id = %s", forum["id"]
    )
    assert progress["queued"] == len(announced) and progress["finished_at"] is not None
    received = [m["To"].addresses[0].addr_spec for m in smtp_sink.messages()]
    assert sorted(address for address in received if address in ours) == sorted(ours)  # one each


def test_links_carry_the_persons_newest_token_version_so_they_work_after_a_revocation(
    notification, publish, smtp_sink, service_config
):
    fan, secret = someone("fr"), service_config["SECRET_KEY"]  # token version 2
    requested = subscription("subscription_requested", fan)
    subscription_id = requested["data"]["subscription_id"]
    publish(requested)
    [asked] = mail_to(smtp_sink, fan["email"])
    confirm = link_token(text_of(asked), "subscriptions/confirm")
    assert tokens.read(secret, confirm, "confirm_subscription") == (str(subscription_id), 2)

    confirmed = subscription("subscription_confirmed", fan, subscription_id)
    publish(confirmed)
    handled(service_config, confirmed)
    revoked = catalog.envelope(
        "management_link_requested", {"person": fan | {"token_version": 3}, "forum": None}
    )
    publish(revoked)  # what the registration service sends once the person revoked their links
    handled(service_config, revoked)
    publish(catalog.envelope("forum_opened", {"forum": forum_block(title="Forum d'octobre")}))
    [announced] = [m for m in mail_to(smtp_sink, fan["email"], count=3) if m["List-Unsubscribe"]]
    leave = re.fullmatch(r"<(\S+)>", announced["List-Unsubscribe"]).group(1).rsplit("/", 1)[1]
    assert tokens.read(secret, leave, "unsubscribe") == (str(subscription_id), 3)
