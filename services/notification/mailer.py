"""Sending the delivery log's pending messages over SMTP, once each, on several connections at once.

A batch of due rows is claimed (status ``sending`` with a lease) in one short transaction, so replicas
never take the same row. ``MAIL_CONNECTIONS`` workers (greenlets, each with its own reused SMTP
connection, pipelined when the server allows it: see ``transport``) take the batch's messages one by
one; what the server answered is recorded as it comes, by group commit: while one transaction marks the
messages accepted so far as ``sent``, the workers go on, and the next transaction marks those accepted
meanwhile. So a process that dies can have sent, without recording it, only the messages in flight (one
or two per connection) and those accepted during the last commit (a few); its other rows stay leased
until the lease runs out, then another sender takes them. A stop lets the messages in flight finish,
records them and gives the rest of the batch back at once.
Temporary failures (4xx, connection refused) are retried with exponential backoff; a permanent one
(5xx) fails the message at once; after ``max_attempts`` a message is ``failed``, visible in the log.
When the server is out of reach or refuses our login, the batch stops and its unsent rows wait for the
backoff.
"""

import logging
import re
import smtplib
import ssl
import time
from collections import deque
from email.utils import parseaddr
from functools import partial

from eventlet.queue import Empty, LightQueue

from kit.drainer import TableDrainer, notify
from kit.secrets import InsecureSettings
from services.notification import transport
from services.notification.bulk import BulkMessages
from services.notification.deliveries import loaded
from services.notification.links import Links
from services.notification.mime import compose

log = logging.getLogger(__name__)
CHANNEL = "notification_deliveries"

CLAIM = """
UPDATE deliveries SET status = 'sending', lease_until = now() + make_interval(secs => %(lease)s)
WHERE id IN (
    SELECT id FROM deliveries
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
      AND (status = 'pending' OR lease_until < now())
    ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING id, recipient, recipient_name, locale, message_id, subject, body_text, body_html, attachments,
    headers, bulk_id, fill, attempts, person_id
"""
MARK_SENT = """UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1,
    last_error = NULL, lease_until = NULL WHERE id = ANY(%s)"""
MARK_RETRY = """UPDATE deliveries
    SET status = CASE WHEN attempts + 1 >= %(max)s THEN 'failed' ELSE 'pending' END,
        attempts = attempts + 1, last_error = %(error)s, lease_until = NULL,
    next_attempt_at = now() + make_interval(secs => %(delay)s) WHERE id = %(id)s AND status = 'sending'"""
MARK_FAILED = """UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = %s,
    lease_until = NULL WHERE id = %s AND status = 'sending'"""
RENEW = """UPDATE deliveries SET lease_until = now() + make_interval(secs => %s)
    WHERE id = ANY(%s) AND status = 'sending'"""
RELEASE = """UPDATE deliveries SET status = 'pending', lease_until = NULL,
    next_attempt_at = now() + make_interval(secs => %s) WHERE id = ANY(%s) AND status = 'sending'"""


# Anything shaped like an address, in what a server answered: relays often name the recipient they refuse.
ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")
SECURITY_MODES = ("none", "starttls", "tls")  # SMTP_SECURITY


class PermanentFailure(Exception):
    pass


def enabled(value):
    """A yes/no setting, from YAML (a boolean) or from the environment as it was typed."""
    return value is True or str(value or "").strip().lower() in ("1", "true", "yes", "on")


def check_security(config):
    """The security mode, or InsecureSettings: a login without TLS would cross the network in clear, so the
    process refuses to start unless SMTP_ALLOW_PLAINTEXT_AUTH says the relay is on a trusted path (this
    host, a private network). An unknown mode is refused too, rather than taken for none."""
    security = (config.get("SMTP_SECURITY") or "none").strip().lower()
    if security not in SECURITY_MODES:
        raise InsecureSettings(
            f"refusing to start: SMTP_SECURITY is {security!r}, not one of none, starttls, tls"
        )
    login = config.get("SMTP_USER") or config.get("SMTP_PASSWORD")
    if security == "none" and login and not enabled(config.get("SMTP_ALLOW_PLAINTEXT_AUTH")):
        raise InsecureSettings(
            "refusing to start: SMTP_USER/SMTP_PASSWORD are set with SMTP_SECURITY=none, so the relay's login"
            " would cross the network in clear. Set SMTP_SECURITY=starttls or tls, or, for a relay on a"
            " trusted path, SMTP_ALLOW_PLAINTEXT_AUTH=true."
        )
    return security


