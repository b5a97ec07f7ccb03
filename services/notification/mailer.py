"""Sending the delivery log's pending messages over SMTP, on several connections at once.

What is guaranteed: every message reaches the relay at least once, always with the same Message-ID (see
``deliveries``), and a crash of a sender (or the loss of its database connection) repeats at most one
message per SMTP connection it had open. SMTP cannot do better: a relay may accept a message at the very
instant the sender dies, before the sender can write down that it did.

How: a batch of due rows is claimed (status ``sending``) in one short transaction, marked with the claim
id of this process, which its database session holds as a shared advisory lock. ``MAIL_CONNECTIONS``
workers (greenlets, each with its own reused SMTP connection, pipelined when the server allows it: see
``transport``) take the batch's messages one by one. Each accepted message is committed as ``sent``
before its worker writes anything more on that connection (a recording greenlet commits whatever the
workers handed it at once, so the commits of several connections share one), so at any instant each
connection has at most one message the relay may have taken without a record: the one whose end was
last written. A sender that vanishes (killed, its host gone) loses its database session with it, and
the next claim, by any replica, takes its rows at once; the lease (``MAIL_LEASE_SECONDS``) is only the
last resort, for a session PostgreSQL has not yet seen go (a host cut off without a word).
When the database goes away at the record step, the sender keeps in memory what the relay accepted,
sends nothing more, and records it (and gives back the rest of the batch) before it claims anything on
its next connection. Only if it also stops before the database returns can those messages go again.
A stop lets the messages in flight finish, records them and gives the rest of the batch back at once.
Temporary failures (4xx, connection refused) are retried with exponential backoff; a permanent one
(5xx) fails the message at once; after ``max_attempts`` a message is ``failed``, visible in the log.
When the server is out of reach or refuses our login, the batch stops and its unsent rows wait for the
backoff. A connection lost while waiting for the relay's answer to a message counts as a temporary
failure: that message goes again later (the relay may have taken it: the same Message-ID shows it).

The statements (the claim, the records, the lease) are in ``store.deliveries``; how a failure is taken
(permanent or temporary, the server out of reach or not) and the backoff are in ``rules``.
"""

import logging
import re
import secrets
import smtplib
import ssl
from email.utils import parseaddr

from kit.drainer import TableDrainer, notify
from kit.secrets import InsecureSettings
from services.notification import rules, store, transport
from services.notification.batch import Batch
from services.notification.bulk import BulkMessages
from services.notification.deliveries import loaded
from services.notification.links import Links
from services.notification.mime import compose

log = logging.getLogger(__name__)
CHANNEL = "notification_deliveries"

# Anything shaped like an address, in what a server answered: relays often name the recipient they refuse.
ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")
SECURITY_MODES = ("none", "starttls", "tls")  # SMTP_SECURITY


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


class MailSender(TableDrainer):
    channel = CHANNEL
    batch_size = 500

    def __init__(self):
        super().__init__("notification")
        self.smtp = {}  # worker slot -> its SMTP session (transport.Session)
        # What a lost database connection left to write down: (row, exception or None) outcomes the relay
        # gave, and rows claimed but not sent. Written before anything else is claimed.
        self.unrecorded, self.unsent = [], []

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
        self.claim = secrets.randbelow(2**31 - 2) + 1  # this process's claim id, for as long as it lives

    def get_dependency(self, worker_ctx):
        return lambda cur: notify(cur, CHANNEL)

    def delay(self, attempts):
        return rules.backoff(attempts, self.retry_base, self.retry_cap)

    def connected(self, conn):
        """Hold this process's claim id for as long as the session lasts: the rows it claims are its own
        while it does, and free for anyone the moment the session ends. Its commits do not wait for the
        disk (see ``store.deliveries.NO_FLUSH_WAIT``)."""
        store.deliveries.hold_claim(conn, self.claim)
        store.deliveries.skip_flush_wait(conn)
        conn.commit()

    def drain_once(self, conn):
        self.settle(conn)
        with conn.transaction():
            rows = store.deliveries.claim_due(conn, self.claim, self.lease, self.batch_size)
            bulk = {row["bulk_id"]: self.bulk.get(conn, row["bulk_id"]) for row in rows if row["bulk_id"]}
        if not rows:
            self.disconnect_all()
            return 0
        return Batch(self, conn, rows, bulk).send()

    def settle(self, conn):
        """Write down what the last connection could not, before claiming: the messages the relay accepted
        would otherwise be sent again once their rows are free. Kept in memory until it commits."""
        if not (self.unrecorded or self.unsent):
            return
        self.record(conn, self.unrecorded)
        store.deliveries.release(conn, [row["id"] for row in self.unsent], self.claim, 0)
        conn.commit()
        log.info("recorded %d outcomes a lost connection left in memory", len(self.unrecorded))
        self.unrecorded, self.unsent = [], []

    def record(self, conn, outcomes):
        """Record what the relay answered (the caller commits)."""
        sent = [row["id"] for row, exc in outcomes if exc is None]
        if sent:
            store.deliveries.mark_sent(conn, sent)
        for row, exc in outcomes:
            if exc is not None:
                self.record_failure(conn, row, exc)

    def record_failure(self, conn, row, exc):
        """Record the failure (the caller commits)."""
        error = f"{type(exc).__name__}: {exc}"[:500]
        who = (row["id"], row.get("person_id"), for_the_log(exc))
        if rules.classify(exc):
            log.warning("temporary failure for delivery %s (person %s): %s", *who)
            delay = self.delay(row["attempts"])
            store.deliveries.mark_retry(conn, row["id"], self.claim, self.max_attempts, error, delay)
        else:
            log.error("permanent failure for delivery %s (person %s): %s", *who)
            store.deliveries.mark_failed(conn, row["id"], self.claim, error)

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

    def abort(self, slot):
        """Drop the connection without a word: a message whose envelope the relay took but whose end it
        never got is discarded by the relay, not delivered."""
        session = self.smtp.pop(slot, None)
        if session is not None:
            session.server.close()

    def compose(self, row, bulk_message):
        return build_message(row, self.sender, bulk_message, self.links)

    def disconnect_all(self):
        for slot in list(self.smtp):
            self.disconnect(slot)
