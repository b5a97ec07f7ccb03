"""Events the registration service emits on ``registration.events`` (routing key = event name).

This module is the contract with every consumer: each schema's docstring says when the event is sent
and when it is not. Payloads only grow by new fields; a breaking change becomes a ``v2`` event.
Secrets never travel here: an email that needs a magic link mints it where it is rendered, from the
ids below (``person.person_id``, or ``subscription_id``, always with ``person.token_version``) and the shared
key. A link of an older version is refused: ``management_link_requested`` after a revocation carries the
new one, which every later link to that person must carry.
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
    """Who: only what a notification needs (address, name, language) and what a magic link is minted
    from (``person_id``, ``token_version``)."""

    person_id = fields.UUID()
    token_version = fields.Integer()
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


class ForumEvent(Schema):
    forum = fields.Nested(Forum, required=True)


@catalog.event("forum_scheduled")
class ForumScheduled(ForumEvent):
    """Sent once when an organiser creates a forum (as a draft or already open). Not sent again when the
    forum is later changed or changes status."""


@catalog.event("forum_opened")
class ForumOpened(ForumEvent):
    """Sent when a forum opens for registration: created open, or moved from draft (or closed) to open.
    Subscribers are told of it. Not sent for a forum created as a draft until it is opened."""


@catalog.event("forum_updated")
class ForumUpdated(ForumEvent):
    """Sent when an organiser changes a forum's details. ``changes`` names the fields that changed and
    ``previous`` holds their former values; registrants are told when the date or the venue changed.
    Not sent for an update that changes nothing, nor for status changes (they have their own events)."""

    changes = fields.List(fields.String(), required=True)
    previous = fields.Dict(required=True)


@catalog.event("forum_closed")
class ForumClosed(ForumEvent):
    """Sent when an organiser closes registration. Existing registrations stand. Not sent when a forum
    is cancelled or held (those have their own events)."""


@catalog.event("forum_held")
class ForumHeld(ForumEvent):
    """Sent when an organiser records that the forum took place. Final: nothing changes after it."""


@catalog.event("forum_cancelled")
class ForumCancelled(ForumEvent):
    """Sent when an organiser cancels a forum; every active registration is then cancelled, each with its
    own ``registration_cancelled`` (``cancelled_by`` = ``forum_cancelled``). Final."""

    reason = fields.String(required=True)


@catalog.event("registration_confirmed")
class RegistrationConfirmed(Registration):
    """Sent when a registration takes a seat at once. Not sent for a waitlisted registration (see
    ``registration_waitlisted``, then ``registration_promoted``), nor again for a second attempt with
    the same address (see ``management_link_requested``)."""

    attendee_code = fields.String()


@catalog.event("registration_waitlisted")
class RegistrationWaitlisted(Registration):
    """Sent when a registration arrives when no seat is left for it; ``waitlist_position`` counts from 1
    among those waiting. Not sent for a registration that got a seat."""

    waitlist_position = fields.Integer(required=True)


@catalog.event("registration_promoted")
class RegistrationPromoted(Registration):
    """Sent when a waitlisted person gets a seat (a cancellation, a raised capacity, or reserved seats
    released); ``reason`` says which, and why this person (e.g. a group under its quota) was chosen.
    Not sent for registrations confirmed at once."""

    attendee_code = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "In English, for people reading logs"})
    cause = fields.String(metadata={"description": "cancellation, seats_added or quota_released"})
    reserved_for = fields.String(
        allow_none=True, metadata={"description": "The stakeholder group whose reserved seat this is, if any"}
    )


@catalog.event("registration_cancelled")
class RegistrationCancelled(Registration):
    """Sent when a confirmed or waitlisted registration is cancelled: ``cancelled_by`` is ``person``,
    ``organiser`` or ``forum_cancelled``; ``previous_status`` is what it was. Not sent when a person is
    erased (see ``person_erased``), nor for a registration already cancelled."""

    cancelled_by = fields.String(required=True)
    previous_status = fields.String(required=True)
    reason = fields.String(
        metadata={"description": "The forum's cancellation reason, when cancelled_by is forum_cancelled"}
    )


@catalog.event("attendee_checked_in")
class AttendeeCheckedIn(Schema):
    """Sent the first time an organiser checks a confirmed attendee in by their code. Not sent for a
    second check-in of the same person. Carries no personal data."""

    registration_id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)
    stakeholder_group = fields.String(required=True)
    checked_in_at = fields.AwareDateTime(required=True)


class Subscription(Schema):
    subscription_id = fields.UUID(required=True)
    person = fields.Nested(Person, required=True)


@catalog.event("subscription_requested")
class SubscriptionRequested(Subscription):
    """Sent when someone asks to be kept informed; the subscription is pending until they follow the
    emailed link (minted from ``subscription_id``). Sent again if they ask again while still pending.
    Not sent for an address already subscribed."""


@catalog.event("subscription_confirmed")
class SubscriptionConfirmed(Subscription):
    """Sent when a person follows the confirmation link: from now on they receive announcements. Not
    sent when the link is followed a second time."""


@catalog.event("subscription_ended")
class SubscriptionEnded(Schema):
    """Sent when a confirmed or pending subscription ends: ``reason`` is ``unsubscribed`` (the person
    followed an unsubscribe link or withdrew consent) or ``erased``. Not sent twice."""

    subscription_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    reason = fields.String(required=True)


@catalog.event("management_link_requested")
class ManagementLinkRequested(Schema):
    """Sent when a person should receive their management link by email: they asked for it, or they
    tried to register again for a forum they are registered for. ``forum`` is set in the second case.
    The link is minted by whoever renders the email, from ``person.person_id`` and ``token_version``."""

    person = fields.Nested(Person, required=True)
    forum = fields.Nested(Forum, allow_none=True, load_default=None)


@catalog.event("person_erased")
class PersonErased(Schema):
    """Sent when a person's personal data is erased (by themselves or by an organiser on request).
    Every consumer must then delete or anonymise what it holds about this person (by ``person_id`` or
    ``email``); counts may stay. The registration service has already anonymised its own rows."""

    person_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    erased_by = fields.String(required=True)
