"""The errors this service raises on purpose; the gateway maps each (by class name) to an HTTP status.

The statuses they are meant for: VersionConflict 409, DraftInvalid 422, InvalidTransition 409 (the same
meaning, and row, as in registration and topics), CommitmentChangeInvalid 422, CommentNotAllowed 409,
CommentInvalid 422, SettingsInvalid 422. Errors by field (``kit.errors.FieldErrors``) read
``field: message; field2: message``; a field inside a list is named ``sections.0.title`` (from 0).
"""

from kit.db import OUTAGES
from kit.errors import FieldErrors
from kit.idempotency import IdempotencyKeyReused
from kit.paging import InvalidCursor
from kit.people import NotAParticipant
from kit.tokens import InvalidToken


class RestitutionError(Exception):
    """Base of the expected errors: answered as 4xx by the gateway (by class name)."""


class DraftInvalid(FieldErrors, RestitutionError):
    """A draft beyond its limits (lengths, counts, a commitment without owner), or one with nothing to
    publish, a blank section or no change note when it is published."""


class VersionConflict(RestitutionError):
    """An edit of a draft made on an earlier version of it, or publishing asked on one: another organiser
    saved in between. Nothing is overwritten nor published; the client reloads the draft and applies its
    edit again, or reads it and publishes it again."""


class InvalidTransition(RestitutionError):
    """A commitment's status change that its status does not allow (a done one can only be reopened), or
    moderation of a comment that is not (or no longer) in a state for it."""


class CommitmentChangeInvalid(FieldErrors, RestitutionError):
    """A commitment's change without its public note or date, or with a date out of the history's order."""


class CommentNotAllowed(RestitutionError):
    """A comment on what cannot take one: an unpublished restitution, a hidden or pending comment, a reply
    to a reply (one level of replies)."""


class CommentInvalid(FieldErrors, RestitutionError):
    """A comment's body (blank, too long), or hiding one without its public reason."""


class SettingsInvalid(FieldErrors, RestitutionError):
    """A forum's restitution settings that make no sense (a moderation other than pre or post)."""


EXPECTED = (RestitutionError, InvalidToken, NotAParticipant, InvalidCursor, IdempotencyKeyReused, *OUTAGES)


class ForumNotFound(RestitutionError):
    pass


class RestitutionNotFound(RestitutionError):
    """No version of this forum's restitution is published (yet), or not this one."""


class CommitmentNotFound(RestitutionError):
    pass


class CommentNotFound(RestitutionError):
    """No such comment, or one of another forum's discussion."""
