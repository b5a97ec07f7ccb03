"""What the notification service reads from other services' events: only the fields it uses.

These are this service's own expectations of the registration, topics and restitution events (it never
imports another service); an event missing one of them is invalid: it is recorded at once as a dead letter,
with the field errors, for organisers to see (``kit.dead_letters``), and not retried.
"""

from zoneinfo import available_timezones

from marshmallow import ValidationError, fields, post_load, validate

from kit.events import Reading as Schema

TIMEZONES = frozenset(available_timezones())


class Venue(Schema):
    name = fields.String(required=True)
    address = fields.String(required=True)
    city = fields.String(required=True)
    accessibility = fields.String(load_default="", allow_none=True)


class Forum(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(load_default="Europe/Paris", validate=validate.OneOf(TIMEZONES))
    venue = fields.Nested(Venue, required=True)
    status = fields.String(load_default=None)


class Person(Schema):
    person_id = fields.UUID(load_default=None)
    token_version = fields.Integer(load_default=0)
    email = fields.Email(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    locale = fields.String(load_default="fr")


class KnownPerson(Person):
    person_id = fields.UUID(required=True)  # a management link is minted from it


class RegistrationNotice(Schema):
    registration_id = fields.UUID(required=True)
    forum = fields.Nested(Forum, required=True)
    person = fields.Nested(Person, required=True)
    waitlist_position = fields.Integer(load_default=None)
    attendee_code = fields.String(load_default=None)
    reason = fields.String(load_default=None)
    cancelled_by = fields.String(load_default=None)
    cause = fields.String(load_default=None)
    reserved_for = fields.String(load_default=None, allow_none=True)


class Waitlisted(RegistrationNotice):
    waitlist_position = fields.Integer(required=True)


class Promoted(RegistrationNotice):
    attendee_code = fields.String(required=True)
    reason = fields.String(required=True)


class Cancelled(RegistrationNotice):
    cancelled_by = fields.String(required=True)


class ForumNotice(Schema):
    forum = fields.Nested(Forum, required=True)


class ForumUpdate(ForumNotice):
    changes = fields.List(fields.String(), required=True)
    previous = fields.Dict(required=True)

    @post_load
    def previous_forum(self, data, **kwargs):
        """The forum as it was: ``previous`` holds the former values of the changed fields only."""
        forum = FORUM.dump(data["forum"])
        previous = dict(data["previous"])
        if isinstance(previous.get("venue"), dict):
            previous["venue"] = forum["venue"] | previous["venue"]
        try:
            data["previous_forum"] = FORUM.load(forum | previous)
        except ValidationError as exc:
            raise ValidationError({"previous": exc.messages}) from exc
        return data


class SubscriptionRequest(Schema):
    subscription_id = fields.UUID(required=True)
    person = fields.Nested(Person, required=True)


class SubscriptionConfirmation(Schema):
    subscription_id = fields.UUID(required=True)
    person = fields.Nested(KnownPerson, required=True)


class SubscriptionEnd(Schema):
    subscription_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    email = fields.Email(required=True)


class ManagementLinkRequest(Schema):
    person = fields.Nested(KnownPerson, required=True)
    forum = fields.Nested(Forum, allow_none=True, load_default=None)


class PersonErasure(Schema):
    person_id = fields.UUID(required=True)
    email = fields.Email(required=True)


class Topic(Schema):
    id = fields.UUID(required=True)
    forum_id = fields.UUID(load_default=None, allow_none=True)
    title = fields.String(required=True)
    proposer_id = fields.UUID(load_default=None, allow_none=True)  # None: an organiser's topic


class TopicNotice(Schema):
    topic = fields.Nested(Topic, required=True)


class TopicRejection(TopicNotice):
    reason = fields.String(required=True)


class TopicMerge(TopicNotice):
    into = fields.Nested(Topic, required=True)


class RoundNotice(Schema):
    round_id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)
    method = fields.String(required=True)


class RoundOpening(RoundNotice):
    closes_at = fields.AwareDateTime(required=True)
    topics = fields.List(fields.Nested(Topic), required=True)


class RoundLastCall(RoundNotice):
    closes_at = fields.AwareDateTime(required=True)
    voters = fields.List(fields.UUID(), required=True)


class Results(Schema):
    agenda = fields.List(fields.String(), required=True)  # topic ids, in the agenda's order


class RoundClosing(RoundNotice):
    results = fields.Nested(Results, required=True)
    voters = fields.List(fields.UUID(), required=True)


class RestitutionNotice(Schema):
    forum_id = fields.UUID(required=True)
    title = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    note = fields.String(required=True)
    summary = fields.String(required=True)  # plain text
    commitments = fields.Integer(required=True, validate=validate.Range(min=0))


class CommentRef(Schema):
    id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)


class SubmittedComment(CommentRef):
    status = fields.String(required=True)  # pending (it waits for moderation) or published
    created_at = fields.AwareDateTime(required=True)


class PublishedComment(CommentRef):
    body = fields.String(required=True)  # plain text
    author_name = fields.String(load_default=None, allow_none=True)  # the name its author chose to show


class CommentSubmission(Schema):
    comment = fields.Nested(SubmittedComment, required=True)


class CommentPublication(Schema):
    comment = fields.Nested(PublishedComment, required=True)
    notify_person_id = fields.UUID(load_default=None, allow_none=True)  # the replied-to author, if told


class CommentHiding(Schema):
    comment = fields.Nested(CommentRef, required=True)


FORUM = Forum()
REGISTRATION_NOTICE = RegistrationNotice()
SCHEMAS = {
    "registration_confirmed": REGISTRATION_NOTICE,
    "registration_waitlisted": Waitlisted(),
    "registration_promoted": Promoted(),
    "registration_cancelled": Cancelled(),
    "forum_scheduled": ForumNotice(),
    "forum_opened": ForumNotice(),
    "forum_updated": ForumUpdate(),
    "forum_closed": ForumNotice(),
    "forum_held": ForumNotice(),
    "forum_cancelled": ForumNotice(),
    "subscription_requested": SubscriptionRequest(),
    "subscription_confirmed": SubscriptionConfirmation(),
    "subscription_ended": SubscriptionEnd(),
    "management_link_requested": ManagementLinkRequest(),
    "person_erased": PersonErasure(),
}
TOPICS_SCHEMAS = {
    "topic_published": TopicNotice(),
    "topic_rejected": TopicRejection(),
    "topic_edited": TopicNotice(),
    "topic_merged": TopicMerge(),
    "round_opened": RoundOpening(),
    "round_closing_soon": RoundLastCall(),
    "round_closed": RoundClosing(),
}
SCHEMAS |= TOPICS_SCHEMAS
RESTITUTION_SCHEMAS = {  # commitment_updated: no email
    "restitution_published": RestitutionNotice(),
    "comment_submitted": CommentSubmission(),
    "comment_published": CommentPublication(),
    "comment_hidden": CommentHiding(),
}
SCHEMAS |= RESTITUTION_SCHEMAS
