"""The comments_waiting table: the comments waiting for moderation, and what each digest told of them.

A submission and its settlement (published or hidden) may be handled at once by two workers: each is one
upsert on the comment's key, so whichever comes second sees the first, and a settled row stays settled.
A digest is made under a transaction-level advisory lock taken without waiting (one replica at a time
makes one; the others skip their turn) and marks the comments it tells in the same transaction as its
delivery-log rows.
"""

# An advisory lock space of this service's own (two-key form); the mail sender's claims use another.
DIGEST_LOCK = (0x6D6F6472, 1)  # "modr"

SUBMITTED = """
INSERT INTO comments_waiting (comment_id, forum_id, submitted_at) VALUES (%s, %s, %s)
ON CONFLICT (comment_id) DO NOTHING
"""
SETTLED = """
INSERT INTO comments_waiting AS c (comment_id, forum_id, submitted_at, settled_at) VALUES (%s, %s, %s, now())
ON CONFLICT (comment_id) DO UPDATE SET settled_at = now() WHERE c.settled_at IS NULL
"""
CLAIM_NEW = """
UPDATE comments_waiting SET digested_at = now()
WHERE settled_at IS NULL AND digested_at IS NULL
RETURNING comment_id, forum_id
"""
WAITING = """
SELECT forum_id, count(*) AS waiting, min(submitted_at) AS oldest FROM comments_waiting
WHERE settled_at IS NULL GROUP BY forum_id ORDER BY min(submitted_at), forum_id
"""


def submitted(cur, comment_id, forum_id, submitted_at):
    """The comment waits, unless it was settled already (its settlement was handled first)."""
    cur.execute(SUBMITTED, (comment_id, forum_id, submitted_at))


def settled(cur, comment_id, forum_id, as_of):
    """The comment waits no more (published or hidden), whether or not its submission was seen yet."""
    cur.execute(SETTLED, (comment_id, forum_id, as_of))


def lock_digest(cur):
    """True if this transaction may make the digest (no other is making one now)."""
    return cur.execute("SELECT pg_try_advisory_xact_lock(%s::int, %s::int) AS mine", DIGEST_LOCK).fetchone()[
        "mine"
    ]


def last_digest(cur):
    """``at``: when the latest digest was made (None: never), and ``now``, by the database's clock."""
    return cur.execute("SELECT max(digested_at) AS at, now() AS now FROM comments_waiting").fetchone()


def claim_new(cur):
    """``comment_id``, ``forum_id`` of the waiting comments no digest told yet, now marked as told."""
    return cur.execute(CLAIM_NEW).fetchall()


def waiting(cur):
    """``forum_id``, ``waiting`` (how many) and ``oldest`` (submitted at) of each forum with comments
    waiting, the longest-waiting first."""
    return cur.execute(WAITING).fetchall()
