"""The deliveries table (the delivery log): every statement on it, from the handlers, the mail sender and
the organisers' view.

The mail sender's statements (``hold_claim`` ... ``release``) are what its guarantees rest on (see
``services.notification.mailer``): a claim id held as a session-level shared advisory lock, rows claimed
with ``SKIP LOCKED`` in the order of the index ``deliveries_due``, outcomes recorded only on rows the
claim still holds (except ``sent``, recorded whoever holds the row). Each statement's text is tuned and
covered by the fault tests: change one only with them.
"""

# The same message always gets the same Message-ID (a UUID from the event, the lower-cased recipient and
# the template), so mail systems can spot a repeat. Written in SQL, as bulk rows are made by the database.
MESSAGE_ID = (
    "'<' || md5(({event})::text || '/' || lower(({recipient})::text) || '/' || ({template})::text)::uuid"
    " || '@opendetat>'"
)

INSERT = f"""
INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, forum_id, person_id,
                        message_id, subject, body_text, body_html, attachments, headers)
VALUES (%(event_id)s, %(template)s, %(recipient)s, %(recipient_name)s, %(locale)s, %(forum_id)s, %(person_id)s,
        {MESSAGE_ID.format(event="%(event_id)s", recipient="%(recipient)s", template="%(template)s")},
        %(subject)s, %(body_text)s, %(body_html)s, %(attachments)s, %(headers)s)
ON CONFLICT (event_id, recipient, template) DO NOTHING
"""
# Erasure keeps every row (counts by forum, template and status stay right) but nothing personal. The
# rows are locked first (a sender claiming one at this moment is waited for; later claims skip them).
# A row the sender already holds ("sending") is deleted instead: whatever the sender records for it next
# (sent, or a retry that would queue it again) then touches nothing.
LOCK = """SELECT id, status FROM deliveries
    WHERE lower(recipient) = lower(%(email)s) OR person_id = %(person_id)s FOR UPDATE"""
DROP = "DELETE FROM deliveries WHERE id = ANY(%s)"
ANONYMISE = """
UPDATE deliveries SET recipient = 'erased-' || id, recipient_name = '', person_id = NULL,
    message_id = '<erased-' || id || '@opendetat>', subject = '', body_text = '', body_html = '',
    attachments = NULL, headers = NULL, fill = NULL, lease_until = NULL,
    status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
    last_error = CASE WHEN status = 'pending' THEN %(reason)s
                      WHEN last_error IS NULL THEN NULL ELSE 'erased with the recipient' END
WHERE id = ANY(%(ids)s)
"""

# The claim ids of live senders live in this advisory lock space (two-key form: objsubid 2 in pg_locks).
CLAIM_SPACE = 0x6D61696C  # "mail"
HOLD_CLAIM = "SELECT pg_advisory_lock_shared(%s::int, %s::int)"
# A message is recorded before its connection carries anything more, so each commit is waited for: not
# waiting for the disk too keeps the rate (a commit is then one round trip). A crash of this process
# loses nothing committed; only a crash of PostgreSQL itself may forget the last fraction of a second of
# records (wal_writer_delay), whose messages would go again, never be lost.
NO_FLUSH_WAIT = "SET synchronous_commit = off"
# Due rows, in the order of the index deliveries_due (next_attempt_at, id), which holds pending and sending
# rows only, so the plan needs no statistics: pending rows, and sending rows whose sender's session is
# gone (its claim id no longer locked) or whose lease ran out.
# Without statistics (autovacuum is off on some machines) the planner may guess few due rows, then sort
# them all rather than read the index in order: at 180,000 due rows that took 98 ms instead of 18 ms.
IN_INDEX_ORDER = "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off"
CLAIM = """
WITH live AS (
    SELECT objid::bigint AS claim FROM pg_locks
    WHERE locktype = 'advisory' AND classid::bigint = %(space)s AND objsubid = 2 AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
UPDATE deliveries SET status = 'sending', claim = %(claim)s,
    lease_until = now() + make_interval(secs => %(lease)s)
WHERE id IN (
    SELECT id FROM deliveries
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
      AND (status = 'pending' OR lease_until < now() OR claim NOT IN (SELECT claim FROM live))
    ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING id, recipient, recipient_name, locale, message_id, subject, body_text, body_html, attachments,
    headers, bulk_id, fill, attempts, person_id
"""
# Sent is recorded whoever holds the row now: the relay accepted it, that is the truth. The rest only
# touches a row this process still holds.
MARK_SENT = """UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1,
    last_error = NULL, lease_until = NULL WHERE id = ANY(%s)"""
MARK_RETRY = """UPDATE deliveries
    SET status = CASE WHEN attempts + 1 >= %(max)s THEN 'failed' ELSE 'pending' END,
        attempts = attempts + 1, last_error = %(error)s, lease_until = NULL,
    next_attempt_at = now() + make_interval(secs => %(delay)s)
    WHERE id = %(id)s AND status = 'sending' AND claim = %(claim)s"""
MARK_FAILED = """UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = %s,
    lease_until = NULL WHERE id = %s AND status = 'sending' AND claim = %s"""
