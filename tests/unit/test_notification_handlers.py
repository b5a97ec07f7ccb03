"""The notification service names each event it consumes in three places: its entrypoints, its reading
of the event (``incoming.SCHEMAS``) and its handler table (``domain.HANDLERS``). They must agree, and
every one must be an event registration emits."""

import inspect

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from kit.handlers import EventHandler
from services.notification import domain, incoming
from services.notification.service import NotificationService
from services.registration.events import catalog


def consumed():
    found = {}
    for name, method in inspect.getmembers(NotificationService, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventHandler):
                found[entrypoint.event_type] = (entrypoint.source_service, name)
    return found


def test_entrypoints_readings_and_handlers_name_the_same_events():
    entrypoints = consumed()
    assert len(entrypoints) >= 15
    assert set(entrypoints) == set(incoming.SCHEMAS) == set(domain.HANDLERS)
    assert set(entrypoints) <= set(catalog.schemas)
    for event_type, (source, method) in entrypoints.items():
        assert (source, method) == ("registration", f"handle_{event_type}")
