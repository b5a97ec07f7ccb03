"""The notification rules, as decisions on plain values: no cursor, no SQL, no I/O.

The roster only moves forward. Events about one forum or one registration travel on several queues and
are handled by several workers, so they arrive in any order; each copy is ranked, and a copy replaces
the one known only if its (rank, event time) is not lower: a registration goes waitlisted < confirmed
< cancelled, a forum never leaves a final status (cancelled, held), and within a rank the later event
wins. The comparison itself is made by the upserts in ``store.roster``, in the statement that writes,
so that two events handled at once cannot both win; the ranks are given here.

Which messages an event calls for: a new registrant state is told to the registrant (with the calendar
invitation and the attendee code for a seat); a forum update is told to its registrants only for a change of
date or venue, and not once the forum is final; an opened forum is announced to subscribers. A round's
opening goes to the forum's registrants and the subscribers, one email each; its last call to those of them
who have not voted; its results to those who voted. A restitution published (or updated) goes to the forum's
registrants and the subscribers, one email each, with the first lines of its summary. A participant's
proposal published, rejected or merged is told to its proposer (an organiser's topic has none); a person is
reached at the newest address the roster knows (a registration's, else a subscription's). A published reply
is told to the author of the comment it answers when they asked for it (the event names them), reached the
same way; a comment waiting for moderation is told once to the organisers, in the next digest, which also
counts the comments still waiting from earlier ones.

The mail sender's answer to a failure: a refusal of the message itself (5xx) is permanent; anything
else (4xx, connection trouble, a refusal of the relay's settings) is retried, with exponential backoff.
"""

import smtplib
import uuid

from marshmallow import ValidationError, validate

# The status of the registrant each registration event reports.
REGISTRANT_STATUS = {
    "registration_confirmed": "confirmed",
    "registration_waitlisted": "waitlisted",
    "registration_promoted": "confirmed",
    "registration_cancelled": "cancelled",
}
REGISTRANT_RANKS = {"waitlisted": 1, "confirmed": 2, "cancelled": 3}
# The status of the forum each forum event implies (the others carry it in the forum).
FORUM_STATUS = {
    "forum_opened": "open",
    "forum_closed": "closed",
    "forum_held": "held",
    "forum_cancelled": "cancelled",
}
FINAL_FORUM_STATUSES = ("cancelled", "held")
WITH_A_SEAT = ("registration_confirmed", "registration_promoted")
DATE_FIELDS = {"starts_at", "ends_at", "timezone"}
NOTICE_FIELDS = ("waitlist_position", "attendee_code", "reason", "cancelled_by", "cause", "reserved_for")

TOPIC_OUTCOMES = ("topic_published", "topic_rejected", "topic_merged")  # told to the topic's proposer
ROUND_CALLS = ("round_opened", "round_closing_soon")  # to registrants and subscribers (less the voters)
DEFAULT_TIMEZONE = "Europe/Paris"  # a round of a forum this service does not know yet
SUMMARY_LINES, SUMMARY_CHARS = 5, 600  # of a restitution's summary, in its email: a taste, not the text

REMINDER_NAMESPACE = uuid.UUID("b3d3a0a4-52a4-4f0e-9a57-4c1d2b7e8f61")
DIGEST_NAMESPACE = uuid.UUID("5f0c2e8a-7d41-4b6e-a3c9-2e9d8b1f4a70")
DEFAULT_DIGEST_SECONDS = 3600  # at least this long between two moderation digests
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")

# Refusals that speak of the relay's settings, not of the message: authentication required (530), the
# credentials refused (535), encryption required (538). Fixing the settings fixes every message.
RELAY_REFUSALS = (530, 535, 538)


def forum_status(event_type, forum):
    """The status of the forum as this event tells it."""
    return FORUM_STATUS.get(event_type) or forum["status"] or "open"


def forum_rank(status):
    """A final status ranks above the others: a late event never reopens a forum."""
    return 1 if status in FINAL_FORUM_STATUSES else 0


def is_final(status):
    return status in FINAL_FORUM_STATUSES


def registrant_rank(status):
    return REGISTRANT_RANKS[status]


