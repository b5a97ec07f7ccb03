import email
import email.policy
import smtplib

from services.notification.domain import message_id
from services.notification.mailer import build_message, classify, unreachable


def test_message_id_is_stable_per_event_recipient_and_template():
    one = message_id("e1", "A@example.org", "registration_confirmed")
    assert one == message_id("e1", "a@example.org", "registration_confirmed")
    assert one != message_id("e2", "a@example.org", "registration_confirmed")
    assert one != message_id("e1", "a@example.org", "registration_waitlisted")
    assert one.startswith("<") and one.endswith(">")


def test_temporary_and_permanent_smtp_failures():
    assert classify(ConnectionRefusedError())
    assert classify(smtplib.SMTPResponseException(451, b"try later"))
    assert not classify(smtplib.SMTPResponseException(550, b"no such user"))
    assert not classify(smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no")}))
    assert unreachable(ConnectionRefusedError()) and unreachable(smtplib.SMTPServerDisconnected())
    assert not unreachable(smtplib.SMTPResponseException(550, b"no such user"))


def test_message_has_both_parts_and_the_recipient_name_cannot_add_headers():
    row = {
        "subject": "Sujet",
        "recipient": "a@example.org",
        "recipient_name": "Eve\r\nBcc: x@evil.example",
        "message_id": "<1@opendetat>",
        "body_text": "texte",
        "body_html": "<p>html</p>",
    }
    raw = build_message(row, "Open d'Etat <forums@example.org>")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Bcc"] is None
    assert message["Subject"] == "Sujet"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["To"].addresses[0].addr_spec == "a@example.org"
