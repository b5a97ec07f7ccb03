"""Events the restitution service emits on ``restitution.events`` (routing key = event name).

This module is the contract with every consumer: each schema's docstring says when the event is sent
and when it is not. Payloads only grow by new fields; a breaking change becomes a ``v2`` event. No
personal data travels here.
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
