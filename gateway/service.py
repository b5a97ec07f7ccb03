"""The HTTP gateway: parse and validate, call one service, answer JSON (or problem+json)."""

from functools import cache

import eventlet
from nameko.dependency_providers import Config

from gateway.auth import OrganiserTokens
from gateway.errors import Unavailable
from gateway.http import api, json_body
from gateway.openapi import build_openapi
from gateway.rpc import TimedRpcProxy
from gateway.schemas import ForumCreateSchema, RegistrationCreateSchema
from kit.asyncapi import build_asyncapi
from services.registration.events import catalog as registration_events

FORUM_CREATE = ForumCreateSchema()
REGISTRATION_CREATE = RegistrationCreateSchema()
READY_TIMEOUT = 3
EVENT_CATALOGS = (registration_events,)  # the public contracts only: no service code is imported


@cache
def documents(public_base_url):
    return {"openapi": build_openapi(public_base_url), "asyncapi": build_asyncapi(EVENT_CATALOGS)}


def validated(schema, request):
    """Load (raising 400 with field errors) and dump back to plain JSON for the RPC call."""
    return schema.dump(schema.load(json_body(request)))


class GatewayService:
    name = "gateway"

    config = Config()
    organiser = OrganiserTokens()
    registration = TimedRpcProxy("registration")
    notification = TimedRpcProxy("notification")

    @api("GET", "/health/live")
    def live(self, request):
        return 200, {"status": "alive"}

    @api("GET", "/health/ready")
    def ready(self, request):
        def check(proxy):
            try:
                return proxy.health(timeout=READY_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                return f"unavailable: {type(exc).__name__}"

        services = {"registration": self.registration, "notification": self.notification}
        calls = {name: eventlet.spawn(check, proxy) for name, proxy in services.items()}  # in parallel
        checks = {name: call.wait() for name, call in calls.items()}
        if all(value == "ok" for value in checks.values()):
            return 200, {"status": "ready", "checks": checks}
        raise Unavailable(f"Not ready: {checks}")

    @api("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return 200, documents(self.config.get("PUBLIC_BASE_URL", ""))["openapi"]

    @api("GET", "/api/v1/asyncapi.json")
    def asyncapi(self, request):
        """The events integrators can subscribe to, generated from the events modules."""
        return 200, documents(self.config.get("PUBLIC_BASE_URL", ""))["asyncapi"]

    @api("GET", "/api/v1/ping")
    def ping(self, request):
        """The lightest route through the broker: the benchmark's ceiling."""
        return 200, {"registration": self.registration.ping()}

    @api("POST", "/api/v1/forums")
    def create_forum(self, request):
        self.organiser(request)
        forum = self.registration.create_forum(validated(FORUM_CREATE, request))
        return 201, {"Location": f"/api/v1/forums/{forum['id']}"}, forum

    @api("GET", "/api/v1/forums/<uuid:forum_id>")
    def get_forum(self, request, forum_id):
        return 200, self.registration.get_forum(str(forum_id))

    @api("POST", "/api/v1/forums/<uuid:forum_id>/registrations")
    def register(self, request, forum_id):
        registration = self.registration.register(str(forum_id), validated(REGISTRATION_CREATE, request))
        return 201, {"Location": f"/api/v1/registrations/{registration['id']}"}, registration
