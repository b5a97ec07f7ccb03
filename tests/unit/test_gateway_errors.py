"""Every exception a service raises on purpose has its answer in the gateway's one table: without a
row it would be answered as a 500."""

import json

import services.notification.service  # noqa: F401 - every module that defines an error is loaded
import services.registration.service  # noqa: F401
import services.restitution.service  # noqa: F401
import services.topics.service  # noqa: F401
from gateway.errors import REMOTE_ERRORS
from kit import dead_letters
from services.notification import errors as notification
from services.registration import errors as registration
from services.restitution import errors as restitution
from services.topics import errors as topics

BASES = {
    registration.RegistrationError,
    notification.NotificationError,
    dead_letters.DeadLetterError,
    topics.TopicsError,
    restitution.RestitutionError,
}
EXPECTED = {
    *registration.EXPECTED,
    *notification.EXPECTED,
    *dead_letters.EXPECTED,
    *topics.EXPECTED,
    *restitution.EXPECTED,
}
# Services never import each other, so two may each name an error alike: only where it means the same
# (one row answers both). Any other shared name fails below.
ALIKE = {"ForumNotFound", "InvalidTransition"}


def named(*bases):
    """The names of every subclass, but a private base's (a name in ``_``: never raised itself)."""
    found = set()
    for base in bases:
        for cls in base.__subclasses__():
            found |= named(cls) | ({cls.__name__} if not cls.__name__.startswith("_") else set())
    return found


def test_every_service_error_has_a_row():
    raised = {cls.__name__ for cls in EXPECTED - BASES} | named(*EXPECTED)
    assert {"TemplateNotFound", "OrganiserNameTaken", "DeadLetterNotFound", "InvalidCursor"} <= raised
    assert {"InvalidToken", "IdempotencyKeyReused", "DatabaseUnavailable", "DeadlinePassed"} <= raised
    assert {"RoundAlreadyOpen", "BallotInvalid", "GroupRequired", "NotAParticipant"} <= raised
    assert {"RestitutionNotFound", "VersionConflict", "DraftInvalid", "CommitmentChangeInvalid"} <= raised
    assert raised - set(REMOTE_ERRORS) == set()


def test_one_error_class_per_name():
    """The table matches by class name: two classes of one name would have to mean the same."""
    classes = {cls for cls in EXPECTED - BASES} | {c for base in BASES for c in named_classes(base)}
    names = [cls.__name__ for cls in classes]
    assert sorted({name for name in names if names.count(name) > 1}) == sorted(ALIKE)
    for name in ALIKE:  # the same kind of refusal in each service that raises it
        assert {(registration.__name__, name), (topics.__name__, name), (restitution.__name__, name)} == {
            (cls.__module__, cls.__name__) for cls in classes if cls.__name__ == name
        }


def named_classes(base):
    found = set()
    for cls in base.__subclasses__():
        found |= {cls} | named_classes(cls)
    return found


def test_restitution_errors_by_field_are_answered_by_field():
    """Restitution's field errors name a field inside a list by its place (``sections.0.title``)."""
    from nameko.exceptions import RemoteError

    from gateway.errors import remote_problem

    raised = restitution.DraftInvalid({"sections.0.title": ["required"], "note": ["at most 2000 characters"]})
    answer = json.loads(remote_problem(RemoteError("DraftInvalid", str(raised))).get_data())
    assert (answer["status"], answer["title"]) == (422, "Invalid draft")
    assert answer["errors"] == {"sections.0.title": ["required"], "note": ["at most 2000 characters"]}


def test_errors_by_field_are_answered_by_field():
    """The topics service's field errors (``field: message; field2: message``) reach the client as
    ``errors``, one entry per field, as the gateway's own validation answers."""
    from nameko.exceptions import RemoteError

    from gateway.errors import remote_problem

    raised = topics.BallotInvalid(
        {"choices": ["unknown topic x", "at most 2 topics"], "method": ["one of approval, dots, ranked"]}
    )
    answer = json.loads(remote_problem(RemoteError("BallotInvalid", str(raised))).get_data())
    assert answer["status"] == 422 and answer["detail"] == str(raised)
    assert answer["errors"] == {
        "choices": ["unknown topic x, at most 2 topics"],
        "method": ["one of approval, dots, ranked"],
    }
