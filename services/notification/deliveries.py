"""The delivery log: one row per message, unique per (event id, recipient, template).

A row is written in the handler's transaction (with the event's inbox row) and holds the message exactly
as it will be sent: subject, both bodies and the attached files (base64 in a JSON array, a few kB), so
the mail sender never renders anything and a retry sends the same bytes.
"""

import base64
import uuid
from dataclasses import dataclass

from psycopg.types.json import Jsonb

MESSAGE_NAMESPACE = uuid.UUID("6f1c3c3e-8a4e-4d8e-9f55-0d7f3c2a9b10")
ERASED_BEFORE_SENDING = "not sent: the recipient's personal data was erased"

INSERT = """
INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, forum_id, person_id,
                        message_id, subject, body_text, body_html, attachments, headers)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
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
    attachments = NULL, headers = NULL, lease_until = NULL,
    status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
    last_error = CASE WHEN status = 'pending' THEN %(reason)s
                      WHEN last_error IS NULL THEN NULL ELSE 'erased with the recipient' END
WHERE id = ANY(%(ids)s)
"""


@dataclass(frozen=True)
class Attachment:
    content_type: str
    filename: str
    content: bytes


def message_id(event_id, recipient, template, domain="opendetat"):
    """The same message always gets the same Message-ID, so mail systems can spot a repeat."""
    key = uuid.uuid5(MESSAGE_NAMESPACE, f"{event_id}/{recipient.lower()}/{template}")
    return f"<{key}@{domain}>"


def stored(attachments):
    if not attachments:
        return None
    return Jsonb(
        [
            {
                "content_type": a.content_type,
                "filename": a.filename,
                "content": base64.b64encode(a.content).decode(),
            }
            for a in attachments
        ]
    )


def loaded(value):
    """The (content type, filename, bytes) triples ``mime.compose`` takes, from a row's column."""
    return [(a["content_type"], a["filename"], base64.b64decode(a["content"])) for a in value or ()]


def log_message(cur, envelope, template, person, rendered, forum_id=None, attachments=(), headers=None):
    """Write the message to the log; False if this (event, recipient, template) is already there."""
    cur.execute(
        INSERT,
        (
            envelope["id"],
            template,
            person["email"],
            f"{person['first_name']} {person['last_name']}",
            person["locale"],
            forum_id,
            person.get("person_id"),
            message_id(envelope["id"], person["email"], template),
            rendered.subject,
            rendered.text,
            rendered.html,
            stored(attachments),
            Jsonb(headers) if headers else None,
        ),
    )
    return cur.rowcount == 1


def purge_person(cur, person_id, email):
    """Erase the person from the log; a message not yet sent never will be. Returns rows touched."""
    rows = cur.execute(LOCK, {"email": email, "person_id": person_id}).fetchall()
    cur.execute(DROP, ([row["id"] for row in rows if row["status"] == "sending"],))
    kept = [row["id"] for row in rows if row["status"] != "sending"]
    cur.execute(ANONYMISE, {"ids": kept, "reason": ERASED_BEFORE_SENDING})
    return len(rows)