def for_the_log(exc):
    """What went wrong, without the addresses in it (a refusal names the recipient): the log says which
    delivery and which person by their ids; the delivery log, which organisers read, keeps the whole."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
        text = f"{type(exc).__name__}: {replies}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return ADDRESS.sub("<address>", text)[:500]


def _text(reply):
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def build_message(row, sender, bulk_message=None, links=None):
    """The message of a row as bytes; a bulk row is filled in from its bulk message first."""
    if bulk_message is not None:
        filled = bulk_message.fill(row["locale"], row["fill"], links)
        subject, text, html, headers = filled.subject, filled.text, filled.html, filled.headers
    else:
        subject, text, html, headers = row["subject"], row["body_text"], row["body_html"], row.get("headers")
    return compose(
        sender=sender,
        recipient=row["recipient"],
        recipient_name=row["recipient_name"],
        subject=subject,
        message_id=row["message_id"],
        text=text,
        html=html,
        attachments=loaded(row.get("attachments")),
        headers=headers,
    )


# Refusals that speak of the relay's settings, not of the message: authentication required (530), the
# credentials refused (535), encryption required (538). Fixing the settings fixes every message.
RELAY_REFUSALS = (530, 535, 538)


def relay_refused(exc):
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        return True  # a wrong login, or a relay that offers no login
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code in RELAY_REFUSALS


def classify(exc):
    """True if retrying may help (4xx, connection trouble, the relay's settings); False for a permanent
    refusal of this message (5xx)."""
    if relay_refused(exc):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return True


def unreachable(exc):
    """The server is no use now for any message: out of reach (refused, timed out, hung up, TLS failed)
    or refusing our settings (login); not a refusal of this one message."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError) or relay_refused(exc):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class MailSender(TableDrainer):
    channel = CHANNEL
    batch_size = 500  # after a crash, a batch's unsent rows wait for their lease to run out

    def __init__(self):
        super().__init__("notification")
        self.smtp = {}  # worker slot -> its SMTP session (transport.Session)

    def setup(self):
        super().setup()
        config = self.container.config
        self.host, self.port = config["SMTP_HOST"], int(config["SMTP_PORT"])
        self.security = check_security(config)
        self.user, self.password = config.get("SMTP_USER") or "", config.get("SMTP_PASSWORD") or ""
        # A private CA to trust (a relay with a certificate of its own); the system's CAs otherwise.
        self.tls_context = ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)
        self.sender = config["MAIL_FROM"]
        self.envelope_sender = parseaddr(self.sender)[1]
        self.connections = max(1, int(config.get("MAIL_CONNECTIONS", 4)))
        self.max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 20))
        self.retry_base = float(config.get("MAIL_RETRY_BASE", 2.0))
        self.retry_cap = float(config.get("MAIL_RETRY_CAP", 300.0))
        self.lease = float(config.get("MAIL_LEASE_SECONDS", 60.0))
        self.poll_interval = float(config.get("MAIL_POLL_INTERVAL", 5.0))
        self.links = Links(config["PUBLIC_BASE_URL"], config["SECRET_KEY"])
        self.bulk = BulkMessages()

    def get_dependency(self, worker_ctx):
        return lambda cur: notify(cur, CHANNEL)

    def delay(self, attempts):
        return min(self.retry_cap, self.retry_base * 2**attempts)

    def drain_once(self, conn):
        with conn.transaction():
            rows = conn.execute(CLAIM, {"lease": self.lease, "limit": self.batch_size}).fetchall()
            bulk = {row["bulk_id"]: self.bulk.get(conn, row["bulk_id"]) for row in rows if row["bulk_id"]}
        if not rows:
            self.disconnect_all()
            return 0
        return Batch(self, conn, rows, bulk).send()

    def record_failure(self, conn, row, exc):
        """Record the failure (the caller commits)."""
        error = f"{type(exc).__name__}: {exc}"[:500]
        who = (row["id"], row.get("person_id"), for_the_log(exc))
        if classify(exc):
            log.warning("temporary failure for delivery %s (person %s): %s", *who)
            conn.execute(
                MARK_RETRY,
                {
                    "max": self.max_attempts,
                    "error": error,
                    "delay": self.delay(row["attempts"]),
                    "id": row["id"],
                },
            )
        else:
            log.error("permanent failure for delivery %s (person %s): %s", *who)
            conn.execute(MARK_FAILED, (error, row["id"]))

    def session(self, slot):
        """The worker's SMTP session, connected (and logged in) if it was not."""
        if self.smtp.get(slot) is None or self.smtp[slot].broken:
            self.disconnect(slot)
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=self.tls_context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=30)
            try:
                if self.security == "starttls":
                    smtp.starttls(context=self.tls_context)
                if self.user:
                    smtp.login(self.user, self.password)
                self.smtp[slot] = transport.Session(smtp, self.envelope_sender)
            except BaseException:
                smtp.close()  # a half-open connection is no use: close it now, not at garbage collection
                raise
        return self.smtp[slot]

    def disconnect(self, slot):
        session = self.smtp.pop(slot, None)
        if session is not None:
            try:
                session.server.quit()
            except Exception:  # noqa: BLE001 - the connection is going away anyway
                pass

    def disconnect_all(self):
        for slot in list(self.smtp):
            self.disconnect(slot)


