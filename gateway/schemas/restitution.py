"""Restitutions and commitments: what organisers send (a forum's draft, publishing it, a commitment's
change), what everyone reads (the published versions, the series' index and register of commitments),
and the discussion (participants' comments, organisers' moderation).

The shapes and bounds are checked here, with the limits of ``services.restitution.rules``, so that what
passes reaches the service whole; what depends on the forum as it is (a version conflict, nothing to
publish, a note required from version 2 on, a status that cannot follow) is the service's to say.
"""

import re

from marshmallow import Schema, ValidationError, fields, validate

from gateway.schemas.common import Answer, Flag, Id, Name, Text, Whole

COMMITMENT_STATUSES = ("planned", "in_progress", "done", "dropped")
# Multi-line text without any control character but tab, CR and LF (C1 included: the service refuses
# every Unicode control character, and the answer would be a 422 for a request the document allowed).
PROSE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
# years 1900 to 2999, as ``common.MOMENT``: a date the service and the database take
DAY = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class Prose(Text):
    """Markdown or plain text of several lines (tab, CR and LF; no other control character)."""

    def __init__(self, **kwargs):
        super().__init__(multiline=True, **kwargs)
        self.allowed = PROSE
        self.metadata["pattern"] = PROSE


def prose(max_length, required=False, **kwargs):
    if required:
        return Prose(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)
    return Prose(validate=validate.Length(max=max_length), **kwargs)


def name(max_length, **kwargs):
    return Name(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)


