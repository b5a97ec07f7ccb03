"""SMTP transactions on an open ``smtplib.SMTP`` connection, lean, pipelined when the server allows it.

``smtplib.sendmail`` parses both addresses with ``email.utils`` and runs two regular expressions over
the whole message (line endings, dot-stuffing) each time, and waits for each reply in turn: four round
trips per message. The messages here come from ``mime.compose`` (CRLF line endings already, and no line
can start with a dot: headers, base64 and MIME boundaries), and the addresses were validated when people
gave them. When the server offers PIPELINING (RFC 2920), a ``Session`` sends the end of one message and
MAIL, RCPT and DATA of the next in one write, then reads their replies: one round trip per message.
Refusals are smtplib's own exceptions, with the server's code, so callers classify them as before.
"""

import smtplib

BAD_IN_ADDRESS = ("\r", "\n", "<", ">", " ")
END = b".\r\n"


def data_of(message):
    """The DATA content of ``message``, ending with the terminating dot."""
    if b"\n." in message or message.startswith(b"."):
        message = smtplib._quote_periods(message)  # not from mime.compose: stuff the dots after all
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message + END


def check(server, recipient):
    if any(char in recipient for char in BAD_IN_ADDRESS):
        raise smtplib.SMTPRecipientsRefused({recipient: (553, b"5.1.3 malformed address")})
    if not recipient.isascii() and not server.has_extn("smtputf8"):
        raise smtplib.SMTPRecipientsRefused({recipient: (553, b"5.6.7 this server takes no UTF-8 address")})


def envelope(sender, recipient):
    utf8 = " SMTPUTF8" if not (sender.isascii() and recipient.isascii()) else ""
    return [f"MAIL FROM:<{sender}>{utf8}\r\n", f"RCPT TO:<{recipient}>\r\n", "DATA\r\n"]


class Session:
    """Messages one after another on one connection.

    ``send`` returns the outcomes ``(key, None or exception)`` of the messages it finished: with
    pipelining, a message is finished by the next ``send`` (or by ``finish``), whose write carries its
    end. Trouble with the connection itself (it closed, timed out) finishes every message in hand with
    that exception and leaves the session ``broken``.
    """

    def __init__(self, server, sender):
        self.server, self.sender = server, sender
        self.open = None  # (key, DATA content) of a message whose DATA the server accepted
        self.broken = False
        server.ehlo_or_helo_if_needed()
        self.pipelining = server.does_esmtp and server.has_extn("pipelining")

    def send(self, key, recipient, message):
        try:
            check(self.server, recipient)
        except smtplib.SMTPRecipientsRefused as refused:
            return [*self.finish(), (key, refused)]
        if not self.pipelining:
            return [*self.finish(), (key, self._one_by_one(recipient, data_of(message)))]
        in_hand, finished = [self.open[0]] if self.open else [], []
        try:
            write = (self.open[1] if self.open else b"") + "".join(envelope(self.sender, recipient)).encode()
            self.server.send(write)
            finished = [self._end_reply(self.open[0])] if self.open else []
            self.open = None
            replies = [self.server.getreply() for _ in range(3)]
            refusal = self._refusal(recipient, replies)
        except (OSError, smtplib.SMTPServerDisconnected) as trouble:
            self.broken, self.open = True, None
            done = {k for k, _ in finished}
            return [*finished, *[(k, trouble) for k in [*in_hand, key] if k not in done]]
        if refusal is None:
            self.open = (key, data_of(message))
            return finished
        return [*finished, (key, refusal)]

    def finish(self):
        """Send the end of the message in hand, if any; its outcome."""
        if not self.open:
            return []
        key, content = self.open
        self.open = None
        try:
            self.server.send(content)
            return [self._end_reply(key)]
        except (OSError, smtplib.SMTPServerDisconnected) as trouble:
            self.broken = True
            return [(key, trouble)]

    def _end_reply(self, key):
        code, reply = self.server.getreply()
        return key, None if code == 250 else smtplib.SMTPDataError(code, reply)

    def _one_by_one(self, recipient, content):
        replies = []
        try:
            for command in envelope(self.sender, recipient):
                self.server.send(command.encode())
                replies.append(self.server.getreply())
                if replies[-1][0] >= 400:
                    break
            refusal = self._refusal(recipient, replies)
            if refusal is not None:
                return refusal
            self.server.send(content)
            code, reply = self.server.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as trouble:
            self.broken = True
            return trouble
        if code != 250:
            self._reset()
            return smtplib.SMTPDataError(code, reply)
        return None

    def _refusal(self, recipient, replies):
        """The refusal among MAIL, RCPT, DATA's replies (the transaction then reset), or None."""
        (mail_code, mail_reply), *rest = replies
        if mail_code != 250:
            refusal = smtplib.SMTPSenderRefused(mail_code, mail_reply, self.sender)
        elif rest[0][0] not in (250, 251):
            refusal = smtplib.SMTPRecipientsRefused({recipient: rest[0]})
        elif rest[1][0] != 354:
            refusal = smtplib.SMTPDataError(*rest[1])
        else:
            return None
        if len(rest) == 2 and rest[1][0] == 354:  # a server that took DATA all the same: end it, empty
            self.server.send(END)
            self.server.getreply()
        self._reset()
        return refusal

    def _reset(self):
        """Leave the connection ready for the next transaction (smtplib does the same after a refusal)."""
        try:
            self.server.rset()
        except smtplib.SMTPServerDisconnected:
            self.broken = True


def send(server, sender, recipient, message):
    """One message, on its own: raises its refusal, if any."""
    session = Session(server, sender)
    outcomes = [*session.send(None, recipient, message), *session.finish()]
    for _, trouble in outcomes:
        if trouble is not None:
            raise trouble
