"""Topics (table ``topics``): proposals, their moderation, the published ones in publication order."""

import uuid

from psycopg.types.json import Jsonb

from kit.serial import jsonable

COLUMNS = (
    "id, forum_id, title, description, commitment_ref, status, proposed_by, proposer_id, rejection_reason,"
    " merged_into, published_seq, published_at, created_at, updated_at"
)


def insert(cur, forum_id, data, proposed_by, proposer_id, status, now):
    published = status == "published"
    return cur.execute(
        "INSERT INTO topics (id, forum_id, title, description, commitment_ref, status, proposed_by,"
        " proposer_id, published_seq, published_at, created_at, updated_at)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s, %s, {'nextval(%s)' if published else '%s'}, %s, %s, %s)"
        f" RETURNING {COLUMNS}",
        (
            uuid.uuid4(), forum_id, data["title"], data.get("description", ""), data.get("commitment_ref"),
            status, proposed_by, proposer_id, "topics_published_seq" if published else None,
            now if published else None, now, now,
        ),
    ).fetchone()  # fmt: skip


def read(cur, topic_id, lock=False):
    return cur.execute(
        f"SELECT {COLUMNS} FROM topics WHERE id = %s{' FOR UPDATE' if lock else ''}", (topic_id,)
    ).fetchone()


def publish(cur, topic_id, now):
    return cur.execute(
        "UPDATE topics SET status = 'published', published_seq = nextval('topics_published_seq'),"
        f" published_at = %s, updated_at = %s WHERE id = %s RETURNING {COLUMNS}",
        (now, now, topic_id),
    ).fetchone()


def reject(cur, topic_id, reason, now):
    return cur.execute(
        "UPDATE topics SET status = 'rejected', rejection_reason = %s, updated_at = %s"
        f" WHERE id = %s RETURNING {COLUMNS}",
        (reason, now, topic_id),
    ).fetchone()


def of_forum(cur, forum_id, status):
    """The forum's topics of ``status``, in publication order (then creation order)."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM topics WHERE forum_id IS NOT DISTINCT FROM %s AND status = %s"
        " ORDER BY published_seq NULLS LAST, created_at, id",
        (forum_id, status),
    ).fetchall()


def published_ids(cur, forum_id):
    """The forum's published topics' ids, in publication order (a round is opened over them)."""
    rows = cur.execute(
        "SELECT id FROM topics WHERE forum_id = %s AND status = 'published' ORDER BY published_seq",
        (forum_id,),
    ).fetchall()
    return [row["id"] for row in rows]


def several(cur, topic_ids):
    return cur.execute(f"SELECT {COLUMNS} FROM topics WHERE id = ANY(%s)", (list(topic_ids),)).fetchall()


def awaiting_moderation(cur, forum_id=None):
    return cur.execute(
        f"SELECT {COLUMNS} FROM topics WHERE status = 'proposed'"
        " AND (%s::uuid IS NULL OR forum_id = %s) ORDER BY created_at, id",
        (forum_id, forum_id),
    ).fetchall()


def of_proposer(cur, person_id):
    return cur.execute(
        f"SELECT {COLUMNS} FROM topics WHERE proposer_id = %s ORDER BY created_at", (person_id,)
    ).fetchall()


def forget_proposer(cur, person_id):
    """Erasure: the topics stay, naming nobody."""
    cur.execute("UPDATE topics SET proposer_id = NULL WHERE proposer_id = %s", (person_id,))


def edit(cur, topic_id, changes, note, previous, now):
    """The changed fields, and the change note with the fields as they were (public, in its history)."""
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    topic = cur.execute(
        f"UPDATE topics SET {assignments}, updated_at = %(now)s WHERE id = %(id)s RETURNING {COLUMNS}",
        changes | {"now": now, "id": topic_id},
    ).fetchone()
    cur.execute(
        "INSERT INTO topic_changes (topic_id, at, note, previous) VALUES (%s, %s, %s, %s)",
        (topic_id, now, note, Jsonb(jsonable(previous))),
    )
    return topic


def changes_of(cur, topic_ids):
    """Each topic's change notes, oldest first: {topic id: [{"at", "note", "previous"}]}."""
    rows = cur.execute(
        "SELECT topic_id, at, note, previous FROM topic_changes WHERE topic_id = ANY(%s) ORDER BY id",
        (list(topic_ids),),
    ).fetchall()
    found = {}
    for row in rows:
        found.setdefault(row["topic_id"], []).append({key: row[key] for key in ("at", "note", "previous")})
    return found


def merge(cur, topic_id, into, now):
    return cur.execute(
        "UPDATE topics SET status = 'merged', merged_into = %s, updated_at = %s"
        f" WHERE id = %s RETURNING {COLUMNS}",
        (into, now, topic_id),
    ).fetchone()


def move(cur, topic_id, forum_id, now):
    return cur.execute(
        f"UPDATE topics SET forum_id = %s, updated_at = %s WHERE id = %s RETURNING {COLUMNS}",
        (forum_id, now, topic_id),
    ).fetchone()


def record_history(cur, topic_id, forum_id, standing, why, to_forum_id, now):
    cur.execute(
        "INSERT INTO topic_history (topic_id, forum_id, round_id, method, score, rank, why, to_forum_id, at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (topic_id, forum_id, standing.get("round_id"), standing.get("method"), standing.get("score"),
         standing.get("rank"), why, to_forum_id, now),
    )  # fmt: skip


def history_of(cur, topic_ids):
    """Each topic's way through the series, oldest first: {topic id: [{...}]}."""
    rows = cur.execute(
        "SELECT topic_id, forum_id, round_id, method, score, rank, why, to_forum_id, at FROM topic_history"
        " WHERE topic_id = ANY(%s) ORDER BY id",
        (list(topic_ids),),
    ).fetchall()
    found = {}
    for row in rows:
        found.setdefault(row["topic_id"], []).append({key: row[key] for key in row if key != "topic_id"})
    return found
