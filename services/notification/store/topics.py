"""The topic_titles table: the title of each topic, as the newest topics event that carried it said."""

KEEP_TITLE = """
INSERT INTO topic_titles AS t (topic_id, title, as_of) VALUES (%(id)s, %(title)s, %(as_of)s)
ON CONFLICT (topic_id) DO UPDATE SET title = excluded.title, as_of = excluded.as_of
WHERE excluded.as_of >= t.as_of
"""


def keep_titles(cur, topics, as_of):
    """Record each topic's title unless a newer event told another."""
    cur.executemany(KEEP_TITLE, [{"id": t["id"], "title": t["title"], "as_of": as_of} for t in topics])


def titles(cur, topic_ids):
    """The titles known, by topic id (as a string)."""
    rows = cur.execute(
        "SELECT topic_id, title FROM topic_titles WHERE topic_id = ANY(%s::uuid[])",
        ([str(i) for i in topic_ids],),
    ).fetchall()
    return {str(row["topic_id"]): row["title"] for row in rows}
