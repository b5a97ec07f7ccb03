"""Events the restitution service emits on ``restitution.events`` (routing key = event name).

This module is the contract with every consumer: each schema's docstring says when the event is sent
and when it is not. Payloads only grow by new fields; a breaking change becomes a ``v2`` event. No
personal data travels here (a person appears only by id, to be told of a reply).
"""

from marshmallow import Schema, fields

from kit.events import EventCatalog

catalog = EventCatalog("restitution")


@catalog.event("restitution_published")
class RestitutionPublished(Schema):
    """Sent when an organiser publishes a version of a forum's restitution (1, then each later one, which
    supersedes it; the earlier stay readable). The forum's registrants and subscribers are told of it.
    Not sent for a draft saved."""

    forum_id = fields.UUID(required=True)
    title = fields.String(required=True, metadata={"description": "The forum's title"})
    version = fields.Integer(required=True)
    note = fields.String(required=True, metadata={"description": "What changed (empty for version 1)"})
    summary = fields.String(required=True, metadata={"description": "The summary, as plain text"})
    commitments = fields.Integer(required=True, metadata={"description": "How many commitments it makes"})


class Commitment(Schema):
    id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True, metadata={"description": "The forum whose restitution made it"})
    title = fields.String(required=True)
    owner = fields.String(required=True)
    due_on = fields.Date(required=True)
    status = fields.String(required=True)


class Change(Schema):
    on = fields.Date(required=True, data_key="on")
    from_status = fields.String(required=True, data_key="from")
    to_status = fields.String(required=True, data_key="to")
    note = fields.String(required=True)


@catalog.event("commitment_updated")
class CommitmentUpdated(Schema):
    """Sent when an organiser records a change of a commitment (its status, or a progress note), with the
    change. Not sent when a commitment is first made (see ``restitution_published``)."""

    commitment = fields.Nested(Commitment, required=True)
    change = fields.Nested(Change, required=True)


class CommentRef(Schema):
    id = fields.UUID(required=True)
    forum_id = fields.UUID(
        required=True, metadata={"description": "The forum whose restitution it discusses"}
    )
    commitment_id = fields.UUID(
        required=True, allow_none=True, metadata={"description": "The commitment it is about, if any"}
    )
    parent_id = fields.UUID(
        required=True, allow_none=True, metadata={"description": "The comment it replies to, if a reply"}
    )


class Submitted(CommentRef):
    status = fields.String(required=True, metadata={"description": "pending (pre-moderation) or published"})
    created_at = fields.AwareDateTime(required=True)


@catalog.event("comment_submitted")
class CommentSubmitted(Schema):
    """Sent when a participant comments on a restitution or a commitment, whatever the forum's moderation
    (with pre-moderation it waits: organisers are told in their moderation digest). Carries no text and
    nobody's identity: a pending comment is not public."""

    comment = fields.Nested(Submitted, required=True)


class Published(CommentRef):
    body = fields.String(required=True, metadata={"description": "The comment, as plain text"})
    author_name = fields.String(
        required=True, allow_none=True, metadata={"description": "The name its author chose to show"}
    )
    published_at = fields.AwareDateTime(required=True)


@catalog.event("comment_published")
class CommentPublished(Schema):
    """Sent when a comment becomes public: at once under post-moderation, when an organiser approves it
    under pre-moderation. ``notify_person_id`` is the author of the comment it replies to when they asked
    to be told of replies (and are not its author themselves, nor erased); None otherwise."""

    comment = fields.Nested(Published, required=True)
    notify_person_id = fields.UUID(required=True, allow_none=True)


@catalog.event("comment_hidden")
class CommentHidden(Schema):
    """Sent when an organiser hides a comment (pending or published), with the public reason shown in its
    place. Final: a hidden comment is not shown again."""

    comment = fields.Nested(CommentRef, required=True)
    reason = fields.String(required=True)
