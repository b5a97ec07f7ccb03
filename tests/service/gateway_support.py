"""The gateway under test: a real GatewayService container in its own vhost, in front of a fake
registration service that answers every RPC method from canned values and records what it was asked."""

import uuid
from contextlib import contextmanager

import requests
from nameko.containers import ServiceContainer

from gateway.errors import REMOTE_ERRORS
from gateway.service import GatewayService
from harness.stack import free_port
from harness.testing import NO_RATE_LIMITS, rate_limit_prefix, stop_or_kill, with_vhost
from kit.config import load_config
from kit.rpc import rpc
from kit.tokens import mint

ORGANISER = "organiser-test-token"
TOKEN = mint("a-secret", "manage", "person-1")  # a participant's link token, as the service mints them
FORUM_ID = str(uuid.uuid4())
REGISTRATION_ID = str(uuid.uuid4())
FORUM = {"id": FORUM_ID, "slug": "forum-de-test", "title": "Forum <b>de</b> test", "status": "open"}
FORUM |= {"starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T17:00:00+01:00"}
FORUM |= {"timezone": "Europe/Paris", "seats_left": 3, "capacity": 50, "waitlist_length": 0}
FORUM |= {"venue": {"name": "Salle", "address": "1 rue", "city": "Paris"}, "registration_open": True}
REGISTRATION = {"id": REGISTRATION_ID, "forum_id": FORUM_ID, "status": "confirmed", "email": "a@example.org"}
SUBSCRIPTION = {"subscription_id": str(uuid.uuid4()), "status": "confirmed"}
REPLIES = {
    "create_forum": lambda data: FORUM | data,
    "list_forums": {"items": [FORUM], "next_cursor": None},
    "register": lambda forum_id, data: REGISTRATION | data,
    "list_registrations": {"items": [REGISTRATION], "next_cursor": "opaque:2"},
    "registrations_csv": "id,email,organisation\r\n1,é@example.org,Écologie\r\n",
    "participants": [
        {"first_name": "Ana", "last_name": "P", "organisation": "", "stakeholder_group": "other"}
    ],
    "check_in": {"registration": REGISTRATION, "already_checked_in": False},
    "me": {"person": {"email": "a@example.org"}, "registrations": [REGISTRATION], "subscriptions": []},
    "request_management_link": None,
    "erase_me": {"erased": True},
    "erase_person": {"erased": False},
    "ping": "pong",
    "health": "ok",
} | {name: FORUM for name in ("get_forum", "update_forum", "open_forum", "close_forum", "hold_forum")}
REPLIES |= {"cancel_forum": FORUM, "registration_summary": {"forum_id": FORUM_ID}}
REPLIES |= {name: REGISTRATION for name in ("get_registration", "cancel_registration", "update_consents")}
REPLIES |= {name: SUBSCRIPTION for name in ("subscribe", "confirm_subscription", "unsubscribe")}
REPLIES |= {"attendance": {"forum_id": FORUM_ID, "totals": {"confirmed": 1, "checked_in": 0}}}
ERRORS = {name: type(name, (Exception,), {}) for name in REMOTE_ERRORS}  # nameko sends the class name

# What clients send: a forum an organiser creates, a person who registers.
FORUM_IN = {
    "title": "Forum ouvert",
    "starts_at": "2027-03-01T09:00:00+01:00",
    "ends_at": "2027-03-01T17:00:00+01:00",
    "venue": {"name": "Salle", "address": "1 rue", "city": "Paris"},
    "capacity": 50,
}
PERSON = {
    "email": "a@example.org",
    "first_name": "Ana",
    "last_name": "P",
    "stakeholder_group": "citizen",
}


class Fake:
    """What a fake service was asked, and what it should answer next."""

    def __init__(self, replies):
        self.defaults = replies
        self.reset()

    def reset(self):
        self.calls = []
        self.failure = None  # (exception class name, message)
        self.replies = dict(self.defaults)

    def answer(self, method, *args):
        self.calls.append((method, args))
        if self.failure:
            name, message = self.failure
            raise ERRORS.get(name, type(name, (Exception,), {}))(message)
        reply = self.replies[method]
        return reply(*args) if callable(reply) else reply

    def args(self, method):
        """The arguments of the last call of ``method``."""
        return list([args for called, args in self.calls if called == method][-1])


def fake_service(name, fake):
    """A nameko service called ``name`` whose every RPC method answers from ``fake``."""

    def answering(method):
        @rpc(expected_exceptions=tuple(ERRORS.values()))
        def call(self, *args):
            return fake.answer(method, *args)

        call.__name__ = method
        return call

    return type(f"Fake_{name}", (), {"name": name} | {method: answering(method) for method in fake.defaults})


FAKE = Fake(REPLIES)
FakeRegistration = fake_service("registration", FAKE)


class Api:
    def __init__(self, base_url):
        self.base_url = base_url

    def __call__(self, method, path, token=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)


@contextmanager
def running_gateway(rabbit_server, vhosts, *services, overrides=None):
    """The gateway and the fake services (by default the registration one) in their own vhost; the URL
    of the gateway. ``overrides`` are settings for every container (say, a real service's database).

    One per test module, as stopping a container takes seconds: each test resets ``FAKE`` instead.
    """
    vhost = vhosts.create()
    port = free_port()
    config = load_config(
        overrides={
            "AMQP_URI": with_vhost(rabbit_server[0], vhost),
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "ORGANISER_TOKEN": f"another-token, {ORGANISER}",
            "RPC_TIMEOUT": 2,
            "RATE_LIMIT_PREFIX": rate_limit_prefix(),
            # the fakes' answers change from test to test: a kept answer would outlive its test
            # (tests/service/test_gateway_kept_reads.py keeps them on purpose)
            "PUBLIC_READ_FRESH": 0,
        }
        | NO_RATE_LIMITS
        | (overrides or {})
    )
    containers = [
        ServiceContainer(cls, config) for cls in (*(services or [FakeRegistration]), GatewayService)
    ]
    try:
        for container in containers:
            container.start()
        yield f"http://127.0.0.1:{port}"
    finally:
        for container in containers:
            stop_or_kill(container)
        vhosts.delete(vhost)
