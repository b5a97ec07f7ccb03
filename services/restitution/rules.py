"""The restitution rules, as decisions on plain values: no cursor, no SQL, no clock of their own (``today``
is always given).

Drafts (``check_draft``, ``check_edit``): one draft per forum, ``{"summary", "sections": [{"title",
"body", "topic_id"}], "decisions": [text], "commitments": [{"title", "owner", "due_on", "status"}]}``.
Markdown in the summary and the sections' bodies (``markdown``); everything else is plain text. Texts are
trimmed, ``\\r\\n`` becomes ``\\n``, one-line fields (titles, owner) have their whitespace runs made one
space, and no text holds a control character (PostgreSQL refuses NUL). ``LIMITS`` caps each length and
count; a blank decision (a form's empty line) is dropped. The draft carries ``version``, bumped by each
save: an edit names the version it was made on, and one made on an earlier version is refused
(VersionConflict) instead of overwriting the other organiser's work; an edit that names none (a client
that knows only the fields of DESIGN §12) is taken as the last word.

Sections prefilled from a round (``prefill_sections``): one per agenda topic, in agenda order, titled
by the topic; a section the draft already has for a topic keeps its title and text, and sections of no
agenda topic follow in their order.

Publishing (``check_seen``, ``check_publishable``, ``publish``): publishing may name the draft's version
the organiser read and confirmed; a draft saved again since is not published (VersionConflict), so that
nobody publishes a text they never saw. One that names none publishes the draft as it is. A draft with
nothing in it (no summary, no section text, no decision, no commitment) or with a section left blank is
not published. Publishing makes version n + 1, immutable (the store never updates a version; a later one
supersedes it and the earlier stay readable). Its change note, public, is optional for version 1 and
required from version 2 on; a version identical to the latest is refused.

Commitments (``change_commitment``, ``history_line``): statuses ``planned``, ``in_progress``, ``done``,
``dropped``. Planned and in-progress move to any status, or stay (a progress note). Done and dropped are
final, but may be reopened with a note saying why: done → in_progress, dropped → planned; nothing else.
Every change has a public note and a date (the organiser's, else today), not in the future nor before
the commitment's last change, so that the history reads in order.

Comments (``new_comment``, ``approve_comment``, ``hide_comment``): on a published restitution or
commitment only; one level of replies (a reply to a reply is refused, as is a reply to a comment that is
not published). Pre-moderation makes a new comment ``pending``, post-moderation ``published``. Hiding
needs a public reason and is final; a pending comment is hidden the same way (refused, with its reason).
A commenter's ``display_name`` is optional, one line.

Attendance (``attendance_rows``): open data, one row per stakeholder group, every group of ``GROUPS``
(zeros included, so that a series' files line up), then any other group the facts name.
"""

import unicodedata
from datetime import date

from services.restitution.errors import (
    CommentInvalid,
    CommentNotAllowed,
    CommitmentChangeInvalid,
    DraftInvalid,
    InvalidTransition,
    SettingsInvalid,
    VersionConflict,
)

GROUPS = ("administration", "civil_society", "company", "citizen", "research_media", "other")
STATUSES = ("planned", "in_progress", "done", "dropped")
TRANSITIONS = {
    "planned": STATUSES,
    "in_progress": STATUSES,
    "done": ("in_progress",),  # reopened
    "dropped": ("planned",),  # taken up again
}
MODERATIONS = ("pre", "post")
INITIAL_STATUS = {"pre": "pending", "post": "published"}
LIMITS = {
    "summary": 20_000,
    "title": 200,
    "body": 20_000,
    "sections": 50,
    "decision": 2_000,
    "decisions": 100,
    "owner": 200,
    "commitments": 100,
    "note": 2_000,
    "comment": 5_000,
    "author_name": 80,
    "reason": 1_000,
}
DRAFT_FIELDS = ("summary", "sections", "decisions", "commitments")


