"""What the notification service reads from other services' events: only the fields it uses.

These are this service's own expectations of the registration events (it never imports another
service); an event missing one of them is invalid and goes to the dead-letter queue.
"""

from marshmallow import EXCLUDE, fields
from marshmallow import Schema as BaseSchema


class Schema(BaseSchema):
    class Meta:
        unknown = EXCLUDE  # producers may add fields at any time


class Venue(Schema):
    name = fields.String(required=True)
    address = fields.String(required=True)
    city = fields.String(required=True)


class Forum(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(load_default="Europe/Paris")
    venue = fields.Nested(Venue, required=True)


class Person(Schema):
    email = fields.Email(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    locale = fields.String(load_default="fr")


class RegistrationNotice(Schema):
    registration_id = fields.UUID(required=True)
    forum = fields.Nested(Forum, required=True)
    person = fields.Nested(Person, required=True)
    waitlist_position = fields.Integer(load_default=None)


REGISTRATION_NOTICE = RegistrationNotice()
