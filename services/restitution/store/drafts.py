"""Drafts (table ``drafts``: one per forum) and published versions (``publications``: never updated)."""

from psycopg.types.json import Jsonb


def read(cur, forum_id, lock=False):
    return cur.execute(
        f"SELECT forum_id, version, content, updated_at FROM drafts WHERE forum_id = %s{' FOR UPDATE' if lock else ''}",
        (forum_id,),
    ).fetchone()


def save(cur, forum_id, version, content, now, actor):
    return cur.execute(
        "INSERT INTO drafts (forum_id, version, content, updated_at, updated_by) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (forum_id) DO UPDATE SET version = excluded.version, content = excluded.content,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by"
        " RETURNING forum_id, version, content, updated_at",
        (forum_id, version, Jsonb(content), now, actor),
    ).fetchone()


def name_commitments(cur, forum_id, commitments):
    """The draft's commitments with the ids the register gave them (its version stays: nobody edited it)."""
    cur.execute(
        "UPDATE drafts SET content = jsonb_set(content, '{commitments}', %s) WHERE forum_id = %s",
        (Jsonb(commitments), forum_id),
    )


def lock_forum(cur, forum_id):
    """Publishing takes the forum's lock: two organisers publishing at once make versions n and n + 1."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('restitution:' || %s::text))", (str(forum_id),))


def insert_version(cur, forum_id, version, note, content, now, actor):
    cur.execute(
        "INSERT INTO publications (forum_id, version, note, content, published_at, published_by)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (forum_id, version, note, Jsonb(content), now, actor),
    )


def latest(cur, forum_id):
    return cur.execute(
        "SELECT forum_id, version, note, content, published_at FROM publications WHERE forum_id = %s"
        " ORDER BY version DESC LIMIT 1",
        (forum_id,),
    ).fetchone()


def version(cur, forum_id, number):
    return cur.execute(
        "SELECT forum_id, version, note, content, published_at FROM publications"
        " WHERE forum_id = %s AND version = %s",
        (forum_id, number),
    ).fetchone()


def versions(cur, forum_id):
    return cur.execute(
        "SELECT version, note, published_at FROM publications WHERE forum_id = %s ORDER BY version",
        (forum_id,),
    ).fetchall()


def index(cur):
    """Every forum with a published restitution: its latest version and when."""
    return cur.execute(
        "SELECT DISTINCT ON (forum_id) forum_id, version, published_at FROM publications"
        " ORDER BY forum_id, version DESC"
    ).fetchall()


def recent(cur, limit):
    """The latest published versions of the whole series, newest first, with their forum's title."""
    return cur.execute(
        "SELECT p.forum_id, p.version, p.note, p.content->>'summary' AS summary, p.published_at,"
        " coalesce(f.title, '') AS forum_title FROM publications p LEFT JOIN forums f ON f.id = p.forum_id"
        " ORDER BY p.published_at DESC, p.forum_id, p.version DESC LIMIT %s",
        (limit,),
    ).fetchall()
