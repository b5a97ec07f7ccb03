"""Drafts and publishing. One draft per forum, saved whole by organisers, each save naming the version it
was made on (``rules.check_edit``: two organisers do not overwrite each other silently). Publishing makes
an immutable numbered version that carries the facts as they stood (attendance by group, the forum's
closed round with its topics' titles); the commitments it makes join the series' register. It names the
draft's version the organiser confirmed (``rules.check_seen``): a draft saved since is not published."""

from kit.serial import jsonable
from services.restitution import markdown, rules, store
from services.restitution.errors import DraftInvalid, ForumNotFound
from services.restitution.public import published_view

EMPTY = {"summary": "", "sections": [], "decisions": [], "commitments": []}


def forum_of(tx, forum_id):
    forum = store.facts.forum(tx.cur, forum_id)
    if forum is None:
        raise ForumNotFound(f"no forum {forum_id}")
    return forum


def draft(tx, forum_id):
    """The forum's draft (organisers); before the first save, one with a section per topic the forum's
    closed round put on its agenda. ``facts``: what a version published now would state besides the draft
    (attendance, the round's results, the topics carried over), for the organiser to see before publishing."""
    forum_of(tx, forum_id)
    facts = {"facts": facts_of(tx, forum_id)}
    row = store.drafts.read(tx.cur, forum_id)
    if row is not None:
        return jsonable({"forum_id": forum_id, "version": row["version"]} | row["content"] | facts)
    round_ = store.facts.last_round(tx.cur, forum_id)
    sections = []
    if round_ is not None:
        titles = store.facts.titles(tx.cur, round_["results"].get("agenda") or ())
        sections = rules.prefill_sections(round_["results"], titles)
    return jsonable({"forum_id": forum_id, "version": 0} | EMPTY | {"sections": sections} | facts)


def save(tx, forum_id, content, expected_version=None):
    forum_of(tx, forum_id)
    current = store.drafts.read(tx.cur, forum_id, lock=True)
    version = rules.check_edit(current["version"] if current else 0, expected_version)
    kept = rules.check_draft(content)
    row = store.drafts.save(tx.cur, forum_id, version, kept, tx.now, tx.actor)
    tx.record("restitution_draft_saved", forum_id, {"version": version})
    return jsonable({"forum_id": forum_id, "version": row["version"]} | row["content"])


def publish(tx, forum_id, note, draft_version=None):
    """Version n + 1 of the forum's restitution, from its draft and the facts as they stand; with
    ``draft_version``, only if the draft is still at that version."""
    forum = forum_of(tx, forum_id)
    store.drafts.lock_forum(tx.cur, forum_id)
    # the draft's row locked until commit: a save waits, rather than slipping in between the check and
    # what is published (or having its commitments overwritten by those named below)
    row = store.drafts.read(tx.cur, forum_id, lock=True)
    rules.check_seen(row["version"] if row else 0, draft_version)
    latest = store.drafts.latest(tx.cur, forum_id)
    previous = ({"version": latest["version"]} | {k: latest["content"][k] for k in rules.DRAFT_FIELDS}
                if latest else None)  # fmt: skip
    version = rules.publish(row["content"] if row else EMPTY, note, previous)
    content = {key: version[key] for key in rules.DRAFT_FIELDS} | facts_of(tx, forum_id)
    kept = [
        store.commitments.keep(tx.cur, forum_id, place, c, tx.now)
        for place, c in enumerate(version["commitments"])
    ]
    if None in kept:
        place = kept.index(None)
        raise DraftInvalid({f"commitments.{place}.id": ["not a commitment of this forum's restitution"]})
    content["commitment_ids"] = [str(row["id"]) for row in kept]
    # the draft now names them, so that the next version changes these commitments rather than making others
    named = jsonable([c | {"id": row["id"]} for c, row in zip(version["commitments"], kept, strict=True)])
    store.drafts.name_commitments(tx.cur, forum_id, named)
    content["commitments"] = named
    store.drafts.insert_version(tx.cur, forum_id, version["version"], version["note"], jsonable(content), tx.now,
                                tx.actor)  # fmt: skip
    tx.emit(
        "restitution_published",
        {"forum_id": forum_id, "title": forum["title"], "version": version["version"], "note": version["note"],
         "summary": markdown.to_text(version["summary"]), "commitments": len(version["commitments"])},
    )  # fmt: skip
    tx.record(
        "restitution_published", forum_id, {"version": version["version"], "draft_version": row["version"]}
    )
    return published_view(tx, store.drafts.version(tx.cur, forum_id, version["version"]))


def facts_of(tx, forum_id):
    """What the version states that nobody typed: attendance by group, the closed round's results, the
    topics the forum carried onward and those earlier forums carried to it."""
    registered, checked_in = store.facts.attendance(tx.cur, forum_id)
    facts = {"attendance": rules.attendance_rows(registered, checked_in), "results": None}
    facts["carried_over"] = jsonable([dict(row) for row in store.facts.carried_from(tx.cur, forum_id)])
    facts["carried_in"] = jsonable([dict(row) for row in store.facts.carried_to(tx.cur, forum_id)])
    round_ = store.facts.last_round(tx.cur, forum_id)
    if round_ is not None:
        results = round_["results"]
        ranked = [entry["topic_id"] for entry in results.get("ranking", ())]
        facts["results"] = {"round_id": round_["round_id"], "method": round_["method"], "closed_at": round_["closed_at"],
                            "titles": store.facts.titles(tx.cur, ranked)} | results  # fmt: skip
    return facts