def check_draft(draft, topic_ids=None):
    """The draft's content as it is kept (see the module docstring); DraftInvalid with errors by field.
    ``topic_ids``, if given, are the forum's topics: a section of another topic is refused. A ``version``
    (the one the edit was made on) is left out, for ``check_edit``."""
    errors = {key: ["not a field of drafts"] for key in draft if key not in (*DRAFT_FIELDS, "version")}
    kept = {"summary": _text(errors, "summary", draft.get("summary"), LIMITS["summary"], multiline=True)}
    kept["sections"] = _each(errors, "sections", draft.get("sections"), _section)
    kept["decisions"] = [
        text for text in _each(errors, "decisions", draft.get("decisions"), _decision) if text
    ]
    kept["commitments"] = _each(errors, "commitments", draft.get("commitments"), _commitment)
    seen = set()
    for place, section in enumerate(kept["sections"]):
        topic = section["topic_id"] if isinstance(section, dict) else None
        if not isinstance(topic, str):
            continue
        if topic_ids is not None and topic not in topic_ids:
            errors.setdefault(f"sections.{place}.topic_id", []).append(f"unknown topic {topic}")
        elif topic in seen:
            errors.setdefault(f"sections.{place}.topic_id", []).append(f"topic {topic} has a section already")
        seen.add(topic)
    if errors:
        raise DraftInvalid(errors)
    return kept


def check_edit(current_version, expected_version):
    """The draft's version once this edit is saved; VersionConflict if it was made on another version.
    ``current_version`` is 0 while the forum has no draft; ``expected_version`` None skips the check."""
    if expected_version is not None and expected_version != current_version:
        raise VersionConflict(
            f"the draft is at version {current_version}, this edit was made on version {expected_version}:"
            " reload the draft and apply the edit again"
        )
    return current_version + 1


def prefill_sections(results, titles, existing=()):
    """Sections for the agenda of a round's ``results`` (``{"agenda": [topic_id, ...], ...}``), in agenda
    order, titled by ``titles`` (topic id → title; the id itself when the title is not known yet),
    keeping what ``existing`` sections say; the sections of no agenda topic follow."""
    agenda = list(dict.fromkeys(results.get("agenda") or ()))
    by_topic = {section.get("topic_id"): section for section in existing if section.get("topic_id")}
    sections = [
        dict(by_topic[topic]) if topic in by_topic else {"title": titles.get(topic) or topic, "body": ""}
        for topic in agenda
    ]
    for section, topic in zip(sections, agenda, strict=True):
        section["topic_id"] = topic
    return sections + [dict(section) for section in existing if section.get("topic_id") not in agenda]


def check_seen(current_version, draft_version):
    """VersionConflict if the draft was saved again since ``draft_version``, the version the organiser read
    before asking to publish it. ``current_version`` is 0 while the forum has no draft; ``draft_version``
    None skips the check."""
    if draft_version is not None and draft_version != current_version:
        raise VersionConflict(
            f"the draft changed since version {draft_version}, the one this publishing was asked on: it is at"
            f" version {current_version} now. Nothing is published: read version {current_version} and publish"
            " it again"
        )


def check_publishable(draft):
    """The kept draft, if it can be published; DraftInvalid: nothing in it, or a section left blank."""
    if not (draft["summary"] or any(s["body"] for s in draft["sections"]) or draft["decisions"]
            or draft["commitments"]):  # fmt: skip
        raise DraftInvalid({"_schema": ["nothing to publish: write a summary, a section or a decision"]})
    errors = {f"sections.{place}.body": ["blank: write it or remove the section"]
              for place, section in enumerate(draft["sections"]) if not section["body"]}  # fmt: skip
    if errors:
        raise DraftInvalid(errors)
    return draft


