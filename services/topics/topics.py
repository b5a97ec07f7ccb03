"""Proposals and their moderation. A participant's proposal waits for an organiser; an organiser's is
published at once. Each use case reads through ``store``, decides, writes, then emits."""

from kit.serial import jsonable
from services.topics import rules, store
from services.topics.errors import ForumNotFound, InvalidTransition, NothingToChange, TopicNotFound
from services.topics.people import participant
from services.topics.views import topic_event_block, topic_view

FINAL_FORUMS = ("held", "cancelled")


def forum_for_topics(tx, forum_id):
    forum = store.forums.read(tx.cur, forum_id)
    if forum is None:
        raise ForumNotFound(f"no forum {forum_id}")
    return forum


def propose(tx, forum_id, data, token=None):
    """A topic for the forum (``forum_id`` None: the series backlog); ``token`` None: an organiser's."""
    if forum_id is not None and forum_for_topics(tx, forum_id)["status"] in FINAL_FORUMS:
        raise InvalidTransition("this forum has ended: propose the topic for the backlog or a coming forum")
    if token is None:
        topic = store.topics.insert(tx.cur, forum_id, data, "organiser", None, "published", tx.now)
        tx.emit("topic_published", {"topic": topic_event_block(topic)})
        tx.record("topic_published", topic["id"], {"title": topic["title"]})
    else:
        person = participant(tx, token)
        topic = store.topics.insert(
            tx.cur, forum_id, data, "participant", person["person_id"], "proposed", tx.now
        )
        tx.emit("topic_proposed", {"topic": topic_event_block(topic)})
    return topic_view(topic)


def moderated(tx, topic_id):
    topic = store.topics.read(tx.cur, topic_id, lock=True)
    if topic is None:
        raise TopicNotFound(f"no topic {topic_id}")
    if topic["status"] != "proposed":
        raise InvalidTransition(f"this topic is {topic['status']}: only a proposed topic is moderated")
    return topic


def publish(tx, topic_id):
    moderated(tx, topic_id)
    topic = store.topics.publish(tx.cur, topic_id, tx.now)
    tx.emit("topic_published", {"topic": topic_event_block(topic)})
    tx.record("topic_published", topic_id, {"title": topic["title"]})
    return topic_view(topic)


def reject(tx, topic_id, reason):
    moderated(tx, topic_id)
    topic = store.topics.reject(tx.cur, topic_id, reason, tx.now)
    tx.emit("topic_rejected", {"topic": topic_event_block(topic), "reason": reason})
    tx.record("topic_rejected", topic_id, {"reason": reason})
    return topic_view(topic)


def listing(tx, forum_id=None):
    """The forum's published topics (``forum_id`` None: the series backlog's), in publication order."""
    if forum_id is not None:
        forum_for_topics(tx, forum_id)
    return {"items": [topic_view(row) for row in store.topics.of_forum(tx.cur, forum_id, "published")]}


def moderation_queue(tx, forum_id=None):
    """Proposals awaiting an organiser, oldest first."""
    return {"items": [topic_view(row) for row in store.topics.awaiting_moderation(tx.cur, forum_id)]}


EDITABLE = ("title", "description", "commitment_ref")


def found(tx, topic_id, lock=False):
    topic = store.topics.read(tx.cur, topic_id, lock=lock)
    if topic is None:
        raise TopicNotFound(f"no topic {topic_id}")
    return topic


def with_history(tx, rows):
    """Topic views with their change notes and their way through the series."""
    ids = [row["id"] for row in rows]
    changes, history = store.topics.changes_of(tx.cur, ids), store.topics.history_of(tx.cur, ids)
    return [
        topic_view(row)
        | jsonable({"changes": changes.get(row["id"], []), "history": history.get(row["id"], [])})
        for row in rows
    ]


def get(tx, topic_id, organiser=False):
    """A topic with its history; one awaiting moderation is the organisers' to see."""
    topic = found(tx, topic_id)
    if topic["status"] == "proposed" and not organiser:
        raise TopicNotFound(f"no topic {topic_id}")
    return with_history(tx, [topic])[0]


def edit(tx, topic_id, changes, note):
    """An organiser's edit, with a public note saying why; the fields as they were stay visible."""
    topic = found(tx, topic_id, lock=True)
    if topic["status"] not in ("proposed", "published"):
        raise InvalidTransition(f"this topic is {topic['status']}: it is no longer edited")
    changed = {key: value for key, value in changes.items() if key in EDITABLE and value != topic[key]}
    if not changed:  # a note about nothing would be kept nowhere: say so rather than drop it
        raise NothingToChange("the topic already says this: nothing was changed, and the note was not kept")
    topic = store.topics.edit(tx.cur, topic_id, changed, note, {key: topic[key] for key in changed}, tx.now)
    tx.emit("topic_edited", {"topic": topic_event_block(topic), "note": note, "changes": sorted(changed)})
    tx.record("topic_edited", topic_id, {"changes": sorted(changed), "note": note})
    return get(tx, topic_id, organiser=True)


