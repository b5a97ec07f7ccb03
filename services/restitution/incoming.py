"""What the restitution service reads from the registration and topics events: only the fields it uses.

These are this service's own expectations of other services' events (it never imports them); an event
missing one of them is invalid: it is recorded at once as a dead letter, with the field errors, for
organisers to see (``kit.dead_letters``), and not retried.
"""

from marshmallow import fields

from kit import people
from kit.events import Reading as Schema
from kit.people import Person


class Forum(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(load_default="Europe/Paris")
    status = fields.String(required=True)


class ForumEvent(Schema):
    forum = fields.Nested(Forum, required=True)


class Registration(Schema):
    registration_id = fields.UUID(required=True)
    forum = fields.Nested(Forum, required=True)
    person = fields.Nested(Person, required=True)
    stakeholder_group = fields.String(required=True)


class CheckedIn(Schema):
    registration_id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)
    stakeholder_group = fields.String(required=True)
    checked_in_at = fields.AwareDateTime(required=True)


class RoundClosed(Schema):
    round_id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)
    method = fields.String(required=True)
    results = fields.Dict(required=True)


class Topic(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)


class TopicEvent(Schema):
    topic = fields.Nested(Topic, required=True)


FORUM_EVENTS = (
    "forum_scheduled",
    "forum_opened",
    "forum_updated",
    "forum_closed",
    "forum_held",
    "forum_cancelled",
)
REGISTRANT_EVENTS = (
    "registration_confirmed",
    "registration_waitlisted",
    "registration_promoted",
    "registration_cancelled",
)


class CarriedOver(TopicEvent):
    from_forum_id = fields.UUID(required=True)
    to_forum_id = fields.UUID(required=True, allow_none=True)
    why = fields.String(required=True)
    standing = fields.Dict(required=True)


TOPIC_EVENTS = ("topic_published", "topic_edited")
SCHEMAS = {event_type: ForumEvent() for event_type in FORUM_EVENTS}
SCHEMAS |= {event_type: Registration() for event_type in REGISTRANT_EVENTS}
SCHEMAS |= {event_type: TopicEvent() for event_type in TOPIC_EVENTS}
SCHEMAS |= {
    "attendee_checked_in": CheckedIn(),
    "round_closed": RoundClosed(),
    "topic_carried_over": CarriedOver(),
}
SCHEMAS |= people.READINGS  # who may comment
SOURCES = {
    event_type: "registration"
    for event_type in (*FORUM_EVENTS, *REGISTRANT_EVENTS, "attendee_checked_in", *people.READINGS)
}
SOURCES |= {event_type: "topics" for event_type in (*TOPIC_EVENTS, "round_closed", "topic_carried_over")}
