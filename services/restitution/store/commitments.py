"""The series' register of commitments (table ``commitments``) and each one's history (``commitment_changes``)."""

import uuid

COLUMNS = "id, forum_id, position, title, owner, due_on, status, created_at, updated_at"


def of_forum(cur, forum_id):
    return cur.execute(
        f"SELECT {COLUMNS} FROM commitments WHERE forum_id = %s ORDER BY position", (forum_id,)
    ).fetchall()


def keep(cur, forum_id, position, commitment, now):
    """The restitution's commitment: made (without an ``id``), or, with the ``id`` of one this forum made,
    its title, owner, due date and place as now published (its status moves only by recorded changes).
    None for an ``id`` this forum did not make."""
    if commitment.get("id") is None:
        return cur.execute(
            "INSERT INTO commitments (id, forum_id, position, title, owner, due_on, status, created_at,"
            f" updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
            (uuid.uuid4(), forum_id, position, commitment["title"], commitment["owner"], commitment["due_on"],
             commitment["status"], now, now),
        ).fetchone()  # fmt: skip
    return cur.execute(
        "UPDATE commitments SET position = %s, title = %s, owner = %s, due_on = %s, updated_at = %s"
        f" WHERE id = %s AND forum_id = %s RETURNING {COLUMNS}",
        (
            position,
            commitment["title"],
            commitment["owner"],
            commitment["due_on"],
            now,
            commitment["id"],
            forum_id,
        ),
    ).fetchone()


def read(cur, commitment_id, lock=False):
    return cur.execute(
        f"SELECT {COLUMNS} FROM commitments WHERE id = %s{' FOR UPDATE' if lock else ''}", (commitment_id,)
    ).fetchone()


def everything(cur):
    """The whole register, oldest forum first."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM commitments ORDER BY created_at, forum_id, position"
    ).fetchall()


def change(cur, commitment_id, record, now):
    cur.execute(
        "INSERT INTO commitment_changes (commitment_id, on_date, from_status, to_status, note, recorded_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (commitment_id, record["on"], record["from"], record["to"], record["note"], now),
    )
    return cur.execute(
        f"UPDATE commitments SET status = %s, updated_at = %s WHERE id = %s RETURNING {COLUMNS}",
        (record["to"], now, commitment_id),
    ).fetchone()


def histories(cur, commitment_ids):
    """{commitment id: [{"on", "from", "to", "note"}]}, oldest first."""
    rows = cur.execute(
        "SELECT commitment_id, on_date, from_status, to_status, note FROM commitment_changes"
        " WHERE commitment_id = ANY(%s) ORDER BY id",
        (list(commitment_ids),),
    ).fetchall()
    found = {}
    for row in rows:
        found.setdefault(row["commitment_id"], []).append(
            {"on": row["on_date"], "from": row["from_status"], "to": row["to_status"], "note": row["note"]}
        )
    return found


def last_change_on(cur, commitment_id):
    row = cur.execute(
        "SELECT max(on_date) AS on_date FROM commitment_changes WHERE commitment_id = %s", (commitment_id,)
    ).fetchone()
    return row["on_date"]


def recent_changes(cur, limit):
    """The latest recorded changes of the whole register, newest first, with their commitment's title."""
    return cur.execute(
        "SELECT ch.id, ch.commitment_id, c.forum_id, c.title, ch.on_date, ch.from_status, ch.to_status,"
        " ch.note, ch.recorded_at FROM commitment_changes ch JOIN commitments c ON c.id = ch.commitment_id"
        " ORDER BY ch.recorded_at DESC, ch.id DESC LIMIT %s",
        (limit,),
    ).fetchall()
