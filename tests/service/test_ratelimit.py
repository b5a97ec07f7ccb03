"""Who a client is, and what happens when the limits' store is away."""

import uuid

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from kit.ratelimit import ClientLimits, Limits


def request(forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.7"}).get_environ()
    return Request(environ)


def limits_for(trusted):
    limits = ClientLimits()
    limits.trusted_proxies = trusted
    return limits


def test_a_client_is_its_peer_unless_proxies_are_trusted():
    assert limits_for(0).client(request("198.51.100.1")) == "192.0.2.7"  # a header anyone can send
    assert limits_for(1).client(request("198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    assert limits_for(2).client(request("198.51.100.1, 203.0.113.9")) == "198.51.100.1"
    assert limits_for(2).client(request("203.0.113.9")) == "192.0.2.7"  # fewer hops than proxies


def test_past_the_limit_the_wait_is_given_and_other_keys_are_not_counted():
    limits = Limits("redis://127.0.0.1:6379/0", f"unit-{uuid.uuid4().hex}", {"rule": "2/minute"})
    assert [limits.wait("rule", "a") for _ in range(2)] == [None, None]
    assert 1 <= limits.wait("rule", "a") <= 60
    assert limits.wait("rule", "b") is None
    assert limits.wait("no such rule", "a") is None


def test_without_redis_requests_go_through(caplog):
    limits = Limits("redis://127.0.0.1:1/0", "unit", {"rule": "1/minute"})
    assert [limits.wait("rule", "a") for _ in range(3)] == [None] * 3
    assert "Redis unreachable" in caplog.text
