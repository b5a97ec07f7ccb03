"""Every exception a service raises on purpose has its answer in the gateway's one table: without a
row it would be answered as a 500."""

import services.notification.service  # noqa: F401 - every module that defines an error is loaded
import services.registration.service  # noqa: F401
from gateway.errors import REMOTE_ERRORS
from kit.dead_letters import DeadLetterError
from services.notification.errors import NotificationError
from services.registration.errors import EXPECTED


def named(*bases):
    found = set()
    for base in bases:
        for cls in base.__subclasses__():
            found |= {cls.__name__} | named(cls)
    return found


def test_every_service_error_has_a_row():
    raised = named(*EXPECTED, NotificationError, DeadLetterError) | {"InvalidToken", "IdempotencyKeyReused"}
    assert {"TemplateNotFound", "OrganiserNameTaken", "DeadLetterNotFound"} <= raised
    assert raised - set(REMOTE_ERRORS) == set()
