"""Topics and prioritisation rounds: what participants and organisers send, what everyone reads.

The shapes are checked here (ids, whole numbers, bounds); what a round's method makes of them (how many
choices, the budget, which topics are in the round) is the topics service's to say (422, by field).
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import (
    STAKEHOLDER_GROUPS,
    Answer,
    Counts,
    Flag,
    Id,
    Moment,
    Text,
    Whole,
    group,
    text,
)
from services.topics.events import METHODS
from services.topics.rules import MOST_TOPICS  # in a round, one ballot or tally: far more than any agenda

TOPIC_STATUSES = ("proposed", "published", "rejected", "merged")
AGENDA_FROM = ("overall", "consensus")
EDITABLE = ("title", "description", "commitment_ref")
__all__ = ["METHODS", "STAKEHOLDER_GROUPS"]


def topic_ids(description):
    return fields.List(Id(), validate=validate.Length(max=MOST_TOPICS), metadata={"description": description})


class DistinctIds(fields.List):
    """Between 1 and MOST_TOPICS ids, none written twice: the document says ``uniqueItems``, which
    compares the strings as sent, and so does this (two spellings of one id, in two cases, pass here as
    the document lets them, and the topics service refuses them as one topic named twice: 422)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {}) | {"uniqueItems": True}
        super().__init__(Id(), validate=validate.Length(min=1, max=MOST_TOPICS), metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        ids = super()._deserialize(value, attr, data, **kwargs)  # each a string of the UUID pattern
        if len(set(value)) < len(value):
            raise ValidationError("An id is given twice.")
        return ids


class TopicCreateSchema(Schema):
    title = text(200)
    description = text(5000, required=False, multiline=True)
    commitment_ref = Text(
        validate=validate.Length(min=1, max=50),
        metadata={"description": "An Open Government action-plan commitment it relates to, e.g. FRA0042"},
    )


class TopicUpdateSchema(TopicCreateSchema):
    """An organiser's edit: any of the fields of a proposal, at least one (the document says so with
    minProperties, ``note`` being required), and a public note saying why."""

    commitment_ref = Text(
        allow_none=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "An action-plan commitment it relates to; null: none any more"},
    )
    note = text(1000, multiline=True, metadata={"description": "Why it changed: public, in its history"})

    def __init__(self, **kwargs):
        # nothing is filled in: what is not given stays as it is
        super().__init__(partial=EDITABLE, **kwargs)

    @validates_schema
    def something(self, data, **kwargs):
        if not any(field in data for field in EDITABLE):
            raise ValidationError(f"Give at least one of {', '.join(EDITABLE)} to change.")


class TopicMergeSchema(Schema):
    into = Id(required=True, metadata={"description": "The topic it joins (its ballots in open rounds too)"})


class TopicCarryOverSchema(Schema):
    why = text(1000, multiline=True, metadata={"description": "Why not this time: public, in its history"})
    forum_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "The coming forum it goes to; absent or null: the series backlog"},
    )


class TopicRejectSchema(Schema):
    reason = text(1000, multiline=True, metadata={"description": "Public, and told to its proposer"})


class TopicQuerySchema(Schema):
    forum_id = Id(load_default=None, metadata={"description": "Without it: every forum"})
    status = fields.String(
        load_default="proposed",
        validate=validate.OneOf(("proposed",)),
        metadata={"description": "proposed: awaiting moderation (the only list organisers need here)"},
    )


class TopicSchema(Answer):
    id = fields.UUID()
    forum_id = fields.UUID(allow_none=True)
    title = fields.String()
    description = fields.String()
    commitment_ref = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(TOPIC_STATUSES))
    proposed_by = fields.String(metadata={"description": "participant or organiser"})
    rejection_reason = fields.String(allow_none=True)
    merged_into = fields.UUID(allow_none=True)
    published_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class TopicChangeSchema(Answer):
    at = fields.AwareDateTime()
    note = fields.String()
    previous = fields.Dict(metadata={"description": "The changed fields as they were"})


class TopicStopSchema(Answer):
    """A forum the topic left without being put on its agenda, where it stood there, and where it went."""

    forum_id = fields.UUID()
    round_id = fields.UUID(allow_none=True, metadata={"description": "The forum's last closed round"})
    method = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    rank = fields.Integer(allow_none=True)
    why = fields.String(metadata={"description": "The organiser's answer: why not this time"})
    to_forum_id = fields.UUID(allow_none=True, metadata={"description": "null: the series backlog"})
    at = fields.AwareDateTime()


