"""Every exception a service raises on purpose has its answer in the gateway's one table: without a
row it would be answered as a 500."""

import services.notification.service  # noqa: F401 - every module that defines an error is loaded
import services.registration.service  # noqa: F401
from gateway.errors import REMOTE_ERRORS
from kit import dead_letters
from services.notification import errors as notification
from services.registration import errors as registration

BASES = {registration.RegistrationError, notification.NotificationError, dead_letters.DeadLetterError}


def named(*bases):
    found = set()
    for base in bases:
        for cls in base.__subclasses__():
            found |= {cls.__name__} | named(cls)
    return found


def test_every_service_error_has_a_row():
    expected = {*registration.EXPECTED, *notification.EXPECTED, *dead_letters.EXPECTED}
    raised = {cls.__name__ for cls in expected - BASES} | named(*expected)
    assert {"TemplateNotFound", "OrganiserNameTaken", "DeadLetterNotFound", "InvalidCursor"} <= raised
    assert {"InvalidToken", "IdempotencyKeyReused", "DatabaseUnavailable", "DeadlinePassed"} <= raised
    assert raised - set(REMOTE_ERRORS) == set()


def test_one_error_class_per_name():
    """The table matches by class name: two classes of one name would have to mean the same."""
    expected = {*registration.EXPECTED, *notification.EXPECTED, *dead_letters.EXPECTED}
    classes = {cls for cls in expected - BASES} | {c for base in BASES for c in base.__subclasses__()}
    names = [cls.__name__ for cls in classes]
    assert sorted(name for name in names if names.count(name) > 1) == []