def merge(tx, topic_id, into):
    """A duplicate merged into another topic: the duplicate's ballots and paper counts in open rounds go
    to the topic it joins (``rules.follow_merge``), within each round's limits."""
    if str(topic_id) == str(into):
        raise InvalidTransition("a topic cannot be merged into itself")
    source, target = found(tx, topic_id, lock=True), found(tx, into, lock=True)
    for topic in (source, target):
        if topic["status"] not in ("proposed", "published"):
            raise InvalidTransition(f"topic {topic['id']} is {topic['status']}: it cannot be merged")
    if source["status"] == "published" and target["status"] != "published":
        raise InvalidTransition("a published topic is merged into a published one: publish that one first")
    for row in store.rounds.open_with(tx.cur, source["id"]):
        follow_in_round(tx, row, str(source["id"]), str(target["id"]))
    merged = store.topics.merge(tx.cur, topic_id, target["id"], tx.now)
    tx.emit("topic_merged", {"topic": topic_event_block(merged), "into": topic_event_block(target)})
    tx.record("topic_merged", topic_id, {"into": str(target["id"])})
    return get(tx, topic_id, organiser=True)


def follow_in_round(tx, row, source, target):
    store.rounds.hold(tx.cur, row["id"], exclusive=True)  # no ballot taken meanwhile against the old topics
    method, params = row["method"], {key: row[key] for key in rules.PARAMETERS[row["method"]]}
    topics = [str(topic) for topic in row["topic_ids"]]
    store.rounds.set_topics(tx.cur, row["id"], rules.merged_topics(topics, source, target))
    for ballot in store.rounds.ballots_with_ids(tx.cur, row["id"]):
        followed = rules.follow_merge(method, params, ballot["content"], source, target)
        if followed != ballot["content"]:
            store.rounds.rewrite_ballot(tx.cur, ballot["id"], followed)
    for group, tally in store.rounds.paper(tx.cur, row["id"]):
        store.rounds.keep_paper(
            tx.cur, row["id"], group, rules.follow_merge_paper(method, params, tally, source, target)
        )


def carry_over(tx, topic_id, why, to_forum_id=None):
    """A published topic the forum did not put on its agenda goes to the next forum (or the backlog) with
    where it stood in the forum's last round and the organiser's public answer: why not this time."""
    topic = found(tx, topic_id, lock=True)
    if topic["status"] != "published" or topic["forum_id"] is None:
        raise InvalidTransition("only a published topic of a forum carries over")
    if to_forum_id is not None:
        if str(to_forum_id) == str(topic["forum_id"]):
            raise InvalidTransition("the topic is already this forum's")
        if forum_for_topics(tx, to_forum_id)["status"] in FINAL_FORUMS:
            raise InvalidTransition(
                "that forum has ended: carry the topic over to a coming one or the backlog"
            )
    standing = standing_in(tx, topic)
    if standing.get("on_agenda"):
        raise InvalidTransition("this topic is on the forum's agenda: it does not carry over")
    store.topics.record_history(tx.cur, topic["id"], topic["forum_id"], standing, why, to_forum_id, tx.now)
    moved = store.topics.move(tx.cur, topic_id, to_forum_id, tx.now)
    del standing["on_agenda"]
    tx.emit(
        "topic_carried_over",
        {"topic": topic_event_block(moved), "from_forum_id": topic["forum_id"], "to_forum_id": to_forum_id,
         "why": why, "standing": standing},
    )  # fmt: skip
    tx.record("topic_carried_over", topic_id, {"to": str(to_forum_id) if to_forum_id else None, "why": why})
    return get(tx, topic_id, organiser=True)


def standing_in(tx, topic):
    """Where the topic stood in its forum's last closed round: round, method, score, rank, on the agenda."""
    row = store.rounds.last_closed_of_forum(tx.cur, topic["forum_id"])
    topic_id = str(topic["id"])
    if row is None or topic_id not in [str(t) for t in row["topic_ids"]]:
        return {"on_agenda": False}
    ranking = [entry["topic_id"] for entry in row["results"]["ranking"]]
    rank = ranking.index(topic_id) + 1
    score = row["results"]["ranking"][rank - 1]["score"]
    return {"round_id": row["id"], "method": row["method"], "score": score, "rank": rank,
            "on_agenda": topic_id in row["results"]["agenda"]}  # fmt: skip
