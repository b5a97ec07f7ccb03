"""The discussion of restitutions (table ``comments``) and each forum's moderation (``comment_settings``)."""

import uuid

COLUMNS = (
    "id, forum_id, commitment_id, parent_id, author_id, author_name, stakeholder_group, notify_replies,"
    " body, status, hidden_reason, created_at, published_at, moderated_at, moderated_by"
)


def moderation(cur, forum_id):
    """The forum's moderation, or None when organisers never chose one."""
    row = cur.execute("SELECT moderation FROM comment_settings WHERE forum_id = %s", (forum_id,)).fetchone()
    return row and row["moderation"]


def set_moderation(cur, forum_id, moderation, now):
    cur.execute(
        "INSERT INTO comment_settings (forum_id, moderation, updated_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (forum_id) DO UPDATE SET moderation = excluded.moderation, updated_at = excluded.updated_at",
        (forum_id, moderation, now),
    )


def insert(cur, forum_id, comment, author, now):
    """``comment``: ``{"body", "status", "parent_id", "commitment_id", "author_name", "notify_replies"}``;
    ``author``: the participant (``kit.people``)."""
    return cur.execute(
        f"INSERT INTO comments ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, NULL, NULL)"
        f" RETURNING {COLUMNS}",
        (uuid.uuid4(), forum_id, comment["commitment_id"], comment["parent_id"], author["person_id"],
         comment["author_name"], author["stakeholder_group"], comment["notify_replies"], comment["body"],
         comment["status"], now, now if comment["status"] == "published" else None),
    ).fetchone()  # fmt: skip


def read(cur, comment_id, lock=False):
    return cur.execute(
        f"SELECT {COLUMNS} FROM comments WHERE id = %s{' FOR UPDATE' if lock else ''}", (comment_id,)
    ).fetchone()


def public_of(cur, forum_id):
    """The forum's discussion as anyone sees it: published and hidden comments, oldest first."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM comments WHERE forum_id = %s AND status <> 'pending' ORDER BY created_at, id",
        (forum_id,),
    ).fetchall()


def pending(cur, forum_id, limit):
    """What waits for moderation, oldest first (one forum's, or every forum's with ``forum_id`` None)."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM comments WHERE status = 'pending' AND (%s::uuid IS NULL OR forum_id = %s)"
        " ORDER BY created_at, id LIMIT %s",
        (forum_id, forum_id, limit),
    ).fetchall()


def moderate(cur, comment_id, status, reason, now, actor):
    """The comment published or hidden by an organiser (``reason``: a hidden one's public reason)."""
    return cur.execute(
        "UPDATE comments SET status = %s, hidden_reason = %s, moderated_at = %s, moderated_by = %s,"
        " published_at = CASE WHEN %s = 'published' THEN %s ELSE published_at END"
        f" WHERE id = %s RETURNING {COLUMNS}",
        (status, reason, now, actor, status, now, comment_id),
    ).fetchone()


def forget_author(cur, person_id):
    """An erased person's comments stay (a discussion keeps its replies) but lose their author."""
    cur.execute(
        "UPDATE comments SET author_id = NULL, author_name = NULL, stakeholder_group = NULL,"
        " notify_replies = false WHERE author_id = %s",
        (person_id,),
    )


def of_author(cur, person_id):
    return cur.execute(
        f"SELECT {COLUMNS} FROM comments WHERE author_id = %s ORDER BY created_at", (person_id,)
    ).fetchall()
