"""Rows as the outside world sees them (RPC answers), and the blocks events are made of."""

from kit.serial import jsonable

TOPIC_KEYS = ("id", "forum_id", "title", "description", "commitment_ref", "status", "proposed_by")


def topic_event_block(row):
    """The topic as events carry it (services.topics.events.Topic)."""
    return {key: row[key] for key in TOPIC_KEYS} | {"proposer_id": row["proposer_id"]}


def topic_view(row):
    """A topic as anyone may see it once published: never who proposed it."""
    extra = ("rejection_reason", "merged_into", "published_at", "created_at", "updated_at")
    return jsonable({key: row[key] for key in (*TOPIC_KEYS, *extra)})


def round_view(row, participation=None):
    """A round; its results once closed (or while open, when the organiser chose to show them, added by
    the caller); ``participation`` (ballots per group) for organisers."""
    keys = (
        "id", "forum_id", "method", "max_choices", "budget", "max_per_topic", "agenda_size", "agenda_from",
        "show_running", "topic_ids", "status", "opened_at", "closes_at", "closed_at", "closed_by",
    )  # fmt: skip
    view = {key: row[key] for key in keys if row[key] is not None or key in ("status", "closed_at")}
    if participation is not None:
        view["participation"] = participation
    return jsonable(view)