class Batch:
    """One claimed batch: workers send, this greenlet records what happened, a commit at a time."""

    FINISHED = object()

    def __init__(self, sender, conn, rows, bulk):
        self.sender, self.conn, self.rows, self.bulk = sender, conn, rows, bulk
        self.todo = deque(rows)
        self.outcomes = LightQueue()
        self.halted = None  # the row whose failure showed the server out of reach

    def send(self):
        """Send the batch; return how many rows were handled (0 when the server is out of reach)."""
        workers = min(self.sender.connections, len(self.rows))
        for slot in range(workers):  # managed: a container that is killed kills them too
            self.sender.container.spawn_managed_thread(
                partial(self.work, slot), identifier=f"mail worker {slot}"
            )
        try:
            self.collect(workers)
        except BaseException:
            self.todo.clear()  # the database is in trouble: no more sending; the rows wait for their lease
            raise
        if self.todo:  # stopping, or the server is out of reach: the rest goes back, without an attempt
            delay = self.sender.delay(self.halted["attempts"]) if self.halted else 0
            self.conn.execute(RELEASE, (delay, [row["id"] for row in self.todo]))
            self.conn.commit()
        return 0 if self.halted else len(self.rows)

    def collect(self, running):
        claimed_at = time.monotonic()
        while running:
            try:
                outcomes = [self.outcomes.get(timeout=self.sender.lease / 4)]
            except Empty:
                outcomes = []
            while self.outcomes.qsize():  # everything that came in during the last commit
                outcomes.append(self.outcomes.get_nowait())
            running -= sum(1 for outcome in outcomes if outcome is self.FINISHED)
            self.record([outcome for outcome in outcomes if outcome is not self.FINISHED])
            if time.monotonic() - claimed_at > self.sender.lease / 2:  # a slow server: keep the rest ours
                self.conn.execute(RENEW, (self.sender.lease, [row["id"] for row in self.rows]))
                self.conn.commit()
                claimed_at = time.monotonic()

    def work(self, slot):
        rows, retried = {}, False  # the rows this worker has in hand, by id
        try:
            while self.todo and self.sender.running and self.halted is None:
                row = self.todo.popleft()
                rows[row["id"]] = row
                try:
                    message = build_message(
                        row, self.sender.sender, self.bulk.get(row["bulk_id"]), self.sender.links
                    )
                    session = self.sender.session(slot)
                    outcomes = session.send(row["id"], row["recipient"], message)
                except Exception as exc:  # noqa: BLE001 - composing or connecting failed: this row only
                    outcomes = [(row["id"], exc)]
                    session = None
                if not retried and self.stale(session, outcomes, row):
                    retried = True  # an idle connection the server had closed: one fresh try
                    self.todo.appendleft(row)
                    continue
                self.report(rows, outcomes)
            if self.sender.smtp.get(slot) is not None:
                self.report(rows, self.sender.smtp[slot].finish())
        finally:
            self.outcomes.put(self.FINISHED)

    def stale(self, session, outcomes, row):
        """True if the connection turned out closed at this row, the first of a session, nothing else lost."""
        return (
            session is not None
            and session.broken
            and len(outcomes) == 1
            and outcomes[0][0] == row["id"]
            and isinstance(outcomes[0][1], smtplib.SMTPServerDisconnected | ConnectionResetError)
        )

    def report(self, rows, outcomes):
        """Hand the outcomes to the recording greenlet (a broken session is replaced at the next row)."""
        for row_id, exc in outcomes:
            row = rows.pop(row_id)
            if exc is not None and unreachable(exc) and self.halted is None:
                self.halted = row
            self.outcomes.put((row, exc))

    def record(self, outcomes):
        if not outcomes:
            return
        sent = [row["id"] for row, exc in outcomes if exc is None]
        if sent:
            self.conn.execute(MARK_SENT, (sent,))
        for row, exc in outcomes:
            if exc is not None:
                self.sender.record_failure(self.conn, row, exc)
        self.conn.commit()
