"""What anyone may read: the published versions of a forum's restitution (the latest, or any earlier one),
the series' index, and the commitments of the whole series with their current status and history (every
restitution reports on the commitments of earlier forums too)."""

from datetime import date
from uuid import UUID

from kit import spreadsheet
from kit.serial import jsonable
from services.restitution import comments, markdown, rules, store
from services.restitution.errors import CommitmentNotFound, RestitutionNotFound

SCHEMA_VERSION = 1  # of the JSON answered here (published at /api/v1/restitution.schema.json)


def commitment_view(row, history):
    return jsonable({key: row[key] for key in ("id", "forum_id", "title", "owner", "due_on", "status")}
                    | {"history": history})  # fmt: skip


def register(tx):
    """Every commitment of the series, oldest first, with its history."""
    rows = store.commitments.everything(tx.cur)
    histories = store.commitments.histories(tx.cur, [row["id"] for row in rows])
    return [commitment_view(row, histories.get(row["id"], [])) for row in rows]


def published_view(tx, row):
    """A published version as the outside sees it: its text (Markdown, and as safe HTML), the facts it
    states, its own commitments as they stand now, and those of earlier forums."""
    content, forum_id = row["content"], row["forum_id"]
    forum = store.facts.forum(tx.cur, forum_id)
    mine = set(content.get("commitment_ids", ()))
    everything = register(tx)
    own = [c for c in everything if c["id"] in mine]
    earlier = [c for c in everything if c["id"] not in mine and c["forum_id"] != str(forum_id)]
    sections = [section | {"html": markdown.to_html(section["body"])} for section in content["sections"]]
    keys = ("id", "title", "starts_at", "ends_at", "timezone")
    return jsonable({
        "schema_version": SCHEMA_VERSION,
        "forum": {key: forum[key] for key in keys} if forum else {"id": forum_id},
        "version": row["version"],
        "note": row["note"],
        "published_at": row["published_at"],
        "versions": [dict(v) for v in store.drafts.versions(tx.cur, forum_id)],
        "summary": content["summary"],
        "summary_html": markdown.to_html(content["summary"]),
        "sections": sections,
        "decisions": content["decisions"],
        "commitments": own,
        "earlier_commitments": earlier,
        "attendance": content["attendance"],
        "results": content["results"],
        "carried_over": content.get("carried_over", []),
        "carried_in": content.get("carried_in", []),
    })  # fmt: skip


def latest(tx, forum_id):
    row = store.drafts.latest(tx.cur, forum_id)
    if row is None:
        raise RestitutionNotFound(f"no restitution of forum {forum_id} is published")
    return published_view(tx, row)


def version(tx, forum_id, number):
    row = store.drafts.version(tx.cur, forum_id, int(number))
    if row is None:
        raise RestitutionNotFound(f"no version {number} of forum {forum_id}'s restitution")
    return published_view(tx, row)


def page(tx, forum_id, number=None):
    """What a restitution's page shows, in one call: the version (the latest without ``number``), the
    forum's discussion as anyone sees it, and its moderation (whether comments are read before they show)."""
    shown = latest(tx, forum_id) if number is None else version(tx, forum_id, number)
    discussion = comments.public(tx, forum_id)["items"]
    return {
        "restitution": shown,
        "discussion": discussion,
        "moderation": comments.settings(tx, forum_id)["moderation"],
    }


def index(tx):
    """Every forum with a published restitution, by date of the forum."""
    rows = store.drafts.index(tx.cur)
    forums = store.facts.forums_by_id(tx.cur, [row["forum_id"] for row in rows])
    items = [
        {"forum_id": row["forum_id"], "version": row["version"], "published_at": row["published_at"],
         "title": forums[row["forum_id"]]["title"] if row["forum_id"] in forums else "",
         "starts_at": forums[row["forum_id"]]["starts_at"] if row["forum_id"] in forums else None,
         "timezone": forums[row["forum_id"]]["timezone"] if row["forum_id"] in forums else None}
        for row in rows
    ]  # fmt: skip
    items.sort(key=lambda item: (item["starts_at"] is None, item["starts_at"] or 0))
    return jsonable({"items": items})


