"""Events the topics service emits on ``topics.events`` (routing key = event name).

This module is the contract with every consumer: each schema's docstring says when the event is sent
and when it is not. Payloads only grow by new fields; a breaking change becomes a ``v2`` event.
People travel as ``person_id`` only (consumers that write to them hold their own copy of the address,
from the registration events). A ballot never travels: a round's events carry counts, never who chose
what.
"""

from marshmallow import Schema, fields

from kit.events import EventCatalog

catalog = EventCatalog("topics")

METHODS = ("approval", "dots", "ranked")


class Topic(Schema):
    """A topic as consumers need it to speak of it."""

    id = fields.UUID(required=True)
    forum_id = fields.UUID(allow_none=True, metadata={"description": "None: the series backlog"})
    title = fields.String(required=True)
    description = fields.String(required=True)
    commitment_ref = fields.String(allow_none=True)
    status = fields.String(required=True)
    proposed_by = fields.String(required=True, metadata={"description": "participant or organiser"})
    proposer_id = fields.UUID(
        allow_none=True, metadata={"description": "The participant, if one proposed it"}
    )


class TopicEvent(Schema):
    topic = fields.Nested(Topic, required=True)


@catalog.event("topic_proposed")
class TopicProposed(TopicEvent):
    """Sent when a participant proposes a topic: it waits for moderation. Not sent for an organiser's
    topic, which is published at once (see ``topic_published``)."""


@catalog.event("topic_published")
class TopicPublished(TopicEvent):
    """Sent when a topic becomes public: an organiser's at once, a participant's when an organiser
    publishes it (its proposer is told). Not sent again for a topic already published."""


@catalog.event("topic_rejected")
class TopicRejected(TopicEvent):
    """Sent when an organiser rejects a proposed topic; ``topic.rejection_reason`` is public and its
    proposer is told it. Not sent for a published topic (they are merged or carried over instead)."""

    reason = fields.String(required=True)


@catalog.event("topic_edited")
class TopicEdited(TopicEvent):
    """Sent when an organiser edits a topic; ``note`` (public) says why and ``changes`` names the fields
    that changed. Not sent for an edit that changes nothing."""

    note = fields.String(required=True)
    changes = fields.List(fields.String(), required=True)


@catalog.event("topic_merged")
class TopicMerged(TopicEvent):
    """Sent when an organiser merges a duplicate (``topic``) into another (``into``): the duplicate's
    support in open rounds follows it, and its proposer is told. Not sent for a topic already merged."""

    into = fields.Nested(Topic, required=True)


class Standing(Schema):
    round_id = fields.UUID(allow_none=True)
    method = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    rank = fields.Integer(allow_none=True)


@catalog.event("topic_carried_over")
class TopicCarriedOver(TopicEvent):
    """Sent when a published topic that a forum did not put on its agenda carries over to the next forum
    (``to_forum_id``) or to the backlog (``to_forum_id`` None), with the organiser's public ``why`` and
    where it stood in the forum's round (``standing``; empty without a round). Not sent for a topic on
    the agenda."""

    from_forum_id = fields.UUID(required=True)
    to_forum_id = fields.UUID(allow_none=True)
    why = fields.String(required=True)
    standing = fields.Nested(Standing, required=True)


@catalog.event("round_opened")
class RoundOpened(Schema):
    """Sent when an organiser opens a prioritisation round for a forum over its published topics (all of
    them, or those the organiser chose: ``topics`` are the round's). Not sent again when the round
    changes."""

    round_id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)
    method = fields.String(required=True)
    closes_at = fields.AwareDateTime(required=True)
    agenda_size = fields.Integer(required=True)
    topics = fields.List(fields.Nested(Topic), required=True)


class Ranked(Schema):
    topic_id = fields.String(required=True)
    score = fields.Raw(required=True, metadata={"description": "A count, points, Schulze wins or a share"})


class Results(Schema):
    ballots = fields.Integer(required=True)
    ranking = fields.List(fields.Nested(Ranked), required=True)
    by_group = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(Ranked)), required=True)
    consensus = fields.List(fields.Nested(Ranked), required=True)
    agenda = fields.List(fields.String(), required=True)
    paper = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)


VOTERS = fields.List(
    fields.UUID(),
    required=True,
    metadata={"description": "Who voted, as person ids, never how: for the emails (a reminder to the others, "
              "the results to them)"},
)  # fmt: skip


@catalog.event("round_closing_soon")
class RoundClosingSoon(Schema):
    """Sent once, 24 hours before a round closes (at once for a round opened for less than that), so that
    those who have not voted yet are reminded. Not sent for a round closed before."""

    round_id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)
    method = fields.String(required=True)
    closes_at = fields.AwareDateTime(required=True)
    voters = VOTERS


@catalog.event("round_closed")
class RoundClosed(Schema):
    """Sent once when a round closes, at its closing time or by an organiser, with its results (counts:
    never a ballot). Exactly once, however many replicas run the timer."""

    round_id = fields.UUID(required=True)
    forum_id = fields.UUID(required=True)
    method = fields.String(required=True)
    closed_by = fields.String(required=True, metadata={"description": "timer or organiser"})
    results = fields.Nested(Results, required=True)
    voters = VOTERS
