"""Events the registration service emits on ``registration.events`` (routing key = event name).

This module is the contract with every consumer: each schema's docstring says when the event is sent
and when it is not. Payloads only grow by new fields; a breaking change becomes a ``v2`` event.
"""

from marshmallow import Schema, fields

from kit.events import EventCatalog

catalog = EventCatalog("registration")

STAKEHOLDER_GROUPS = ("administration", "civil_society", "company", "citizen", "research_media", "other")
LOCALES = ("fr", "en")


class Venue(Schema):
    name = fields.String(required=True)
    address = fields.String(required=True)
    city = fields.String(required=True)
    accessibility = fields.String()


class Forum(Schema):
    """The forum as consumers need it to speak of it (title, times, place)."""

    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(required=True)
    venue = fields.Nested(Venue, required=True)
    capacity = fields.Integer(required=True)
    status = fields.String(required=True)


class Person(Schema):
    """Who registered: only what a notification needs (address, name, language)."""

    email = fields.Email(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    locale = fields.String(required=True)


class Registration(Schema):
    registration_id = fields.UUID(required=True)
    forum = fields.Nested(Forum, required=True)
    person = fields.Nested(Person, required=True)
    organisation = fields.String(required=True)
    stakeholder_group = fields.String(required=True)
    status = fields.String(required=True)


@catalog.event("forum_scheduled")
class ForumScheduled(Schema):
    """Sent once when an organiser creates a forum. Not sent again when the forum is later changed."""

    forum = fields.Nested(Forum, required=True)


@catalog.event("registration_confirmed")
class RegistrationConfirmed(Registration):
    """Sent when a registration takes a seat at once. Not sent for a waitlisted registration (see
    ``registration_waitlisted``), nor again when the same person tries to register a second time."""


@catalog.event("registration_waitlisted")
class RegistrationWaitlisted(Registration):
    """Sent when a registration arrives after the last seat was taken; ``waitlist_position`` counts
    from 1 in order of arrival. Not sent for a registration that got a seat."""

    waitlist_position = fields.Integer(required=True)
