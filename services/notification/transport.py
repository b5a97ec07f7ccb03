"""One SMTP transaction (MAIL, RCPT, DATA, the message) on an open ``smtplib.SMTP`` connection, lean.

``smtplib.sendmail`` parses both addresses with ``email.utils`` and runs two regular expressions over
the whole message (line endings, dot-stuffing) each time, and waits for each reply in turn: four round
trips. The messages here come from ``mime.compose`` (CRLF line endings already, and no line can start
with a dot: headers, base64 and MIME boundaries), the addresses were validated when people gave them,
and when the server offers PIPELINING (RFC 2920) MAIL, RCPT and DATA go out together: two round trips.
Refusals raise smtplib's own exceptions, with the server's code, so callers classify them as before.
"""

import smtplib

BAD_IN_ADDRESS = ("\r", "\n", "<", ">", " ")


def _check(address, server):
    if any(char in address for char in BAD_IN_ADDRESS):
        raise smtplib.SMTPRecipientsRefused({address: (553, b"5.1.3 malformed address")})
    if not address.isascii() and not server.has_extn("smtputf8"):
        raise smtplib.SMTPRecipientsRefused({address: (553, b"5.6.7 this server takes no UTF-8 address")})


def send(server, sender, recipient, message):
    """Send ``message`` (bytes, CRLF line endings) from ``sender`` to ``recipient`` on ``server``."""
    server.ehlo_or_helo_if_needed()
    _check(recipient, server)
    utf8 = " SMTPUTF8" if not (sender.isascii() and recipient.isascii()) else ""
    commands = [f"MAIL FROM:<{sender}>{utf8}\r\n", f"RCPT TO:<{recipient}>\r\n", "DATA\r\n"]
    if server.does_esmtp and server.has_extn("pipelining"):
        server.send("".join(commands).encode())
        replies = [server.getreply() for _ in commands]
    else:
        replies = []
        for command in commands:
            server.send(command.encode())
            replies.append(server.getreply())
            if replies[-1][0] >= 400:
                break
    _raise_for(server, sender, recipient, replies)
    if b"\n." in message or message.startswith(b"."):
        message = smtplib._quote_periods(message)  # not from mime.compose: stuff the dots after all
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    server.send(message + b".\r\n")
    code, reply = server.getreply()
    if code != 250:
        _reset(server)
        raise smtplib.SMTPDataError(code, reply)


def _raise_for(server, sender, recipient, replies):
    (mail_code, mail_reply), *rest = replies
    if mail_code != 250 or rest[0][0] not in (250, 251):
        if len(rest) == 2 and rest[1][0] == 354:  # a server that took DATA all the same: end it, empty
            server.send(b".\r\n")
            server.getreply()
    if mail_code != 250:
        _reset(server)
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    rcpt_code, rcpt_reply = rest[0]
    if rcpt_code not in (250, 251):
        _reset(server)
        raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
    data_code, data_reply = rest[1]
    if data_code != 354:
        _reset(server)
        raise smtplib.SMTPDataError(data_code, data_reply)


def _reset(server):
    """Leave the connection ready for the next transaction (smtplib does the same after a refusal)."""
    try:
        server.rset()
    except smtplib.SMTPServerDisconnected:
        pass