def publish(draft, note, latest=None):
    """The new version ``{"version", "note", "summary", "sections", "decisions", "commitments"}`` of a
    kept ``draft``, after ``latest`` (the latest published version, None before the first); DraftInvalid:
    not publishable, no note from version 2 on, or nothing changed since ``latest``."""
    check_publishable(draft)
    errors = {}
    note = _text(errors, "note", note, LIMITS["note"], multiline=True)
    if latest is not None and not note and "note" not in errors:
        errors["note"] = [f"required from version 2 on: say what changed since version {latest['version']}"]
    if errors:
        raise DraftInvalid(errors)
    content = {field: draft[field] for field in DRAFT_FIELDS}
    if latest is not None and content == {field: latest[field] for field in DRAFT_FIELDS}:
        raise DraftInvalid({"_schema": [f"nothing changed since version {latest['version']}"]})
    return {"version": (latest["version"] if latest else 0) + 1, "note": note, **content}


def change_commitment(status, change, today, last_on=None):
    """The history record ``{"on", "from", "to", "note"}`` of ``change`` (``{"status", "note", "on"?}``)
    to a commitment in ``status`` whose last change was on ``last_on`` (ISO dates; ``on`` defaults to
    ``today``). CommitmentChangeInvalid with errors by field; InvalidTransition if ``status`` does not
    allow it."""
    errors = {}
    if change.get("status") not in STATUSES:
        errors["status"] = [f"one of {', '.join(STATUSES)}"]
    note = _text(errors, "note", change.get("note"), LIMITS["note"], multiline=True)
    if not note and "note" not in errors:
        errors["note"] = ["required: say publicly what changed"]
    on = _date(errors, "on", change.get("on") or today)
    if on and on > _iso(today):
        errors["on"] = [f"in the future (today is {_iso(today)})"]
    elif on and last_on and on < _iso(last_on):
        errors["on"] = [f"before the commitment's last change, on {_iso(last_on)}"]
    if errors:
        raise CommitmentChangeInvalid(errors)
    if change["status"] not in TRANSITIONS[status]:
        allowed = " or ".join(TRANSITIONS[status])
        raise InvalidTransition(f"a {status} commitment can only become {allowed}, not {change['status']}")
    return {"on": on, "from": status, "to": change["status"], "note": note}


def history_line(record):
    """One line of plain text for a change: ``2025-03-02 planned → in_progress: the note``, or
    ``2025-03-02 in_progress: the note`` when the status stays."""
    move = record["to"] if record["from"] == record["to"] else f"{record['from']} → {record['to']}"
    return f"{record['on']} {move}: {' '.join(record['note'].split())}"


def check_moderation(moderation):
    """A forum's moderation choice; SettingsInvalid unless ``pre`` or ``post``."""
    if moderation not in MODERATIONS:
        raise SettingsInvalid({"moderation": [f"one of {', '.join(MODERATIONS)}"]})
    return moderation


def new_comment(body, moderation, target_published, parent=None):
    """A new comment ``{"body", "status", "parent_id"}``; ``parent``: ``{"id", "status", "parent_id"}`` of
    the comment it replies to. CommentNotAllowed on an unpublished target, a hidden or pending comment, a
    reply; CommentInvalid for its body."""
    if not target_published:
        raise CommentNotAllowed("comments open once the restitution is published")
    if parent is not None:
        if parent["parent_id"] is not None:
            raise CommentNotAllowed("a reply takes no reply: answer the comment it replies to")
        if parent["status"] != "published":
            raise CommentNotAllowed(f"a {parent['status']} comment takes no reply")
    errors = {}
    body = _text(errors, "body", body, LIMITS["comment"], multiline=True)
    if not body and "body" not in errors:
        errors["body"] = ["blank"]
    if errors:
        raise CommentInvalid(errors)
    return {"body": body, "status": INITIAL_STATUS[moderation], "parent_id": parent and parent["id"]}


def display_name(name):
    """The name a commenter chose to show (one line, trimmed), or None for none; CommentInvalid beyond
    its limit or with a control character."""
    errors = {}
    name = _text(errors, "author_name", name, LIMITS["author_name"])
    if errors:
        raise CommentInvalid(errors)
    return name or None


def approve_comment(status):
    """A pending comment's new status (published); InvalidTransition for any other."""
    if status != "pending":
        raise InvalidTransition(f"a {status} comment is not waiting for moderation")
    return "published"