class TopicDetailSchema(TopicSchema):
    changes = fields.List(fields.Nested(TopicChangeSchema), metadata={"description": "Edits, oldest first"})
    history = fields.List(
        fields.Nested(TopicStopSchema), metadata={"description": "Its carry-overs, oldest first"}
    )


class TopicListSchema(Answer):
    items = fields.List(fields.Nested(TopicSchema))


class RoundCreateSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    closes_at = Moment(
        required=True,
        metadata={"description": "In the future, within a year; RFC 3339 with seconds and an offset"},
    )
    agenda_size = Whole(
        required=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "How many topics make the agenda"},
    )
    max_choices = Whole(
        validate=validate.Range(min=1, max=1000), metadata={"description": "approval and ranked rounds"}
    )
    budget = Whole(
        validate=validate.Range(min=1, max=100_000), metadata={"description": "dots: points per person"}
    )
    max_per_topic = Whole(
        validate=validate.Range(min=1, max=100_000), metadata={"description": "dots: at most the budget"}
    )
    agenda_from = fields.String(
        validate=validate.OneOf(AGENDA_FROM),
        metadata={"description": "The ranking the agenda is taken from (default: overall)"},
    )
    show_running = Flag(metadata={"description": "Results public while the round is open (default: false)"})
    topic_ids = DistinctIds(
        metadata={
            "description": "The forum's published topics the round is over, each once; the round keeps "
            "them in publication order. Absent: all of the forum's published topics"
        }
    )


class BallotSchema(Schema):
    """The one field of the round's method; the service says what the method allows (422, by field)."""

    choices = topic_ids("approval: the topics chosen")
    points = Counts(
        MOST_TOPICS, 100_000, metadata={"description": "dots: points by topic id (0: none on it)"}
    )
    ranking = topic_ids("ranked: topics, best first")
    stakeholder_group = group(
        metadata={"description": "Only for a person who never declared one (on registering)"}
    )


class PaperTallySchema(Schema):
    ballots = Whole(
        required=True,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={"description": "How many paper ballots were cast"},
    )
    scores = Counts(
        MOST_TOPICS,
        100_000_000,
        required=True,
        metadata={"description": "By topic id: the ballots choosing it (approval) or its points (dots)"},
    )


class RankedSchema(Answer):
    topic_id = fields.UUID()
    score = fields.Float(metadata={"description": "A count, points, Schulze wins, or a share (consensus)"})


class ResultsSchema(Answer):
    ballots = fields.Integer(metadata={"description": "Online and paper ballots"})
    ranking = fields.List(fields.Nested(RankedSchema), metadata={"description": "Best first"})
    by_group = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(RankedSchema)))
    consensus = fields.List(
        fields.Nested(RankedSchema), metadata={"description": "By the least share of any group that voted"}
    )
    agenda = fields.List(fields.UUID())
    paper = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Paper ballots by group"}
    )
    running = fields.Boolean(metadata={"description": "True while the round is still open"})


class RoundSchema(Answer):
    id = fields.UUID()
    forum_id = fields.UUID()
    method = fields.String(validate=validate.OneOf(METHODS))
    max_choices = fields.Integer()
    budget = fields.Integer()
    max_per_topic = fields.Integer()
    agenda_size = fields.Integer()
    agenda_from = fields.String(validate=validate.OneOf(AGENDA_FROM))
    show_running = fields.Boolean()
    topic_ids = fields.List(fields.UUID(), metadata={"description": "Its topics, in publication order"})
    status = fields.String(validate=validate.OneOf(("open", "closed")))
    opened_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    closed_by = fields.String(metadata={"description": "timer, or the organiser's name"})
    participation = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Ballots by stakeholder group (organisers only)"},
    )
    results = fields.Nested(ResultsSchema, metadata={"description": "Once closed (on closing)"})


class BallotTakenSchema(Answer):
    round_id = fields.UUID()
    stakeholder_group = fields.String()
    ballot = fields.Dict(metadata={"description": "The ballot as it counts"})
    replaced = fields.Integer(metadata={"description": "How many times an earlier ballot was replaced"})


class PaperTallyTakenSchema(Answer):
    round_id = fields.UUID()
    stakeholder_group = fields.String()
    ballots = fields.Integer()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())


class MyTopicsSchema(Answer):
    """What the topics service holds of the person."""

    stakeholder_group = fields.String(allow_none=True)
    proposals = fields.List(fields.Nested(TopicSchema))
    ballots = fields.List(fields.Dict())
