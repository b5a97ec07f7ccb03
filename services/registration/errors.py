"""The errors this service raises on purpose; the gateway maps each (by class name) to an HTTP status."""

from kit.db import OUTAGES
from kit.idempotency import IdempotencyKeyReused
from kit.paging import InvalidCursor
from kit.tokens import InvalidToken  # noqa: F401 - raised from here too: a bad, expired or revoked link


class RegistrationError(Exception):
    """Base of the expected errors: logged as warnings, answered as 4xx."""

    commit_anyway = False  # set on errors whose side effects (an event) must still be committed


class ForumNotFound(RegistrationError):
    pass


class RegistrationNotFound(RegistrationError):
    pass


class UnknownAttendeeCode(RegistrationError):
    pass


class RegistrationClosed(RegistrationError):
    pass


class AlreadyRegistered(RegistrationError):
    commit_anyway = True  # the person is sent their management link again


class InvalidTransition(RegistrationError):
    pass


class CapacityBelowConfirmed(RegistrationError):
    pass


class QuotaInvalid(RegistrationError):
    pass


class SlugTaken(RegistrationError):
    pass


class InvalidForumChange(RegistrationError):
    pass


class NotYourRegistration(RegistrationError):
    pass


class OrganiserTokenNotFound(RegistrationError):
    pass


class OrganiserNameTaken(RegistrationError):
    pass


class InvalidOrganiserName(RegistrationError):
    pass


EXPECTED = (RegistrationError, InvalidToken, InvalidCursor, IdempotencyKeyReused, *OUTAGES)