def hide_comment(status, reason):
    """``{"status": "hidden", "reason"}`` for a pending or published comment; InvalidTransition if hidden
    already, CommentInvalid without a public reason."""
    if status == "hidden":
        raise InvalidTransition("this comment is hidden already")
    errors = {}
    reason = _text(errors, "reason", reason, LIMITS["reason"], multiline=True)
    if not reason and "reason" not in errors:
        errors["reason"] = ["required: it is shown in place of the comment"]
    if errors:
        raise CommentInvalid(errors)
    return {"status": "hidden", "reason": reason}


def attendance_rows(registered, checked_in):
    """Rows ``{"stakeholder_group", "registered", "checked_in"}`` from counts by group (group → n)."""
    others = sorted((set(registered) | set(checked_in)) - set(GROUPS))
    return [
        {
            "stakeholder_group": group,
            "registered": registered.get(group, 0),
            "checked_in": checked_in.get(group, 0),
        }
        for group in (*GROUPS, *others)
    ]


def _section(errors, field, section):
    if not isinstance(section, dict):
        errors[field] = ["a section: title, body, topic_id"]
        return None
    errors.update({f"{field}.{key}": ["not a field of sections"] for key in section
                   if key not in ("title", "body", "topic_id")})  # fmt: skip
    title = _text(errors, f"{field}.title", section.get("title"), LIMITS["title"], required=True)
    body = _text(errors, f"{field}.body", section.get("body"), LIMITS["body"], multiline=True)
    topic = section.get("topic_id")
    if topic is not None and (not isinstance(topic, str) or not topic):
        errors[f"{field}.topic_id"] = ["a topic id"]
    return {"title": title, "body": body, "topic_id": topic}


def _decision(errors, field, decision):
    return _text(errors, field, decision, LIMITS["decision"], multiline=True)


def _commitment(errors, field, commitment):
    if not isinstance(commitment, dict):
        errors[field] = ["a commitment: title, owner, due_on, status"]
        return None
    known = ("title", "owner", "due_on", "status", "id")
    errors.update(
        {f"{field}.{key}": ["not a field of commitments"] for key in commitment if key not in known}
    )
    kept = {
        "title": _text(errors, f"{field}.title", commitment.get("title"), LIMITS["title"], required=True),
        "owner": _text(errors, f"{field}.owner", commitment.get("owner"), LIMITS["owner"], required=True),
        "due_on": _date(errors, f"{field}.due_on", commitment.get("due_on")),
        "status": commitment.get("status") or "planned",
    }
    if kept["status"] not in STATUSES:
        errors[f"{field}.status"] = [f"one of {', '.join(STATUSES)}"]
    if commitment.get("id") is not None:  # a commitment of the register, carried into this draft
        kept["id"] = commitment["id"]
    return kept


def _each(errors, field, values, check):
    """``check(errors, field.i, value)`` for each value of a list (None is an empty list), capped by LIMITS."""
    if values is None:
        return []
    if not isinstance(values, list):
        errors[field] = ["a list"]
        return []
    if len(values) > LIMITS[field]:
        errors[field] = [f"at most {LIMITS[field]}"]
    return [check(errors, f"{field}.{place}", value) for place, value in enumerate(values)]


def _text(errors, field, value, limit, multiline=False, required=False):
    """The text as kept (trimmed; see the module docstring), or "" with its error filed."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = ["a text"]
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not multiline:
        value = " ".join(value.split())
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
        errors[field] = ["no control characters"]
    elif len(value) > limit:
        errors[field] = [f"at most {limit} characters ({len(value)} given)"]
    elif required and not value:
        errors[field] = ["required"]
    return value


def _date(errors, field, value):
    """An ISO date (``YYYY-MM-DD``) from a date or its text, or None with its error filed."""
    try:
        return _iso(value)
    except (TypeError, ValueError):
        errors[field] = ["a date, YYYY-MM-DD"]
        return None


def _iso(value):
    if isinstance(value, date):
        return value.isoformat()[:10]
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError(value)
    return date.fromisoformat(value).isoformat()
