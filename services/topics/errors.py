"""The errors this service raises on purpose; the gateway maps each (by class name) to an HTTP status."""

from kit.db import OUTAGES
from kit.errors import FieldErrors
from kit.idempotency import IdempotencyKeyReused
from kit.paging import InvalidCursor
from kit.people import NotAParticipant
from kit.tokens import InvalidToken


class TopicsError(Exception):
    """Base of the expected errors: answered as 4xx by the gateway (by class name)."""


class BallotInvalid(FieldErrors, TopicsError):
    """A ballot, or an organiser's paper tally, that the round cannot take."""


class RoundInvalid(FieldErrors, TopicsError):
    """A round's method or parameters that make no sense (no choice at all, a cap above the budget)."""


class ForumNotFound(TopicsError):
    pass


class TopicNotFound(TopicsError):
    pass


class RoundNotFound(TopicsError):
    pass


class InvalidTransition(TopicsError):
    """Moderation of a topic that is not (or no longer) in a state for it, e.g. rejecting a published one."""


class RoundAlreadyOpen(TopicsError):
    """A forum has one open round at a time."""


class RoundNotOpen(TopicsError):
    """A ballot or a paper tally outside the round's window (not yet closed by the timer is still open)."""


class ResultsNotYet(TopicsError):
    """Results asked for while the round is open and the organiser chose not to show running counts."""


class NothingToChange(TopicsError):
    """An edit whose fields already say what it asks: no change, so its note has nothing to explain."""


class NoTopics(TopicsError):
    """A round opened over a forum with no published topic."""


class GroupRequired(FieldErrors, TopicsError):
    """A first ballot of someone who never declared a stakeholder group, without one; or with another
    group than the one they declared."""


EXPECTED = (TopicsError, InvalidToken, NotAParticipant, InvalidCursor, IdempotencyKeyReused, *OUTAGES)
