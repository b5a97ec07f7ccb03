"""Sending the delivery log's pending messages over SMTP, once each.

A batch of due rows is claimed (status ``sending`` with a lease) in one short transaction, so replicas
never take the same row; each message is sent on a reused SMTP connection and marked ``sent`` right
after the server accepted it. A process that dies mid-batch leaves its rows leased: when the lease runs
out another sender takes them, so at most the one message in flight when it died can go out twice.
Temporary failures (4xx, connection refused) are retried with exponential backoff; a permanent one
(5xx) fails the message at once; after ``max_attempts`` a message is ``failed``, visible in the log.
"""

import logging
import smtplib
import ssl
import time
from email.utils import parseaddr

from kit.drainer import TableDrainer, notify
from services.notification.deliveries import loaded
from services.notification.mime import compose

log = logging.getLogger(__name__)
CHANNEL = "notification_deliveries"

CLAIM = """
UPDATE deliveries SET status = 'sending', lease_until = now() + make_interval(secs => %(lease)s)
WHERE id IN (
    SELECT id FROM deliveries
    WHERE (status = 'pending' AND next_attempt_at <= now())
       OR (status = 'sending' AND lease_until < now())
    ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING id, recipient, recipient_name, message_id, subject, body_text, body_html, attachments, headers,
    attempts
"""
MARK_SENT = """UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1,
    last_error = NULL, lease_until = NULL WHERE id = %s"""
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


class PermanentFailure(Exception):
    pass


def build_message(row, sender):
    return compose(
        sender=sender,
        recipient=row["recipient"],
        recipient_name=row["recipient_name"],
        subject=row["subject"],
        message_id=row["message_id"],
        text=row["body_text"],
        html=row["body_html"],
        attachments=loaded(row.get("attachments")),
        headers=row.get("headers"),
    )


def classify(exc):
    """True if retrying may help (4xx, connection trouble); False for a permanent refusal (5xx)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return True


def unreachable(exc):
    """The server itself is out of reach (refused, timed out, hung up), not this one message."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class MailSender(TableDrainer):
    channel = CHANNEL
    batch_size = 20  # small claims: after a crash, few rows wait for their lease to run out

    def __init__(self):
        super().__init__("notification")
        self.smtp = None

    def setup(self):
        super().setup()
        config = self.container.config
        self.host, self.port = config["SMTP_HOST"], int(config["SMTP_PORT"])
        self.security = (config.get("SMTP_SECURITY") or "none").lower()
        self.user, self.password = config.get("SMTP_USER") or "", config.get("SMTP_PASSWORD") or ""
        # A private CA to trust (a relay with a certificate of its own); the system's CAs otherwise.
        self.tls_context = ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)
        self.sender = config["MAIL_FROM"]
        self.envelope_sender = parseaddr(self.sender)[1]
        self.max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 20))
        self.retry_base = float(config.get("MAIL_RETRY_BASE", 2.0))
        self.retry_cap = float(config.get("MAIL_RETRY_CAP", 300.0))
        self.lease = float(config.get("MAIL_LEASE_SECONDS", 60.0))
        self.poll_interval = float(config.get("MAIL_POLL_INTERVAL", 5.0))

    def get_dependency(self, worker_ctx):
        return lambda cur: notify(cur, CHANNEL)

    def delay(self, attempts):
        return min(self.retry_cap, self.retry_base * 2**attempts)

    def drain_once(self, conn):
        with conn.transaction():
            rows = conn.execute(CLAIM, {"lease": self.lease, "limit": self.batch_size}).fetchall()
        if not rows:
            self.disconnect()
            return 0
        claimed_at = time.monotonic()
        for index, row in enumerate(rows):
            if time.monotonic() - claimed_at > self.lease / 2:  # a slow server: keep the rest ours
                conn.execute(RENEW, (self.lease, [r["id"] for r in rows[index:]]))
                conn.commit()
                claimed_at = time.monotonic()
            try:
                self.send(row)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
                if not self.record_failure(conn, row, exc):
                    # The server is unreachable: give the rest of the batch back without an attempt.
                    rest = [r["id"] for r in rows[index + 1 :]]
                    conn.execute(RELEASE, (self.delay(row["attempts"]), rest))
                    conn.commit()
                    return 0
                continue
            conn.execute(MARK_SENT, (row["id"],))
            conn.commit()
        return len(rows)

    def record_failure(self, conn, row, exc):
        """Record the failure; return False when the whole server is out of reach."""
        self.disconnect()
        error = f"{type(exc).__name__}: {exc}"[:500]
        if classify(exc):
            log.warning("temporary failure for delivery %s: %s", row["id"], error)
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
            log.error("permanent failure for delivery %s: %s", row["id"], error)
            conn.execute(MARK_FAILED, (error, row["id"]))
        conn.commit()
        return not unreachable(exc)

    def send(self, row):
        message = build_message(row, self.sender)
        try:
            self.connection().sendmail(self.envelope_sender, [row["recipient"]], message)
        except smtplib.SMTPServerDisconnected:
            self.disconnect()  # an idle connection the server closed: one fresh try
            self.connection().sendmail(self.envelope_sender, [row["recipient"]], message)

    def connection(self):
        if self.smtp is None:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=30, context=self.tls_context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=30)
                if self.security == "starttls":
                    smtp.starttls(context=self.tls_context)
            if self.user:
                smtp.login(self.user, self.password)
            self.smtp = smtp
        return self.smtp

    def disconnect(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except Exception:  # noqa: BLE001 - the connection is going away anyway
                pass
            self.smtp = None
