"""What the notification service does with each event: keep its roster, decide the messages, log them.

Each function runs in the handler's transaction, after the inbox has said the event is new, and returns
how many messages it logged (the handler wakes the mail sender only if there are some). A message speaks
of the newest copy of the forum this service knows, so a confirmation handled after a change of date
already gives the new date. Nothing is written for a person from an event older than their erasure.
Which messages an event calls for is decided in ``rules``; what is read and written goes through the
modules named below (their statements are in ``store``). The topics events are handled in ``rounds`` (a
round's calls and results) and ``proposals`` (a proposal's outcome, told to its proposer); a restitution
published in ``restitutions``; the comments on restitutions in ``comments`` (a reply told to the author it
answers, the comments waiting kept for the organisers' digest, which ``moderation`` makes).
"""

from kit import dead_letters
from services.notification import (
    announcements,
    comments,
    deliveries,
    invitation,
    proposals,
    qr,
    reminders,
    restitutions,
    roster,
    rounds,
    rules,
    store,
)
from services.notification.deliveries import Attachment
from services.notification.rendering import one_line


def person_context(person):
    """Names as one line each: a name cannot break a header or a layout."""
    return person | {"first_name": one_line(person["first_name"]), "last_name": one_line(person["last_name"])}


def seat_attachments(copy, registration_id, attendee_code=None):
    """The calendar invitation, and the attendee code as a QR code when there is one."""
    files = [
        Attachment(
            invitation.CONTENT_TYPE,
            invitation.FILENAME,
            invitation.invitation(copy.forum, registration_id, copy.as_of),
        )
    ]
    if attendee_code:
        files.append(Attachment(qr.CONTENT_TYPE, qr.FILENAME, qr.qr_png(attendee_code)))
    return files


def registration_changed(cur, renderer, links, envelope, data):
    """Confirmed, waitlisted, promoted or cancelled: update the roster and tell the registrant, unless a
    newer state of this registration was already recorded (and told)."""
    template, person = envelope["type"], person_context(data["person"])
    if roster.registration_gate(cur, data, envelope["time"]):
        return 0  # the person was erased since
    forum_status, status = rules.forum_status(template, data["forum"]), rules.REGISTRANT_STATUS[template]
    copy, kept = roster.keep_registration(cur, data, forum_status, status, envelope["time"])
    if not kept:
        return 0
    context = {key: data[key] for key in rules.NOTICE_FIELDS}
    context |= {"forum": copy.forum, "person": person, "links": {"manage": links.manage(person)}}
    files = (
        seat_attachments(copy, data["registration_id"], data["attendee_code"])
        if rules.with_a_seat(template)
        else ()
    )
    rendered = renderer.render(template, person["locale"], context)
    return int(deliveries.log_message(cur, envelope, template, person, rendered, copy.forum["id"], files))


def forum_changed(cur, renderer, links, envelope, data):
    """Keep the forum's copy; on a change of date or venue, tell its confirmed and waitlisted registrants."""
    forum, kind = data["forum"], envelope["type"]
    copy = roster.keep_forum(cur, forum, rules.forum_status(kind, forum), envelope["time"])
    reminders.plan(cur, copy)  # a new date moves the forum's reminder; a cancelled forum drops it
    if rules.announces(kind, copy.status):
        return announcements.announce(cur, renderer, links, envelope, copy.forum)
    changed = rules.changes_to_tell(kind, data, copy.status)
    if not changed:
        return 0
    logged = 0
    for registrant in store.roster.registrants_to_tell(cur, forum["id"], envelope["time"]):
        person = person_context(dict(registrant))
        context = {"forum": copy.forum, "previous_forum": data["previous_forum"], "changed": changed}
        context |= {"person": person, "status": person["status"], "links": {"manage": links.manage(person)}}
        files = seat_attachments(copy, person["registration_id"]) if person["status"] == "confirmed" else ()
        rendered = renderer.render("forum_updated", person["locale"], context)
        logged += deliveries.log_message(cur, envelope, "forum_updated", person, rendered, forum["id"], files)
    return logged


def subscription_requested(cur, renderer, links, envelope, data):
    """The double opt-in: a link confirming the subscription."""
    person = person_context(data["person"])
    if roster.erased(cur, person, envelope["time"]):
        return 0
    link = links.confirm_subscription(data["subscription_id"], person["token_version"], person["locale"])
    context = {"person": person, "links": {"confirm_subscription": link}}
    rendered = renderer.render("subscription_requested", person["locale"], context)
    return int(deliveries.log_message(cur, envelope, "subscription_requested", person, rendered))


def management_link_requested(cur, renderer, links, envelope, data):
    """The person's management link; with ``forum`` set, they tried to register again for it."""
    person, forum = person_context(data["person"]), data["forum"]
    if roster.erased(cur, person, envelope["time"]):
        return 0
    # Sent after the person revoked their links, with the new version: later links must carry it.
    store.roster.raise_registrant_token_version(cur, person["person_id"], person["token_version"])
    store.roster.raise_subscriber_token_version(cur, person["person_id"], person["token_version"])
    context = {"person": person, "forum": forum, "links": {"manage": links.manage(person)}}
    rendered = renderer.render("management_link_requested", person["locale"], context)
    forum_id = forum["id"] if forum else None
    return int(deliveries.log_message(cur, envelope, "management_link_requested", person, rendered, forum_id))


def person_erased(cur, renderer, links, envelope, data):
    """Purge the person from the roster, the delivery log and the dead letters; what was not sent yet never
    will be."""
    roster.forget(cur, data["person_id"], data["email"], envelope["time"])
    store.roster.drop_subscribers(cur, data["person_id"], data["email"])
    deliveries.purge_person(cur, data["person_id"], data["email"])
    dead_letters.forget(cur, data["person_id"], data["email"])
    return 0


HANDLERS = {event_type: registration_changed for event_type in rules.REGISTRANT_STATUS}
HANDLERS |= {
    event_type: forum_changed for event_type in (*rules.FORUM_STATUS, "forum_scheduled", "forum_updated")
}
HANDLERS |= {
    "subscription_requested": subscription_requested,
    "management_link_requested": management_link_requested,
    "person_erased": person_erased,
    "subscription_confirmed": announcements.subscribed,
    "subscription_ended": announcements.unsubscribed,
}
HANDLERS |= {event_type: proposals.topic_changed for event_type in (*rules.TOPIC_OUTCOMES, "topic_edited")}
HANDLERS |= {
    "round_opened": rounds.round_opened,
    "round_closing_soon": rounds.round_closing_soon,
    "round_closed": rounds.round_closed,
}
HANDLERS |= {"restitution_published": restitutions.restitution_published}  # commitment_updated: no email
HANDLERS |= {
    "comment_submitted": comments.comment_submitted,
    "comment_published": comments.comment_published,
    "comment_hidden": comments.comment_hidden,
}
