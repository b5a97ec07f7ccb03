"""Prioritisation rounds (table ``rounds``), their ballots (``ballots``: one per person per round, the
latest replacing the earlier) and the paper tallies organisers enter (``paper_tallies``)."""

import uuid

from psycopg.types.json import Jsonb

COLUMNS = (
    "id, forum_id, method, max_choices, budget, max_per_topic, agenda_size, agenda_from, show_running,"
    " topic_ids, status, opened_at, closes_at, closed_at, closed_by, results"
)


def insert(cur, forum_id, data, topic_ids, now):
    """The round, open; None if another round of the forum is open (the unique index says so, however
    many requests race)."""
    return cur.execute(
        "INSERT INTO rounds (id, forum_id, method, max_choices, budget, max_per_topic, agenda_size,"
        " agenda_from, show_running, topic_ids, status, opened_at, closes_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'open', %s, %s)"
        f" ON CONFLICT (forum_id) WHERE status = 'open' DO NOTHING RETURNING {COLUMNS}",
        (
            uuid.uuid4(), forum_id, data["method"], data.get("max_choices"), data.get("budget"),
            data.get("max_per_topic"), data["agenda_size"], data.get("agenda_from", "overall"),
            data.get("show_running", False), list(topic_ids), now, data["closes_at"],
        ),
    ).fetchone()  # fmt: skip


# A round's ballots are taken under a shared advisory lock on the round and its tally under the exclusive
# one, so a ballot either commits before the tally reads (and counts) or finds the round closed. A row
# lock (FOR SHARE) did the same, but every concurrent ballot then rewrote the round's row (a MultiXact):
# an advisory lock lives in memory only. The two-key form, in this space, is this service's alone.
ROUND_SPACE = 0x726E6473  # "rnds"


def hold(cur, round_id, exclusive=False):
    """Hold the round's lock until the transaction ends: shared to take a ballot or a tally, exclusive to
    close the round or rewrite its ballots."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    cur.execute(f"SELECT {function}(%s::int, hashtext(%s::text))", (ROUND_SPACE, str(round_id)))


# A round's row is locked FOR NO KEY UPDATE to close it: a ballot's foreign key takes KEY SHARE on the
# row, which that lock lets through (FOR UPDATE would not: the ballot, holding the round's shared lock,
# and the closing, holding the row and waiting for the exclusive one, would deadlock).
ROW_LOCK = " FOR NO KEY UPDATE"


def read(cur, round_id, lock=False):
    """The round; ``lock``: its row locked until the transaction ends (to close it)."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM rounds WHERE id = %s{ROW_LOCK if lock else ''}", (round_id,)
    ).fetchone()


def of_forum(cur, forum_id):
    return cur.execute(
        f"SELECT {COLUMNS} FROM rounds WHERE forum_id = %s ORDER BY opened_at, id", (forum_id,)
    ).fetchall()


