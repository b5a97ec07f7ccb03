"""What the topics service reads from the registration events: only the fields it uses.

These are this service's own expectations of another service's events (it never imports that
service); an event missing one of them is invalid: it is recorded at once as a dead letter, with the
field errors, for organisers to see (``kit.dead_letters``), and not retried.
"""

from marshmallow import fields

from kit.events import Reading as Schema


class Forum(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    status = fields.String(required=True)


class Person(Schema):
    person_id = fields.UUID(required=True)
    token_version = fields.Integer(load_default=0)


class Registration(Schema):
    forum = fields.Nested(Forum, required=True)
    person = fields.Nested(Person, required=True)
    stakeholder_group = fields.String(required=True)


class ForumEvent(Schema):
    forum = fields.Nested(Forum, required=True)


class Subscription(Schema):
    person = fields.Nested(Person, required=True)


class LinkRequested(Schema):
    person = fields.Nested(Person, required=True)


class Erased(Schema):
    person_id = fields.UUID(required=True)


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
SCHEMAS |= {
    "subscription_confirmed": Subscription(),
    "management_link_requested": LinkRequested(),
    "person_erased": Erased(),
}
