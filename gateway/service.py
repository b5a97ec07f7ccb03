"""The HTTP gateway: parse and validate, call one service, answer JSON (or problem+json).

The routes live by resource in ``gateway.routes``; this class gathers them with their dependencies.
"""

from functools import cache, partial

from nameko.dependency_providers import Config

from gateway.auth import BearerTokens
from gateway.errors import NotReady
from gateway.http import api
from gateway.openapi import Doc, build_openapi
from gateway.routes import (
    checkins,
    comments,
    console,
    console_emails,
    console_forums,
    console_moderation,
    console_restitution,
    console_rounds,
    forums,
    notifications,
    organisers,
    pages,
    participant,
    participant_forms,
    people,
    reading,
    registrations,
    restitution_pages,
    site,
    subscriptions,
)
from gateway.routes import restitution as restitution_routes
from gateway.routes import topics as topic_routes
from gateway.rpc import TimedRpcProxy, together
from kit.asyncapi import build_asyncapi
from kit.secrets import SecureSettings
from services.registration.events import catalog as registration_events
from services.restitution.events import catalog as restitution_events
from services.topics.events import catalog as topics_events

READY_TIMEOUT = 3
# the public contracts only: no service code is imported
EVENT_CATALOGS = (registration_events, topics_events, restitution_events)
JSON_OBJECT = {"type": "object"}


@cache
def documents(public_base_url):
    return {
        "openapi": build_openapi(public_base_url, GatewayService),
        "asyncapi": build_asyncapi(EVENT_CATALOGS),
    }


# The route classes are reached through their modules: ``nameko run gateway.service`` takes every
# class of this module that has entrypoints for a service.
class GatewayService(
    forums.ForumRoutes,
    registrations.RegistrationRoutes,
    checkins.CheckInRoutes,
    people.PeopleRoutes,
    subscriptions.SubscriptionRoutes,
    notifications.NotificationRoutes,
    organisers.OrganiserRoutes,
    topic_routes.TopicRoutes,
    restitution_routes.RestitutionRoutes,
    comments.CommentRoutes,
    console.ConsoleRoutes,
    console_forums.ConsoleForumRoutes,
    console_moderation.ConsoleModerationRoutes,
    console_rounds.ConsoleRoundRoutes,
    console_restitution.ConsoleRestitutionRoutes,
    console_emails.ConsoleEmailRoutes,
    pages.PageRoutes,
    participant.ParticipantRoutes,
    participant_forms.ParticipantFormRoutes,
    restitution_pages.RestitutionPageRoutes,
    reading.ReadingRoutes,
    site.SiteRoutes,
):
    name = "gateway"

    config = Config()
    secure_settings = SecureSettings()
    auth = BearerTokens()
    registration = TimedRpcProxy("registration")
    notification = TimedRpcProxy("notification")
    topics = TimedRpcProxy("topics")
    restitution = TimedRpcProxy("restitution")

    @api("GET", "/health/live", doc=Doc("The gateway process answers", tag="operations", returns="Alive"))
    def live(self, request):
        return 200, {"status": "alive"}

    @api(
        "GET",
        "/health/ready",
        doc=Doc("Broker, database and services reachable", tag="operations", returns="Ready"),
    )
    def ready(self, request):
        asked = {
            name: partial(getattr(self, name).health, timeout=READY_TIMEOUT)
            for name in ("registration", "notification", "topics", "restitution")
        }  # in parallel; any failure means not ready
        checks = {
            name: f"unavailable: {type(failed).__name__}" if failed else answer
            for name, (answer, failed) in together(**asked).items()
        }
        if all(value == "ok" for value in checks.values()):
            return 200, {"status": "ready", "checks": checks}
        raise NotReady(f"Not ready: {checks}")

    @api(
        "GET",
        "/api/v1/openapi.json",
        doc=Doc("This document", tag="operations", answer=JSON_OBJECT, returns="OpenAPI 3.1"),
    )
    def openapi(self, request):
        return 200, documents(self.config.get("PUBLIC_BASE_URL", ""))["openapi"]

    @api(
        "GET",
        "/api/v1/asyncapi.json",
        doc=Doc("The events integrators can subscribe to", tag="operations", answer=JSON_OBJECT),
    )
    def asyncapi(self, request):
        """The events integrators can subscribe to, generated from the events modules."""
        return 200, documents(self.config.get("PUBLIC_BASE_URL", ""))["asyncapi"]

    @api(
        "GET",
        "/api/v1/ping",
        doc=Doc("One round trip through the broker (benchmarks)", tag="operations", answer=JSON_OBJECT),
    )
    def ping(self, request):
        """The lightest route through the broker: the benchmark's ceiling."""
        return 200, {"registration": self.registration.ping()}
