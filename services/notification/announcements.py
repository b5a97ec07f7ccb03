"""Subscribers, and the announcement of a forum opening for registration to every one of them.

Each announcement carries the subscriber's own unsubscribe link, in the body and in the
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058 one-click). Subscribers are read in
batches by key, so memory stays bounded however many there are; the ``announcements`` row shows the
progress. Transactional messages (confirmations, promotions) do not look at subscriptions at all.
"""

from services.notification import deliveries, roster

BATCH = 500
KEEP = """
INSERT INTO subscribers AS s (subscription_id, person_id, email, first_name, last_name, locale, status, as_of)
VALUES (%(subscription_id)s, %(person_id)s, %(email)s, %(first_name)s, %(last_name)s, %(locale)s,
        %(status)s, %(as_of)s)
ON CONFLICT (subscription_id) DO UPDATE SET status = excluded.status, as_of = excluded.as_of,
    email = CASE WHEN excluded.first_name = '' AND excluded.status = 'ended' THEN s.email ELSE excluded.email END
WHERE s.status <> 'ended' AND excluded.as_of >= s.as_of
"""
NEXT_BATCH = """
SELECT subscription_id, person_id, email, first_name, last_name, locale FROM subscribers
WHERE status = 'confirmed' AND subscription_id > %s ORDER BY subscription_id LIMIT %s
"""


def subscribed(cur, renderer, links, envelope, data):
    person = data["person"]
    contact = {key: person[key] for key in ("person_id", "email", "first_name", "last_name", "locale")}
    if not roster.erased(cur, person, envelope["time"]):
        cur.execute(KEEP, contact | {"subscription_id": data["subscription_id"], "status": "confirmed",
                                     "as_of": envelope["time"]})  # fmt: skip
    return 0


def unsubscribed(cur, renderer, links, envelope, data):
    contact = {"person_id": data["person_id"], "email": data["email"], "first_name": "", "last_name": ""}
    cur.execute(KEEP, contact | {"subscription_id": data["subscription_id"], "locale": "fr", "status": "ended",
                                 "as_of": envelope["time"]})  # fmt: skip
    return 0


def forget(cur, person_id, email):
    cur.execute(
        "DELETE FROM subscribers WHERE person_id = %s OR lower(email) = lower(%s)", (person_id, email)
    )


def announce(cur, renderer, links, envelope, forum):
    """Write one announcement per confirmed subscriber, once per forum; returns how many."""
    cur.execute(
        "INSERT INTO announcements (forum_id, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (forum["id"], envelope["id"]),
    )
    if cur.rowcount == 0:
        return 0  # announced already (this forum was opened before)
    queued, after = 0, "00000000-0000-0000-0000-000000000000"
    while True:
        batch = cur.execute(NEXT_BATCH, (after, BATCH)).fetchall()
        for subscriber in batch:
            queued += announce_to(cur, renderer, links, envelope, forum, subscriber)
        if len(batch) < BATCH:
            break
        after = batch[-1]["subscription_id"]
        cur.execute("UPDATE announcements SET queued = %s WHERE forum_id = %s", (queued, forum["id"]))
    cur.execute(
        "UPDATE announcements SET queued = %s, finished_at = now() WHERE forum_id = %s", (queued, forum["id"])
    )
    return queued


def announce_to(cur, renderer, links, envelope, forum, subscriber):
    unsubscribe = links.unsubscribe(subscriber["subscription_id"])
    context = {
        "forum": forum,
        "person": subscriber,
        "links": {"register": links.home(), "unsubscribe": unsubscribe},
    }
    rendered = renderer.render("forum_announced", subscriber["locale"], context)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return int(
        deliveries.log_message(
            cur, envelope, "forum_announced", subscriber, rendered, forum["id"], headers=headers
        )
    )
