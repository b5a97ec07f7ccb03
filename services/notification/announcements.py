"""Subscribers, and the announcement of a forum opening for registration to every one of them.

Each announcement carries the subscriber's own unsubscribe link, in the body and in the
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058 one-click). The handler of
``forum_opened`` only renders the announcement once per locale (a bulk message, see ``bulk``) and records
it in ``announcements``; the ``AnnouncementWriter`` then logs it for the subscribers in batches by key, one
transaction each, waking the sender after each: memory stays bounded however many there are, the first
emails leave while later batches are written, and ``announcements.queued`` shows the progress.
Transactional messages (confirmations, promotions) do not look at subscriptions at all.
"""

from kit.drainer import TableDrainer, notify
from services.notification import bulk, deliveries, mailer, roster

CHANNEL = "notification_announcements"
KEEP = """
INSERT INTO subscribers AS s (subscription_id, person_id, email, first_name, last_name, locale, status, as_of,
                              token_version)
VALUES (%(subscription_id)s, %(person_id)s, %(email)s, %(first_name)s, %(last_name)s, %(locale)s,
        %(status)s, %(as_of)s, %(token_version)s)
ON CONFLICT (subscription_id) DO UPDATE SET status = excluded.status, as_of = excluded.as_of,
    token_version = greatest(s.token_version, excluded.token_version),
    email = CASE WHEN excluded.first_name = '' AND excluded.status = 'ended' THEN s.email ELSE excluded.email END
WHERE s.status <> 'ended' AND excluded.as_of >= s.as_of
"""
NEXT_ANNOUNCEMENT = """
SELECT forum_id, event_id, bulk_id, cursor FROM announcements WHERE finished_at IS NULL
ORDER BY started_at LIMIT 1 FOR UPDATE SKIP LOCKED
"""
ANNOUNCEMENT_ID = deliveries.MESSAGE_ID.format(
    event="%(event_id)s", recipient="email", template="'forum_announced'"
)
# One batch: the next subscribers in key order, a delivery row each (their own Message-ID; the bodies
# are the bulk message's). How many were covered, how many rows are new (a row already there is left
# alone), and the last key reached.
WRITE_BATCH = f"""
WITH batch AS (
    SELECT subscription_id, person_id, email, first_name, last_name, locale, token_version FROM subscribers
    WHERE status = 'confirmed' AND subscription_id > %(cursor)s ORDER BY subscription_id LIMIT %(batch)s
    FOR KEY SHARE  -- an erasure deleting one of them waits for this batch, then purges its row
), logged AS (
    INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, forum_id, person_id,
                            message_id, subject, body_text, body_html, bulk_id, fill)
    SELECT %(event_id)s, 'forum_announced', email, first_name || ' ' || last_name, locale, %(forum_id)s,
           person_id, {ANNOUNCEMENT_ID},
           '', '', '', %(bulk_id)s,
           jsonb_build_object('first_name', first_name, 'last_name', last_name,
                              'subscription_id', subscription_id, 'token_version', token_version)
    FROM batch ORDER BY subscription_id
    ON CONFLICT (event_id, recipient, template) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM batch) AS covered, (SELECT count(*) FROM logged) AS logged,
       (SELECT subscription_id FROM batch ORDER BY subscription_id DESC LIMIT 1) AS reached
"""


def subscribed(cur, renderer, links, envelope, data):
    person = data["person"]
    keys = ("person_id", "email", "first_name", "last_name", "locale", "token_version")
    contact = {key: person[key] for key in keys}
    if not roster.erased(cur, person, envelope["time"]):
        cur.execute(KEEP, contact | {"subscription_id": data["subscription_id"], "status": "confirmed",
                                     "as_of": envelope["time"]})  # fmt: skip
    return 0


def unsubscribed(cur, renderer, links, envelope, data):
    contact = {"person_id": data["person_id"], "email": data["email"], "first_name": "", "last_name": ""}
    contact["token_version"] = 0  # not told: the version known stays
    cur.execute(KEEP, contact | {"subscription_id": data["subscription_id"], "locale": "fr", "status": "ended",
                                 "as_of": envelope["time"]})  # fmt: skip
    return 0


def keep_token_version(cur, person_id, token_version):
    """The person's links were revoked: their announcements' unsubscribe links get the new version (a
    version only grows, so an older event, handled late, changes nothing)."""
    cur.execute(
        "UPDATE subscribers SET token_version = %s WHERE person_id = %s AND token_version < %s",
        (token_version, person_id, token_version),
    )


def forget(cur, person_id, email):
    cur.execute(
        "DELETE FROM subscribers WHERE person_id = %s OR lower(email) = lower(%s)", (person_id, email)
    )


def announce(cur, renderer, links, envelope, forum):
    """Prepare the forum's announcement, once per forum; the writer then logs it for every subscriber."""
    cur.execute(
        "INSERT INTO announcements (forum_id, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (forum["id"], envelope["id"]),
    )
    if cur.rowcount == 0:
        return 0  # announced already (this forum was opened before)
    context = {"forum": forum, "links": {"register": links.home()}}
    bulk_id = bulk.prepare(cur, renderer, "forum_announced", context, headers=unsubscribe_headers)
    cur.execute("UPDATE announcements SET bulk_id = %s WHERE forum_id = %s", (bulk_id, forum["id"]))
    notify(cur, CHANNEL)
    return 0  # nothing for the sender yet: the writer wakes it batch by batch


def unsubscribe_headers(mark):
    """RFC 8058 one-click unsubscribe: the link (filled in per recipient) and the one-click promise."""
    return {
        "List-Unsubscribe": f"<{mark['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def write_batch(cur, batch_size):
    """Log the next batch of one announcement in progress; how many subscribers it covered (None: no
    announcement is in progress, or the ones in progress are being written by another replica)."""
    announcement = cur.execute(NEXT_ANNOUNCEMENT).fetchone()
    if announcement is None:
        return None
    done = cur.execute(WRITE_BATCH, dict(announcement) | {"batch": batch_size}).fetchone()
    finished = done["covered"] < batch_size
    cur.execute(
        "UPDATE announcements SET queued = queued + %s, cursor = coalesce(%s, cursor),"
        " finished_at = CASE WHEN %s THEN now() END WHERE forum_id = %s",
        (done["logged"], done["reached"], finished, announcement["forum_id"]),
    )
    return done["covered"]


def progress(cur, forum_id):
    """The forum's announcement as it goes: subscribers logged so far, and when it started and finished."""
    row = cur.execute(
        "SELECT queued, started_at, finished_at FROM announcements WHERE forum_id = %s", (forum_id,)
    ).fetchone()
    if row is None:
        return None
    return {
        "queued": row["queued"],
        "started_at": row["started_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
    }


class AnnouncementWriter(TableDrainer):
    """Writes the announcements in progress to the delivery log, a batch of subscribers per transaction:
    memory stays bounded however many subscribers there are, the sender starts on the first batch, and
    a restart goes on from the last batch written."""

    channel = CHANNEL
    batch_size = 2000

    def __init__(self):
        super().__init__("notification")

    def drain_once(self, conn):
        with conn.transaction():
            covered = write_batch(conn.cursor(), self.batch_size)
            if covered:
                notify(conn, mailer.CHANNEL)
        return self.batch_size if covered is not None else 0  # an announcement not finished: go on