def with_a_seat(event_type):
    """True if the message of this registration event carries the invitation (and the attendee code)."""
    return event_type in WITH_A_SEAT


def announces(event_type, status):
    """True if the event opens the forum for registration, as its newest copy still says."""
    return event_type == "forum_opened" and status == "open"


def changed_kinds(data):
    """What a forum update changed that registrants must hear of: "date", "venue", "accessibility"."""
    changes, before, now = set(data["changes"]), data["previous_forum"], data["forum"]
    kinds = ["date"] if changes & DATE_FIELDS else []
    if any(name == "venue" or name.startswith("venue.") for name in changes):
        place = [key for key in ("name", "address", "city") if before["venue"][key] != now["venue"][key]]
        access = (before["venue"]["accessibility"] or "") != (now["venue"]["accessibility"] or "")
        kinds += (["venue"] if place or not access else []) + (["accessibility"] if access else [])
    return kinds


def changes_to_tell(event_type, data, status):
    """The changes registrants are told of (none but for an update, none once the forum is final)."""
    if event_type != "forum_updated" or is_final(status):
        return []
    return changed_kinds(data)


def reminder_event_id(forum_id, starts_at):
    """The reminder's event id: the same for one forum and date, whoever sends it and however often."""
    return uuid.uuid5(REMINDER_NAMESPACE, f"{forum_id}/{starts_at.isoformat()}")


def backoff(attempts, base, cap):
    """Seconds before the next attempt of a message tried ``attempts`` times: doubling, up to ``cap``."""
    return min(cap, base * 2**attempts)


def relay_refused(exc):
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        return True  # a wrong login, or a relay that offers no login
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code in RELAY_REFUSALS


def classify(exc):
    """True if retrying may help (4xx, connection trouble, the relay's settings); False for a permanent
    refusal of this message (5xx)."""
    if relay_refused(exc):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return True


def unreachable(exc):
    """The server is no use now for any message: out of reach (refused, timed out, hung up, TLS failed)
    or refusing our settings (login); not a refusal of this one message."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError) or relay_refused(exc):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def tally(rows):
    """Counts by status of the delivery log's groups (``forum_id``, ``template``, ``status``, ``count``):
    in all, per template and per forum ("none" for messages of no forum)."""
    totals, by_template, by_forum = dict.fromkeys(DELIVERY_STATUSES, 0), {}, {}
    for row in rows:
        totals[row["status"]] += row["count"]
        counts = by_template.setdefault(row["template"], dict.fromkeys(DELIVERY_STATUSES, 0))
        counts[row["status"]] += row["count"]
        key = str(row["forum_id"]) if row["forum_id"] else "none"
        by_forum.setdefault(key, dict.fromkeys(DELIVERY_STATUSES, 0))[row["status"]] += row["count"]
    return totals, by_template, by_forum


def tells_proposer(event_type, topic):
    """True if the event is an outcome of a topic that a participant proposed (its proposer is told)."""
    return event_type in TOPIC_OUTCOMES and topic.get("proposer_id") is not None


def forum_audience(registrants, voters=()):
    """The forum's registrants (confirmed or waitlisted) a round's call or a restitution goes to: those
    not among ``voters``, one each (by person, else by address), in the order given."""
    voted, seen, audience = {str(v) for v in voters}, set(), []
    for person in registrants:
        person_id = str(person["person_id"]) if person.get("person_id") else None
        keys = {("email", person["email"].strip().lower()), ("person", person_id)} - {("person", None)}
        if person_id in voted or keys & seen:
            continue
        seen |= keys
        audience.append(person)
    return audience


def contacts(rows):
    """Where each person is reached, by person id (as a string), from the roster's rows about them
    (``source`` "registrant" or "subscriber", ``status``, ``as_of``, ``token_version``, the address,
    names and locale): their newest registration's, else their newest confirmed subscription's, else
    their newest subscription's; with the highest token version any row knows (links minted with an
    older one are refused)."""

    def preference(row):
        return (row["source"] == "registrant", row["status"] != "ended", row["as_of"])

    found = {}
    for row in rows:
        key, best = str(row["person_id"]), found.get(str(row["person_id"]))
        version = max(row["token_version"], best["token_version"]) if best else row["token_version"]
        if best is None or preference(row) > preference(best):
            best = dict(row)
        found[key] = best | {"token_version": version}
    return found


def agenda_titles(agenda, titles):
    """The agenda's topic titles in its order (``titles``: by topic id as a string); a topic whose title
    is unknown is left out rather than shown as an id."""
    return [titles[str(topic_id)] for topic_id in agenda if str(topic_id) in titles]


def hours_left(closes_at, now):
    """Whole hours until the round closes, as a last call says it (at least one)."""
    return max(1, round((closes_at - now).total_seconds() / 3600))


def summary_excerpt(summary, lines=SUMMARY_LINES, chars=SUMMARY_CHARS):
    """The first non-blank lines of a plain-text summary, each on one line: at most ``lines`` of them and
    ``chars`` characters in all, a line cut at a word; "…" ends it where something was left out."""
    found = [" ".join(line.split()) for line in summary.splitlines()]
    found = [line for line in found if line]
    kept, room = [], chars
    for line in found[:lines]:
        if len(line) > room:  # cut at the last word that fits
            cut = line[: room + 1].rsplit(" ", 1)[0] if " " in line[: room + 1] else line[:room]
            kept += [cut] if cut else []
            break
        kept.append(line)
        room -= len(line)
    else:
        if len(found) <= lines:
            return kept
    if kept:
        kept[-1] = kept[-1].rstrip(" ,;:.") + "…"
    return kept


def restitution_message(data):
    """What a restitution's email says (``restitution_published``): the forum's title, whether it is an
    update (version 2 and later, with what changed), the number of commitments, and the summary's first
    lines (``excerpt``)."""
    updated = data["version"] >= 2
    block = {"title": data["title"], "version": data["version"], "updated": updated}
    block |= {"note": data["note"].strip() if updated else "", "commitments": data["commitments"]}
    return {"restitution": block, "excerpt": summary_excerpt(data["summary"])}


def reply_lines(body):
    """A reply's text as its email quotes it: each line on its own, spaces collapsed, blank lines left out."""
    return [line for line in (" ".join(raw.split()) for raw in body.splitlines()) if line]


