"""Idempotent consumers: an event's id is recorded in the same transaction as the handler's effects."""


def first_time(cur, envelope):
    """Record the event as handled; False if it already was (a redelivery), in which case do nothing.

    A concurrent replica handling the same event waits on the row until the first one commits, then
    sees the conflict: only one of them applies the effects.
    """
    cur.execute(
        "INSERT INTO inbox (event_id, event_type) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (envelope["id"], envelope["type"]),
    )
    return cur.rowcount == 1
