import email
import email.policy
import re

from services.notification.deliveries import Attachment, loaded, stored
from services.notification.mailer import build_message
from services.notification.mime import compose


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


def test_attachments_are_logged_as_json_and_sent_as_the_same_bytes():
    files = [
        Attachment('text/calendar; charset="utf-8"; method=PUBLISH', "invitation.ics", b"BEGIN:VCALENDAR\r\n")
    ]
    files.append(Attachment("image/png", "attendee-code.png", bytes(range(256))))
    column = stored(files).obj  # what psycopg writes to the jsonb column
    assert loaded(column) == [(f.content_type, f.filename, f.content) for f in files]
    row = {
        "subject": "Sujet",
        "recipient": "a@example.org",
        "recipient_name": "A",
        "message_id": "<2@opendetat>",
        "body_text": "texte",
        "body_html": "<p>html</p>",
        "attachments": column,
    }
    message = email.message_from_bytes(build_message(row, "forums@example.org"), policy=email.policy.default)
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)).get_content() == "texte"
    [ics, png] = list(message.iter_attachments())
    assert (ics.get_content_type(), ics.get_filename(), ics.get_param("method")) == (
        "text/calendar",
        "invitation.ics",
        "PUBLISH",
    )
    assert ics.get_content() == "BEGIN:VCALENDAR\r\n"
    assert (png.get_filename(), png.get_content()) == ("attendee-code.png", bytes(range(256)))


def test_no_attachments_is_a_plain_alternative():
    assert stored([]) is None and loaded(None) == []


def test_non_ascii_headers_are_encoded_words_within_limits_and_read_back_exactly():
    name = 'Zoé "<b>" Martin\r\nBcc: z@example.org'
    for subject in (
        "Inscriptions ouvertes : Forum été",
        "é" * 200,
        "日本語のフォーラム" * 20,
        "a\r\nBcc: x@y é",
    ):
        raw = compose(
            sender="forums@example.org", recipient="a@example.org", recipient_name=name, subject=subject,
            message_id="<1@example.org>", text="t", html="<p>h</p>",
        )  # fmt: skip
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Subject"] == " ".join(subject.split())
        assert message["To"].addresses[0].display_name == 'Zoé "<b>" Martin Bcc: z@example.org'
        assert message["Bcc"] is None
        assert all(len(word) <= 75 for word in re.findall(rb"=\?utf-8\?b\?[^?]*\?=", raw))
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
