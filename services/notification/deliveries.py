"""The delivery log: one row per message, unique per (event id, recipient, template).

A row is written in the handler's transaction (with the event's inbox row) and holds the message exactly
as it will be sent: subject, both bodies and the attached files (base64 in a JSON array, a few kB), so
the mail sender never renders anything and a retry sends the same message, with the same Message-ID: the
relay gets each message at least once, and a repeat after a crash is recognisable (see ``mailer``). A
bulk row (an announcement) holds the recipient and what fills in its bulk message instead (``bulk_id``,
``fill``; see ``bulk``).
"""

import base64
from dataclasses import dataclass

from psycopg.types.json import Jsonb

# The same message always gets the same Message-ID (a UUID from the event, the lower-cased recipient and
# the template), so mail systems can spot a repeat. Written in SQL, as bulk rows are made by the database.
MESSAGE_ID = (
    "'<' || md5(({event})::text || '/' || lower(({recipient})::text) || '/' || ({template})::text)::uuid"
    " || '@opendetat>'"
)
ERASED_BEFORE_SENDING = "not sent: the recipient's personal data was erased"

INSERT = f"""
INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, forum_id, person_id,
                        message_id, subject, body_text, body_html, attachments, headers)
VALUES (%(event_id)s, %(template)s, %(recipient)s, %(recipient_name)s, %(locale)s, %(forum_id)s, %(person_id)s,
        {MESSAGE_ID.format(event="%(event_id)s", recipient="%(recipient)s", template="%(template)s")},
        %(subject)s, %(body_text)s, %(body_html)s, %(attachments)s, %(headers)s)
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
    attachments = NULL, headers = NULL, fill = NULL, lease_until = NULL,
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
        {
            "event_id": envelope["id"],
            "template": template,
            "recipient": person["email"],
            "recipient_name": f"{person['first_name']} {person['last_name']}",
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
    return cur.rowcount == 1


def purge_person(cur, person_id, email):
    """Erase the person from the log; a message not yet sent never will be. Returns rows touched."""
    rows = cur.execute(LOCK, {"email": email, "person_id": person_id}).fetchall()
    cur.execute(DROP, ([row["id"] for row in rows if row["status"] == "sending"],))
    kept = [row["id"] for row in rows if row["status"] != "sending"]
    cur.execute(ANONYMISE, {"ids": kept, "reason": ERASED_BEFORE_SENDING})
    return len(rows)
