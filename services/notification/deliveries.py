"""The delivery log: one row per message, unique per (event id, recipient, template).

A row is written in the handler's transaction (with the event's inbox row) and holds the message exactly
as it will be sent: subject, both bodies and the attached files (base64 in a JSON array, a few kB), so
the mail sender never renders anything and a retry sends the same message, with the same Message-ID: the
relay gets each message at least once, and a repeat after a crash is recognisable (see ``mailer``). A
bulk row (an announcement) holds the recipient and what fills in its bulk message instead (``bulk_id``,
``fill``; see ``bulk``). The statements, and the Message-ID's making, are in ``store.deliveries``.
"""

import base64
from dataclasses import dataclass

from psycopg.types.json import Jsonb

from services.notification import store

ERASED_BEFORE_SENDING = "not sent: the recipient's personal data was erased"


@dataclass(frozen=True)
class Attachment:
    content_type: str
    filename: str
    content: bytes


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
    return store.deliveries.insert(
        cur,
        {
            "event_id": envelope["id"],
            "template": template,
            "recipient": person["email"],
            "recipient_name": f"{person['first_name']} {person['last_name']}".strip(),  # none: an organiser
            "locale": person["locale"],
            "forum_id": forum_id,
            "person_id": person.get("person_id"),
            "subject": rendered.subject,
            "body_text": rendered.text,
            "body_html": rendered.html,
            "attachments": stored(attachments),
            "headers": Jsonb(headers) if headers else None,
        },
    )


def purge_person(cur, person_id, email):
    """Erase the person from the log; a message not yet sent never will be. Returns rows touched."""
    rows = store.deliveries.lock_person(cur, person_id, email)
    store.deliveries.drop(cur, [row["id"] for row in rows if row["status"] == "sending"])
    kept = [row["id"] for row in rows if row["status"] != "sending"]
    store.deliveries.anonymise(cur, kept, ERASED_BEFORE_SENDING)
    return len(rows)
