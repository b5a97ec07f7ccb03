"""A local SMTP sink: every message received is kept in a Maildir, nothing is relayed.

Listens on SMTP_SINK_HOST:SMTP_SINK_PORT (default 127.0.0.1:1025) and stores each message in
SMTP_SINK_MAILDIR (default var/mail at the repository root); addresses ending with SMTP_SINK_REFUSE (if set)
are refused with a permanent 550, to try how senders handle it. So `ls var/mail/new` or any mail client
shows what the platform sent. Run with `.venv/bin/python deploy/smtp_sink.py`; stops on SIGTERM or SIGINT.
"""

import asyncio
import email
import email.policy
import logging
import mailbox
import os
import signal
from pathlib import Path

from aiosmtpd.smtp import SMTP

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("smtp_sink")


class MaildirHandler:
    def __init__(self, path, refuse=None):
        self.path = Path(path)
        self.maildir = mailbox.Maildir(self.path, create=True)
        # Addresses ending with this are refused for good (550), as a real server refuses an unknown user.
        self.refuse = (refuse or "").lower()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and address.lower().endswith(self.refuse):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for sub in ("tmp", "new", "cur"):  # the folder may have been emptied by hand meanwhile
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        recipients = ", ".join(envelope.rcpt_tos)
        # The envelope is not part of the message: keep it, as a local delivery agent would.
        trace = f"Return-Path: <{envelope.mail_from}>\r\nX-Envelope-To: {recipients}\r\n".encode()
        try:
            key = self.maildir.add(trace + envelope.original_content)
        except OSError as exc:  # a transient answer: the sender keeps the message and retries
            log.error("could not store a message from %s: %s", envelope.mail_from, exc)
            return "451 Requested action aborted: local error in processing"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        log.info(
            "received from=%s to=%s subject=%r file=new/%s",
            envelope.mail_from,
            recipients,
            str(message["subject"] or ""),
            key,
        )
        return "250 Message accepted for delivery"


async def serve(host, port, maildir):
    loop = asyncio.get_running_loop()
    handler = MaildirHandler(maildir, os.environ.get("SMTP_SINK_REFUSE"))
    server = await loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True, loop=loop), host, port)
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