class Day(fields.Date):
    """A calendar date, ``YYYY-MM-DD`` exactly (marshmallow would also take ``2025-1-5``)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {}) | {"pattern": DAY}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not re.fullmatch(DAY, value):
            raise ValidationError("Not a date written YYYY-MM-DD.")
        return super()._deserialize(value, attr, data, **kwargs)


def items(field, most, description):
    return fields.List(field, validate=validate.Length(max=most), metadata={"description": description})


class SectionSchema(Schema):
    title = name(200)
    body = prose(20_000, metadata={"description": "Markdown (raw HTML is not kept); blank until written"})
    topic_id = Id(allow_none=True, metadata={"description": "The agenda topic it reports on, if any"})


class CommitmentDraftSchema(Schema):
    id = Id(
        allow_none=True,
        metadata={"description": "A commitment of this forum's register, carried into this draft (as the "
                  "draft answers it once published); absent: a new one"},
    )  # fmt: skip
    title = name(200)
    owner = name(200, metadata={"description": "Who answers for it: an administration, a team"})
    due_on = Day(required=True)
    status = fields.String(validate=validate.OneOf(COMMITMENT_STATUSES), metadata={"description": "planned "
                           "unless given"})  # fmt: skip


class RestitutionSaveSchema(Schema):
    """A forum's draft, whole (not an ``Update``: nothing of the saved draft is kept but what is sent;
    what is not given is empty)."""

    version = Whole(
        validate=validate.Range(min=0, max=1_000_000_000),
        metadata={"description": "The draft's version this edit was made on (409 if another was saved "
                  "since); absent: no check, this edit is the last word"},
    )  # fmt: skip
    summary = prose(20_000, metadata={"description": "Markdown"})
    sections = items(fields.Nested(SectionSchema), 50, "In their order; at most 50")
    decisions = items(prose(2_000), 100, "Plain text, at most 100 (blank ones are dropped)")
    commitments = items(fields.Nested(CommitmentDraftSchema), 100, "At most 100")


class RestitutionPublishSchema(Schema):
    note = prose(2_000, metadata={"description": "What changed: public; optional for version 1 only"})
    draft_version = Whole(
        validate=validate.Range(min=0, max=1_000_000_000),
        metadata={"description": "The draft's version read before publishing it (409, nothing published, if "
                  "another was saved since); absent: no check, the draft as it is now is published"},
    )  # fmt: skip


class CommitmentChangeSchema(Schema):
    """A dated change of a commitment (not an ``Update``: status and note are always given)."""

    status = fields.String(required=True, validate=validate.OneOf(COMMITMENT_STATUSES))
    note = prose(2_000, required=True, metadata={"description": "What changed, or progress: public"})
    on = Day(metadata={"description": "When (default: today); not in the future nor before its last change"})


class CommitmentSchema(Answer):
    id = fields.UUID()
    forum_id = fields.UUID(metadata={"description": "The forum whose restitution made it"})
    title = fields.String()
    owner = fields.String()
    due_on = fields.String(metadata={"description": "YYYY-MM-DD"})
    status = fields.String(validate=validate.OneOf(COMMITMENT_STATUSES))
    history = fields.List(
        fields.Dict(), metadata={"description": "Its changes, oldest first: on, from, to, note"}
    )


class CommitmentListSchema(Answer):
    items = fields.List(fields.Nested(CommitmentSchema), metadata={"description": "Oldest first"})


class RestitutionDraftSchema(Answer):
    forum_id = fields.UUID()
    version = fields.Integer(metadata={"description": "0 before the first save; name it in the next edit"})
    summary = fields.String()
    sections = fields.List(fields.Dict(), metadata={"description": "title, body, topic_id"})
    decisions = fields.List(fields.String())
    commitments = fields.List(fields.Dict(), metadata={"description": "title, owner, due_on, status, id"})
    facts = fields.Dict(
        metadata={"description": "What a version published now would state besides the draft: attendance, "
                  "results, carried_over, carried_in (read only: not sent back)"}
    )  # fmt: skip


class RestitutionSchema(Answer):
    """A published version, as it was published, with its commitments as they stand now."""

    version = fields.Integer()
    note = fields.String()
    published_at = fields.String(metadata={"description": "RFC 3339"})
    forum = fields.Dict()
    versions = fields.List(
        fields.Dict(), metadata={"description": "Every published version: its number, note, date"}
    )
    summary = fields.String(metadata={"description": "Markdown"})
    summary_html = fields.String(metadata={"description": "The summary as safe HTML"})
    sections = fields.List(fields.Dict(), metadata={"description": "title, body (Markdown), html, topic_id"})
    decisions = fields.List(fields.String())
    commitments = fields.List(fields.Nested(CommitmentSchema), metadata={"description": "Its own"})
    earlier_commitments = fields.List(fields.Nested(CommitmentSchema), metadata={"description": "Earlier "
                                      "forums'"})  # fmt: skip
    attendance = fields.List(
        fields.Dict(),
        metadata={"description": "By stakeholder group: stakeholder_group, registered, checked_in"},
    )
    results = fields.Dict(allow_none=True, metadata={"description": "The forum's closed round, if any"})
    carried_over = fields.List(
        fields.Dict(),
        metadata={"description": "Topics it carried over: topic_id, title, to_forum_id (null: the backlog), "
                  "why, standing"},
    )  # fmt: skip
    carried_in = fields.List(
        fields.Dict(),
        metadata={"description": "Topics earlier forums carried to it: topic_id, title, from_forum_id, why"},
    )


class RestitutionIndexSchema(Answer):
    items = fields.List(
        fields.Dict(), metadata={"description": "forum_id, title, starts_at, version, published_at"}
    )


MODERATIONS = ("pre", "post")
COMMENT_STATUSES = ("pending", "published", "hidden")


class CommentCreateSchema(Schema):
    body = prose(
        5_000, required=True, metadata={"description": "Plain text (shown as typed, never as markup)"}
    )
    parent_id = Id(
        allow_none=True,
        metadata={"description": "The comment it replies to: a published comment that is not itself a reply"},
    )
    commitment_id = Id(
        allow_none=True,
        metadata={"description": "A commitment the restitution shows (its own or an earlier forum's); absent: "
                  "the restitution itself. A reply is about what its comment is about."},
    )  # fmt: skip
    author_name = Name(
        validate=validate.Length(min=1, max=80),
        allow_none=True,
        metadata={"description": "The name to show, if any (else: a participant, with their group)"},
    )
    notify_replies = Flag(metadata={"description": "Email me when someone replies (default: no)"})


class CommentHideSchema(Schema):
    reason = prose(1_000, required=True, metadata={"description": "Public: shown in the comment's place"})


class CommentSettingsSchema(Schema):
    moderation = fields.String(
        required=True,
        validate=validate.OneOf(MODERATIONS),
        metadata={"description": "pre: each comment waits for an organiser (the default); post: public at "
                  "once, hidden afterwards if need be"},
    )  # fmt: skip


class CommentQuerySchema(Schema):
    forum_id = Id(load_default=None, metadata={"description": "Without it: every forum"})


class CommentSchema(Answer):
    id = fields.UUID()
    forum_id = fields.UUID()
    commitment_id = fields.UUID(
        allow_none=True, metadata={"description": "The commitment it is about, if any"}
    )
    parent_id = fields.UUID(allow_none=True, metadata={"description": "The comment it replies to, if any"})
    author_name = fields.String(
        allow_none=True, metadata={"description": "The name its author chose to show; null: none, or erased"}
    )
    stakeholder_group = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(COMMENT_STATUSES))
    body = fields.String(
        allow_none=True, metadata={"description": "Plain text; null for a hidden comment (but to organisers)"}
    )
    hidden_reason = fields.String(allow_none=True, metadata={"description": "Why it is hidden: public"})
    created_at = fields.String(metadata={"description": "RFC 3339"})
    published_at = fields.String(allow_none=True, metadata={"description": "RFC 3339"})


class CommentListSchema(Answer):
    items = fields.List(fields.Nested(CommentSchema), metadata={"description": "Oldest first"})


class CommentSettingsAnswerSchema(Answer):
    forum_id = fields.UUID()
    moderation = fields.String(validate=validate.OneOf(MODERATIONS))