RENEW = """UPDATE deliveries SET lease_until = now() + make_interval(secs => %s)
    WHERE id = ANY(%s) AND status = 'sending' AND claim = %s"""
RELEASE = """UPDATE deliveries SET status = 'pending', lease_until = NULL,
    next_attempt_at = now() + make_interval(secs => %s) WHERE id = ANY(%s) AND status = 'sending'
    AND claim = %s"""

# What organisers see: never a message's subject or bodies (they hold personal links).
COLUMNS = """id, template, recipient, locale, forum_id, status, attempts, last_error, created_at, sent_at,
    next_attempt_at"""
ERASED = "message_id LIKE '<erased-%%'"
RETRY = f"""UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
    WHERE status = 'failed' AND NOT {ERASED}"""
COUNTS = """SELECT forum_id, template, status, count(*) AS count FROM deliveries
    WHERE %(forum_id)s::uuid IS NULL OR forum_id = %(forum_id)s::uuid
    GROUP BY forum_id, template, status"""


def insert(cur, row):
    """Write one message (``row``: the columns of INSERT); False if this (event, recipient, template) is
    already there."""
    cur.execute(INSERT, row)
    return cur.rowcount == 1


def lock_person(cur, person_id, email):
    """The person's rows (``id``, ``status``), locked until the transaction ends."""
    return cur.execute(LOCK, {"email": email, "person_id": person_id}).fetchall()


def drop(cur, ids):
    cur.execute(DROP, (ids,))


def anonymise(cur, ids, reason):
    """Keep the rows, with nothing personal left; a row still pending fails with ``reason``."""
    cur.execute(ANONYMISE, {"ids": ids, "reason": reason})


def hold_claim(conn, claim):
    """Hold ``claim`` for as long as the session lasts (a session-level shared advisory lock)."""
    conn.execute(HOLD_CLAIM, (CLAIM_SPACE, claim))


def skip_flush_wait(conn):
    """This session's commits no longer wait for the disk (see NO_FLUSH_WAIT)."""
    conn.execute(NO_FLUSH_WAIT)


def claim_due(conn, claim, lease, limit):
    """Up to ``limit`` due rows, now ``sending`` under ``claim`` for ``lease`` seconds (in the caller's
    transaction)."""
    conn.execute(IN_INDEX_ORDER)
    params = {"space": CLAIM_SPACE, "claim": claim, "lease": lease, "limit": limit}
    return conn.execute(CLAIM, params).fetchall()


def mark_sent(conn, ids):
    conn.execute(MARK_SENT, (ids,))


def mark_retry(conn, delivery_id, claim, max_attempts, error, delay):
    """Pending again in ``delay`` seconds, or failed if that was its last attempt."""
    params = {"max": max_attempts, "error": error, "delay": delay, "id": delivery_id, "claim": claim}
    conn.execute(MARK_RETRY, params)


def mark_failed(conn, delivery_id, claim, error):
    conn.execute(MARK_FAILED, (error, delivery_id, claim))


def renew(conn, ids, claim, lease):
    """The claim's rows among ``ids`` stay its own for ``lease`` seconds more."""
    conn.execute(RENEW, (lease, ids, claim))


def release(conn, ids, claim, delay):
    """The claim's rows among ``ids`` go back to pending, due in ``delay`` seconds, without an attempt."""
    conn.execute(RELEASE, (delay, ids, claim))


def page(cur, forum_id=None, status=None, recipient=None, before=None, limit=20):
    """Up to ``limit`` rows (COLUMNS), newest first, filtered by whichever of the arguments are given;
    ``before``: an id, the rows older than it."""
    where, params = ["true"], []
    if forum_id:
        where.append("forum_id = %s")
        params.append(forum_id)
    if status:
        where.append("status = %s")
        params.append(status)
    if recipient:
        where.append("lower(recipient) = lower(%s)")
        params.append(recipient)
    if before is not None:
        where.append("id < %s")
        params.append(before)
    return cur.execute(
        f"SELECT {COLUMNS} FROM deliveries WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s",
        (*params, limit),
    ).fetchall()


def lock_one(cur, delivery_id):
    """``id`` and ``status`` of the row, locked until the transaction ends; None if there is none."""
    return cur.execute(
        "SELECT id, status FROM deliveries WHERE id = %s FOR UPDATE", (delivery_id,)
    ).fetchone()


def retry_one(cur, delivery_id):
    """Queue the row again if it failed and its recipient was not erased; whether it was."""
    cur.execute(f"{RETRY} AND id = %s RETURNING id", (delivery_id,))
    return cur.rowcount == 1


def read_one(cur, delivery_id):
    return cur.execute(f"SELECT {COLUMNS} FROM deliveries WHERE id = %s", (delivery_id,)).fetchone()


def retry_forum(cur, forum_id):
    """Queue every failed row of the forum again (not those of erased recipients); how many."""
    cur.execute(f"{RETRY} AND forum_id = %s", (forum_id,))
    return cur.rowcount


def counts(cur, forum_id=None):
    """``forum_id``, ``template``, ``status``, ``count`` of every group of rows (of one forum if given)."""
    return cur.execute(COUNTS, {"forum_id": forum_id}).fetchall()
