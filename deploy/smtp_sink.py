"""A local SMTP sink: every message received is kept in a Maildir, nothing is relayed.

Listens on SMTP_SINK_HOST:SMTP_SINK_PORT (default 127.0.0.1:1025) and stores each message in
SMTP_SINK_MAILDIR (default var/mail at the repository root); addresses ending with SMTP_SINK_REFUSE (if set)
are refused with a permanent 550, to try how senders handle it; SMTP_SINK_DELAY (seconds, if set) is how long
it takes to answer each message's end, as a slow relay would. So `ls var/mail/new` or any mail client
shows what the platform sent. Run with `.venv/bin/python deploy/smtp_sink.py`; stops on SIGTERM or SIGINT.

To try a relay's security, all optional: SMTP_SINK_TLS_CERT and SMTP_SINK_TLS_KEY (PEM files) make it offer
STARTTLS, or, with SMTP_SINK_TLS_MODE=implicit, speak TLS from the first byte (as on port 465);
SMTP_SINK_AUTH="user:password" requires AUTH PLAIN or LOGIN with that login before MAIL (530 otherwise),
answers any other login with 535, and over STARTTLS offers AUTH only once TLS is on. Each stored message
gets a Received header naming the protocol (RFC 3848: ESMTPS with TLS, ESMTPA with AUTH, ESMTPSA both).
"""

import asyncio
import email.policy
import logging
import mailbox
import os
import signal
import ssl
from email.parser import BytesHeaderParser
from email.utils import formatdate
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("smtp_sink")


HEADERS = BytesHeaderParser(policy=email.policy.default)


class MaildirHandler:
    def __init__(self, path, refuse=None, delay=0.0):
        self.path = Path(path)
        self.delay = delay
        self.maildir = mailbox.Maildir(self.path, create=True)
        # Addresses ending with this are refused for good (550), as a real server refuses an unknown user.
        self.refuse = (refuse or "").lower()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and address.lower().endswith(self.refuse):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        for sub in ("tmp", "new", "cur"):  # the folder may have been emptied by hand meanwhile
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        recipients = ", ".join(envelope.rcpt_tos)
        tls = server.transport.get_extra_info("ssl_object")  # after STARTTLS or on an implicit TLS port
        protocol = "ESMTP" + "S" * bool(tls) + "A" * bool(session.authenticated)
        protocol += f" ({tls.version()})" if tls else ""
        # The envelope is not part of the message: keep it, as a local delivery agent would.
        trace = (
            f"Return-Path: <{envelope.mail_from}>\r\nX-Envelope-To: {recipients}\r\n"
            f"Received: from {session.host_name} ([{session.peer[0]}]) by smtp_sink with {protocol};"
            f" {formatdate(localtime=True)}\r\n"
        ).encode()
        try:
            key = self.maildir.add(trace + envelope.original_content)
        except OSError as exc:  # a transient answer: the sender keeps the message and retries
            log.error("could not store a message from %s: %s", envelope.mail_from, exc)
            return "451 Requested action aborted: local error in processing"
        # The headers only: parsing the whole message (its parts, its attachments) for the subject took
        # most of the sink's time, a millisecond per MIME part.
        message = HEADERS.parsebytes(envelope.original_content)
        log.info(
            "received from=%s to=%s subject=%r file=new/%s",
            envelope.mail_from,
            recipients,
            str(message["subject"] or ""),
            key,
        )
        return "250 Message accepted for delivery"


class OneLogin:
    """Accepts AUTH PLAIN or LOGIN with this one "user:password"; any other login gets 535."""

    def __init__(self, credentials):
        login, _, password = credentials.partition(":")
        self.expected = LoginPassword(login.encode(), password.encode())

    def __call__(self, server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data == self.expected, handled=False)


def security(env):
    """(TLS context for the listening socket, extra SMTP arguments) from the optional SMTP_SINK_* settings."""
    listening_tls, options = None, {}
    if env.get("SMTP_SINK_TLS_CERT"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)  # asks for no client certificate
        context.load_cert_chain(env["SMTP_SINK_TLS_CERT"], env["SMTP_SINK_TLS_KEY"])
        if env.get("SMTP_SINK_TLS_MODE") == "implicit":
            listening_tls = context
        else:
            options["tls_context"] = context
    if env.get("SMTP_SINK_AUTH"):
        # aiosmtpd only knows of the TLS it started itself (STARTTLS): on an implicit TLS port, don't wait for it.
        options |= {
            "authenticator": OneLogin(env["SMTP_SINK_AUTH"]),
            "auth_required": True,
            "auth_require_tls": "tls_context" in options,
        }
    return listening_tls, options


async def serve(host, port, maildir):
    loop = asyncio.get_running_loop()
    delay = float(os.environ.get("SMTP_SINK_DELAY") or 0)
    handler = MaildirHandler(maildir, os.environ.get("SMTP_SINK_REFUSE"), delay)
    listening_tls, options = security(os.environ)
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True, loop=loop, **options), host, port, ssl=listening_tls
    )
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    log.info("listening on %s:%s, storing messages in %s", host, port, maildir)
    await stopping.wait()
    server.close()
    await server.wait_closed()
    log.info("stopped")


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    host = os.environ.get("SMTP_SINK_HOST", "127.0.0.1")
    port = int(os.environ.get("SMTP_SINK_PORT", "1025"))
    maildir = os.environ.get("SMTP_SINK_MAILDIR", str(ROOT / "var" / "mail"))
    asyncio.run(serve(host, port, maildir))


if __name__ == "__main__":
    main()