FEED_SIZE = 50
SUMMARY_WORDS = 40


def feed(tx):
    """The series' news, newest first: each published version and each recorded change of a commitment
    (at most ``FEED_SIZE`` in all). Text only: a version's note, or the first words of its summary."""
    versions = [
        {"kind": "version", "forum_id": row["forum_id"], "forum_title": row["forum_title"],
         "version": row["version"], "summary": row["note"] or first_words(row["summary"]),
         "updated": row["published_at"]}
        for row in store.drafts.recent(tx.cur, FEED_SIZE)
    ]  # fmt: skip
    changes = [
        {"kind": "commitment_change", "id": row["id"], "commitment_id": row["commitment_id"],
         "forum_id": row["forum_id"], "title": row["title"], "on": row["on_date"], "from": row["from_status"],
         "to": row["to_status"], "note": row["note"], "updated": row["recorded_at"]}
        for row in store.commitments.recent_changes(tx.cur, FEED_SIZE)
    ]  # fmt: skip
    newest = sorted(versions + changes, key=lambda entry: entry["updated"], reverse=True)
    return jsonable({"items": newest[:FEED_SIZE]})


def first_words(text):
    words = markdown.to_text(text or "").split()
    return " ".join(words[:SUMMARY_WORDS]) + (" …" if len(words) > SUMMARY_WORDS else "")


CSV_HEADER = ("id", "forum_id", "title", "owner", "due_on", "status", "last_change")


def commitments(tx):
    return {"items": register(tx)}


def commitments_page(tx):
    """The register as its page shows it, in one call: every commitment, and the forums that made them
    (``{forum id: {"title", "starts_at", "timezone"}}``)."""
    items = register(tx)
    forums = store.facts.forums_by_id(tx.cur, {UUID(c["forum_id"]) for c in items})
    keys = ("title", "starts_at", "timezone")
    return jsonable(
        {"items": items, "forums": {str(i): {k: row[k] for k in keys} for i, row in forums.items()}}
    )


def commitments_csv(tx):
    rows = [
        (c["id"], c["forum_id"], c["title"], c["owner"], c["due_on"], c["status"],
         rules.history_line(c["history"][-1]) if c["history"] else "")
        for c in register(tx)
    ]  # fmt: skip
    return spreadsheet.as_csv(CSV_HEADER, rows)


def attendance_csv(tx, forum_id):
    row = store.drafts.latest(tx.cur, forum_id)
    if row is None:
        raise RestitutionNotFound(f"no restitution of forum {forum_id} is published")
    rows = [(a["stakeholder_group"], a["registered"], a["checked_in"]) for a in row["content"]["attendance"]]
    return spreadsheet.as_csv(("stakeholder_group", "registered", "checked_in"), rows)


def update_commitment(tx, commitment_id, change):
    """An organiser's dated change of a commitment, with its public note."""
    row = store.commitments.read(tx.cur, commitment_id, lock=True)
    if row is None:
        raise CommitmentNotFound(f"no commitment {commitment_id}")
    record = rules.change_commitment(
        row["status"], change, tx.today, store.commitments.last_change_on(tx.cur, commitment_id)
    )
    row = store.commitments.change(tx.cur, commitment_id, record, tx.now)
    view = commitment_view(row, store.commitments.histories(tx.cur, [commitment_id]).get(row["id"], []))
    change = {
        "on": date.fromisoformat(record["on"]),
        "from_status": record["from"],
        "to_status": record["to"],
        "note": record["note"],
    }
    tx.emit("commitment_updated", {"commitment": row, "change": change})
    tx.record("commitment_updated", commitment_id, {"to": record["to"]})
    return view
