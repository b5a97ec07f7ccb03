"""What the topics service reads from the registration events: only the fields it uses.

These are this service's own expectations of another service's events (it never imports that
service); an event missing one of them is invalid: it is recorded at once as a dead letter, with the
field errors, for organisers to see (``kit.dead_letters``), and not retried.
"""

from marshmallow import fields

from kit import people
from kit.events import Reading as Schema
from kit.people import Person


class Forum(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    status = fields.String(required=True)


class Registration(Schema):
    forum = fields.Nested(Forum, required=True)
    person = fields.Nested(Person, required=True)
    stakeholder_group = fields.String(required=True)


class ForumEvent(Schema):
    forum = fields.Nested(Forum, required=True)


REGISTRANT_EVENTS = (
    "registration_confirmed",
    "registration_waitlisted",
    "registration_promoted",
    "registration_cancelled",
)
FORUM_EVENTS = (
    "forum_scheduled",
    "forum_opened",
    "forum_updated",
    "forum_closed",
    "forum_held",
    "forum_cancelled",
)
SCHEMAS = {event_type: Registration() for event_type in REGISTRANT_EVENTS}
SCHEMAS |= {event_type: ForumEvent() for event_type in FORUM_EVENTS}
SCHEMAS |= people.READINGS