def organiser_addresses(value):
    """The addresses of ``ORGANISER_EMAILS`` (comma-separated; blanks ignored; each once, whatever its
    case), in their order; ValueError naming every one that is not a plain address."""
    found, seen, wrong = [], set(), []
    for address in (part.strip() for part in str(value or "").split(",")):
        if not address or address.lower() in seen:
            continue
        try:
            validate.Email()(address)
        except ValidationError:
            wrong.append(address)
            continue
        seen.add(address.lower())
        found.append(address)
    if wrong:
        raise ValueError(
            f"refusing to start: ORGANISER_EMAILS holds what is not an address: {', '.join(wrong)}"
        )
    return tuple(found)


def digest_due(last, now, seconds):
    """True if a digest may go now: none went yet, or the last one (``last``) is ``seconds`` old."""
    return last is None or (now - last).total_seconds() >= seconds


def digest_event_id(comment_ids):
    """The digest's event id: the same for the same comments told, whoever makes it."""
    return uuid.uuid5(DIGEST_NAMESPACE, ",".join(sorted(str(i) for i in comment_ids)))


def digest_forums(waiting, told):
    """Each forum's line of a digest, in the order of ``waiting`` (rows with ``forum_id``, ``waiting``,
    ``oldest``): how many wait, since when the oldest, and how many of them no digest told before (``told``:
    rows with ``forum_id``, the comments this digest is the first to tell)."""
    new = {}
    for row in told:
        new[str(row["forum_id"])] = new.get(str(row["forum_id"]), 0) + 1
    return [
        {"forum_id": row["forum_id"], "waiting": row["waiting"], "oldest": row["oldest"]}
        | {"new": new.get(str(row["forum_id"]), 0)}
        for row in waiting
    ]


def digest_totals(forums):
    """How many comments wait in all, and how many of them are new."""
    return {"waiting": sum(f["waiting"] for f in forums), "new": sum(f["new"] for f in forums)}
