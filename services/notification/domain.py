"""What the notification service does with an event: decide the messages, render them, log them.

Messages are written to the delivery log in the handler's transaction (with the event's inbox row);
the mail sender sends them after commit. One row per (event id, recipient, template).
"""

import uuid

from services.notification.rendering import one_line

MESSAGE_NAMESPACE = uuid.UUID("6f1c3c3e-8a4e-4d8e-9f55-0d7f3c2a9b10")

INSERT = """
INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, forum_id, message_id,
                        subject, body_text, body_html)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (event_id, recipient, template) DO NOTHING
"""


def message_id(event_id, recipient, template, domain="opendetat"):
    """The same message always gets the same Message-ID, so mail systems can spot a repeat."""
    key = uuid.uuid5(MESSAGE_NAMESPACE, f"{event_id}/{recipient.lower()}/{template}")
    return f"<{key}@{domain}>"


def person_context(person):
    """Names as one line each: a name cannot break a header or a layout."""
    return person | {"first_name": one_line(person["first_name"]), "last_name": one_line(person["last_name"])}


def queue_registration_message(cur, renderer, envelope, data, template):
    """Log the message telling a registrant what happened to their registration; return True if new."""
    person = person_context(data["person"])
    context = {"forum": data["forum"], "person": person, "waitlist_position": data.get("waitlist_position")}
    rendered = renderer.render(template, person["locale"], context)
    cur.execute(
        INSERT,
        (
            envelope["id"],
            template,
            person["email"],
            f"{person['first_name']} {person['last_name']}",
            person["locale"],
            data["forum"]["id"],
            message_id(envelope["id"], person["email"], template),
            rendered.subject,
            rendered.text,
            rendered.html,
        ),
    )
    return cur.rowcount == 1