def next_due(cur, now):
    """One open round past its closing time, locked; skipped if another replica holds it: each round is
    closed by one of them, once."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM rounds WHERE status = 'open' AND closes_at <= %s"
        f" ORDER BY closes_at LIMIT 1{ROW_LOCK} SKIP LOCKED",
        (now,),
    ).fetchone()


def close(cur, round_id, results, closed_by, now):
    return cur.execute(
        "UPDATE rounds SET status = 'closed', results = %s, closed_by = %s, closed_at = %s"
        f" WHERE id = %s AND status = 'open' RETURNING {COLUMNS}",
        (Jsonb(results), closed_by, now, round_id),
    ).fetchone()


def keep_ballot(cur, round_id, person_id, group, content, now):
    """The person's ballot for the round, replacing their earlier one; its row. The same ballot again
    changes nothing (``replaced`` counts changes), so a ballot sent twice is one."""
    return cur.execute(
        "INSERT INTO ballots AS b (id, round_id, person_id, stakeholder_group, content, cast_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (round_id, person_id) DO UPDATE SET content = excluded.content,"
        " stakeholder_group = excluded.stakeholder_group, cast_at = excluded.cast_at,"
        " replaced = b.replaced + (b.content IS DISTINCT FROM excluded.content)::int"
        " RETURNING id, round_id, stakeholder_group, content, cast_at, replaced",
        (uuid.uuid4(), round_id, person_id, group, Jsonb(content), now),
    ).fetchone()


def ballots(cur, round_id):
    """Every ballot of the round: (group, content), in no particular order (a tally does not depend on it)."""
    rows = cur.execute(
        "SELECT stakeholder_group, content FROM ballots WHERE round_id = %s", (round_id,)
    ).fetchall()
    return [(row["stakeholder_group"], row["content"]) for row in rows]


def ballot_of(cur, round_id, person_id):
    return cur.execute(
        "SELECT stakeholder_group, content, cast_at, replaced FROM ballots WHERE round_id = %s AND person_id = %s",
        (round_id, person_id),
    ).fetchone()


def participation(cur, round_id):
    """How many ballots per group: counts, never content."""
    rows = cur.execute(
        "SELECT stakeholder_group, count(*) AS n FROM ballots WHERE round_id = %s GROUP BY 1 ORDER BY 1",
        (round_id,),
    ).fetchall()
    return {row["stakeholder_group"]: row["n"] for row in rows}


def keep_paper(cur, round_id, group, tally):
    cur.execute(
        "INSERT INTO paper_tallies (round_id, stakeholder_group, ballots, scores) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (round_id, stakeholder_group) DO UPDATE SET ballots = excluded.ballots,"
        " scores = excluded.scores, entered_at = now()",
        (round_id, group, tally["ballots"], Jsonb(tally["scores"])),
    )


def paper(cur, round_id):
    rows = cur.execute(
        "SELECT stakeholder_group, ballots, scores FROM paper_tallies WHERE round_id = %s", (round_id,)
    ).fetchall()
    return [(row["stakeholder_group"], {"ballots": row["ballots"], "scores": row["scores"]}) for row in rows]


def ballots_of_person(cur, person_id):
    return cur.execute(
        "SELECT round_id, stakeholder_group, content, cast_at FROM ballots WHERE person_id = %s ORDER BY cast_at",
        (person_id,),
    ).fetchall()


def forget_voter(cur, person_id):
    """Erasure: the ballots still count, naming nobody."""
    cur.execute("UPDATE ballots SET person_id = NULL WHERE person_id = %s", (person_id,))


def open_with(cur, topic_id):
    """The open rounds whose topics include ``topic_id``, locked: a merge rewrites them."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM rounds WHERE status = 'open' AND %s = ANY(topic_ids){ROW_LOCK}", (topic_id,)
    ).fetchall()


def set_topics(cur, round_id, topic_ids):
    cur.execute("UPDATE rounds SET topic_ids = %s WHERE id = %s", (list(topic_ids), round_id))


def ballots_with_ids(cur, round_id):
    return cur.execute(
        "SELECT id, content FROM ballots WHERE round_id = %s FOR UPDATE", (round_id,)
    ).fetchall()


def rewrite_ballot(cur, ballot_id, content):
    cur.execute("UPDATE ballots SET content = %s WHERE id = %s", (Jsonb(content), ballot_id))


def last_closed_of_forum(cur, forum_id):
    """The forum's latest closed round, if any: where its topics stood."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM rounds WHERE forum_id = %s AND status = 'closed' ORDER BY closed_at DESC LIMIT 1",
        (forum_id,),
    ).fetchone()


def next_to_remind(cur, now, lead):
    """One open round closing within ``lead`` and not yet reminded, locked (skipped by other replicas)."""
    return cur.execute(
        f"SELECT {COLUMNS} FROM rounds WHERE status = 'open' AND reminded_at IS NULL"
        f" AND closes_at - %s <= %s AND closes_at > %s ORDER BY closes_at LIMIT 1{ROW_LOCK} SKIP LOCKED",
        (lead, now, now),
    ).fetchone()


def reminded(cur, round_id, now):
    cur.execute("UPDATE rounds SET reminded_at = %s WHERE id = %s", (now, round_id))


def voters(cur, round_id):
    """Who voted in the round (person ids; the erased are no one): never how."""
    rows = cur.execute(
        "SELECT person_id FROM ballots WHERE round_id = %s AND person_id IS NOT NULL ORDER BY person_id",
        (round_id,),
    ).fetchall()
    return [row["person_id"] for row in rows]
