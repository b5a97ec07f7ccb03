"""The notification service names each event it consumes in three places: its entrypoints, its reading
of the event (``incoming.SCHEMAS``) and its handler table (``domain.HANDLERS``). They must agree, and
every one must be an event its source service emits (registration, topics or restitution)."""

import inspect

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from kit.handlers import EventHandler
from services.notification import domain, incoming
from services.notification.service import NotificationService
from services.registration.events import catalog as registration_catalog
from services.restitution.events import catalog as restitution_catalog
from services.topics.events import catalog as topics_catalog

CATALOGS = {
    "registration": registration_catalog,
    "topics": topics_catalog,
    "restitution": restitution_catalog,
}


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
    for event_type, (source, method) in entrypoints.items():
        assert source in CATALOGS, event_type
        assert event_type in CATALOGS[source].schemas, (source, event_type)
        assert method == f"handle_{event_type}"


def test_the_topics_events_are_read_from_the_topics_service():
    from_topics = {event for event, (source, _) in consumed().items() if source == "topics"}
    assert from_topics == set(incoming.TOPICS_SCHEMAS)
    assert {"round_opened", "round_closing_soon", "round_closed", "topic_published"} <= from_topics
    assert {"topic_rejected", "topic_merged"} <= from_topics


def test_a_restitution_published_and_the_comments_are_read_from_the_restitution_service_and_nothing_else():
    from_restitution = {event for event, (source, _) in consumed().items() if source == "restitution"}
    comments = {"comment_submitted", "comment_published", "comment_hidden"}
    assert from_restitution == set(incoming.RESTITUTION_SCHEMAS) == {"restitution_published", *comments}
    assert "commitment_updated" not in domain.HANDLERS  # no email for it (yet)
