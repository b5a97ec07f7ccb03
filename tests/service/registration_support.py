"""Helpers for the registration service's service-tier tests: payloads, an RPC pool, the bus."""

import json
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy

SOON = datetime.now(UTC) + timedelta(days=30)


def forum_payload(capacity=2, **extra):
    return {
        "title": "Forum de test",
        "starts_at": SOON.isoformat(),
        "ends_at": (SOON + timedelta(hours=8)).isoformat(),
        "venue": {"name": "Hôtel de Ville", "address": "Place de l'Hôtel de Ville", "city": "Paris"},
        "capacity": capacity,
    } | extra


def person(n=None, **extra):
    n = n if n is not None else uuid.uuid4().hex[:8]
    return {
        "email": f"p{n}@example.org",
        "first_name": "Ana",
        "last_name": f"P{n}",
        "stakeholder_group": "citizen",
        "locale": "fr",
        "consent_attend": True,
    } | extra


class Proxies:
    """One RPC proxy per concurrent caller (a proxy cannot be shared by greenthreads)."""

    def __init__(self, config):
        self.config = config
        self.free = []
        self.open = []

    @contextmanager
    def get(self):
        if not self.free:
            context = ServiceRpcProxy("registration", self.config, timeout=30)
            self.open.append(context)
            self.free.append(context.__enter__())
        proxy = self.free.pop()
        try:
            yield proxy
        finally:
            self.free.append(proxy)

    def close(self):
        for context in self.open:
            context.__exit__(None, None, None)


class Bus:
    """An integrator's durable queue bound to every event of one service (registration's by default)."""

    def __init__(self, amqp_uri, service="registration"):
        self.conn = Connection(amqp_uri)
        queue = Queue(
            f"test-integrator-{uuid.uuid4().hex[:6]}",
            Exchange(f"{service}.events", "topic", durable=True),
            routing_key="#",
            durable=True,
        )
        self.simple = self.conn.SimpleQueue(queue)

    def take(self, count, timeout=10):
        events = []
        for _ in range(count):
            message = self.simple.get(timeout=timeout)
            message.ack()
            body = message.body
            events.append(json.loads(body) if isinstance(body, str | bytes) else message.payload)
        return events

    def drain(self, quiet=1.0):
        """Every event until none arrives for ``quiet`` seconds."""
        events = []
        while True:
            try:
                events += self.take(1, timeout=quiet)
            except self.simple.Empty:
                return events

    def close(self):
        self.simple.close()
        self.conn.release()
