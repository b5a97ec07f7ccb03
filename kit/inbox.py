"""Idempotent consumers: an event's id is recorded in the same transaction as the handler's effects.

Either as its own statement (``first_time``), before the handler's, or as the first part of the handler's
one statement (``once``): the inbox row is a CTE named ``inbox`` (``RECORD``) and each effect after it in
the same statement applies only ``WHERE`` it was inserted (``FIRST``), so the event's id and its effects
commit together, in one round trip. Either way a redelivered event finds its id and changes nothing, and
a concurrent replica handling the same event waits on the row until the first one commits, then sees the
conflict: only one of them applies the effects.
"""

from psycopg.pq import TransactionStatus

RECORD = (
    "inbox AS (INSERT INTO inbox (event_id, event_type) VALUES (%(event_id)s, %(event_type)s)"
    " ON CONFLICT DO NOTHING RETURNING 1)"
)
FIRST = "EXISTS (SELECT FROM inbox)"


def first_time(cur, envelope):
    """Record the event as handled; False if it already was (a redelivery), in which case do nothing."""
    cur.execute(
        "INSERT INTO inbox (event_id, event_type) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (envelope["id"], envelope["type"]),
    )
    return cur.rowcount == 1


def once(cur, envelope, effects, params):
    """Record the event and apply ``effects`` in one statement: ``effects`` are CTEs (``name AS
    (statement)``, comma-separated), each a data-modifying statement gated on ``FIRST``, with ``params``
    (``event_id`` and ``event_type`` are the envelope's). False if the event was already handled (a
    redelivery): nothing was applied.

    Sent first on its connection (nothing else in the transaction yet), the statement is its own
    transaction: it runs in autocommit mode, atomic as any statement, so it costs one round trip where
    BEGIN, it and COMMIT cost three; the connection is back as it was before the caller's block ends
    (whose COMMIT then has nothing to do). Sent after other statements, it joins their transaction."""
    query = f"WITH {RECORD}, {effects} SELECT {FIRST} AS first"
    params = params | {"event_id": envelope["id"], "event_type": envelope["type"]}
    conn = cur.connection
    alone = not conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE
    if alone:
        conn.autocommit = True
    try:
        row = cur.execute(query, params).fetchone()
    finally:
        if alone and not conn.closed:
            conn.autocommit = False
    return bool(row["first"] if isinstance(row, dict) else row[0])
