"""What the notification service does with each event: keep its roster, decide the messages, log them.

Each function runs in the handler's transaction, after the inbox has said the event is new, and returns
how many messages it logged (the handler wakes the mail sender only if there are some). A message speaks
of the newest copy of the forum this service knows, so a confirmation handled after a change of date
already gives the new date. Nothing is written for a person from an event older than their erasure.
"""

from kit import dead_letters
from services.notification import announcements, deliveries, invitation, qr, reminders, roster
from services.notification.deliveries import Attachment
from services.notification.rendering import one_line

REGISTRANT_STATUS = {
    "registration_confirmed": "confirmed",
    "registration_waitlisted": "waitlisted",
    "registration_promoted": "confirmed",
    "registration_cancelled": "cancelled",
}
FORUM_STATUS = {
    "forum_opened": "open",
    "forum_closed": "closed",
    "forum_held": "held",
    "forum_cancelled": "cancelled",
}
WITH_A_SEAT = ("registration_confirmed", "registration_promoted")
DATE_FIELDS = {"starts_at", "ends_at", "timezone"}
NOTICE_FIELDS = ("waitlist_position", "attendee_code", "reason", "cancelled_by", "cause", "reserved_for")


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
    if roster.erased(cur, person, envelope["time"]):
        return 0
    copy = roster.keep_forum(cur, data["forum"], data["forum"]["status"] or "open", envelope["time"])
    if not roster.keep_registrant(cur, data, REGISTRANT_STATUS[template], envelope["time"]):
        return 0
    context = {key: data[key] for key in NOTICE_FIELDS}
    context |= {"forum": copy.forum, "person": person, "links": {"manage": links.manage(person)}}
    files = (
        seat_attachments(copy, data["registration_id"], data["attendee_code"])
        if template in WITH_A_SEAT
        else ()
    )
    rendered = renderer.render(template, person["locale"], context)
    return int(deliveries.log_message(cur, envelope, template, person, rendered, copy.forum["id"], files))


def changed_kinds(data):
    """What a forum update changed that registrants must hear of: "date", "venue", "accessibility"."""
    changes, before, now = set(data["changes"]), data["previous_forum"], data["forum"]
    kinds = ["date"] if changes & DATE_FIELDS else []
    if any(name == "venue" or name.startswith("venue.") for name in changes):
        place = [key for key in ("name", "address", "city") if before["venue"][key] != now["venue"][key]]
        access = (before["venue"]["accessibility"] or "") != (now["venue"]["accessibility"] or "")
        kinds += (["venue"] if place or not access else []) + (["accessibility"] if access else [])
    return kinds


def forum_changed(cur, renderer, links, envelope, data):
    """Keep the forum's copy; on a change of date or venue, tell its confirmed and waitlisted registrants."""
    forum, kind = data["forum"], envelope["type"]
    copy = roster.keep_forum(
        cur, forum, FORUM_STATUS.get(kind) or forum["status"] or "open", envelope["time"]
    )
    reminders.plan(cur, copy)  # a new date moves the forum's reminder; a cancelled forum drops it
    if kind == "forum_opened" and copy.status == "open":
        return announcements.announce(cur, renderer, links, envelope, copy.forum)
    changed = changed_kinds(data) if kind == "forum_updated" else []
    if not changed or copy.status in roster.FINAL_FORUM_STATUSES:
        return 0
    logged = 0
    for registrant in roster.registrants_to_tell(cur, forum["id"], envelope["time"]):
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
    link = links.confirm_subscription(data["subscription_id"], person["token_version"])
    context = {"person": person, "links": {"confirm_subscription": link}}
    rendered = renderer.render("subscription_requested", person["locale"], context)
    return int(deliveries.log_message(cur, envelope, "subscription_requested", person, rendered))


def management_link_requested(cur, renderer, links, envelope, data):
    """The person's management link; with ``forum`` set, they tried to register again for it."""
    person, forum = person_context(data["person"]), data["forum"]
    if roster.erased(cur, person, envelope["time"]):
        return 0
    # Sent after the person revoked their links, with the new version: later links must carry it.
    roster.keep_token_version(cur, person["person_id"], person["token_version"])
    announcements.keep_token_version(cur, person["person_id"], person["token_version"])
    context = {"person": person, "forum": forum, "links": {"manage": links.manage(person)}}
    rendered = renderer.render("management_link_requested", person["locale"], context)
    forum_id = forum["id"] if forum else None
    return int(deliveries.log_message(cur, envelope, "management_link_requested", person, rendered, forum_id))


def person_erased(cur, renderer, links, envelope, data):
    """Purge the person from the roster, the delivery log and the dead letters; what was not sent yet never
    will be."""
    roster.forget(cur, data["person_id"], data["email"], envelope["time"])
    announcements.forget(cur, data["person_id"], data["email"])
    deliveries.purge_person(cur, data["person_id"], data["email"])
    dead_letters.forget(cur, data["person_id"], data["email"])
    return 0


HANDLERS = {event_type: registration_changed for event_type in REGISTRANT_STATUS}
HANDLERS |= {event_type: forum_changed for event_type in (*FORUM_STATUS, "forum_scheduled", "forum_updated")}
HANDLERS |= {
    "subscription_requested": subscription_requested,
    "management_link_requested": management_link_requested,
    "person_erased": person_erased,
    "subscription_confirmed": announcements.subscribed,
    "subscription_ended": announcements.unsubscribed,
}
