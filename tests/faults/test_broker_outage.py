"""RabbitMQ stopped (``stop_app``) and started again in the middle of a burst of registrations, under the
whole platform. During the outage every answer is a 201 or a 503 with Retry-After (never a 500, never
later than the RPC timeout), readiness is down while liveness stays up, no process dies, and mail already
queued in PostgreSQL goes on out to a (slow) relay, since it needs no broker. Afterwards
the platform is ready again by itself, a client retrying its 503s with their Idempotency-Key gets each
registration once, every registration is stored once and its registrant emailed once."""

import threading
import time
import uuid
from collections import Counter

import psycopg
import pytest
import requests

from kit.stack import Stack
from kit.testing import NO_RATE_LIMITS, SmtpSink, rate_limit_prefix, wait_until

from .broker import PrivateBroker
from .support import received

pytestmark = pytest.mark.skipif(not PrivateBroker.available(), reason="needs rabbitmq-server on this machine")
RPC_TIMEOUT, CLIENTS, BURST_SECONDS, OUTAGE_SECONDS = 4, 8, 16, 6
RELAY_DELAY = 0.05  # seconds per message: 20 emails/s, fewer than the burst registers
TOKEN = f"organiser-{uuid.uuid4().hex}"
FORUM = {
    "title": "Forum de la panne",
    "starts_at": "2027-03-01T09:00:00+01:00",
    "ends_at": "2027-03-01T17:00:00+01:00",
    "venue": {"name": "Salle", "address": "1 rue", "city": "Paris"},
    "capacity": 100_000,
}


@pytest.fixture
def platform(database_url, tmp_path):
    broker = PrivateBroker().start()
    sink = SmtpSink(tmp_path / "mail", delay=RELAY_DELAY).start()  # slow: mail is still queued at the outage
    env = {"AMQP_URI": broker.amqp_uri, "DATABASE_URL": database_url, "SMTP_HOST": "127.0.0.1"}
    env |= {"SMTP_PORT": sink.port, "ORGANISER_TOKEN": TOKEN, "RPC_TIMEOUT": RPC_TIMEOUT, "LOG_LEVEL": "INFO"}
    env |= NO_RATE_LIMITS | {
        "RATE_LIMIT_PREFIX": rate_limit_prefix(),
        "MAIL_RETRY_BASE": 0.2,
        "MAIL_RETRY_CAP": 1,
        "MAIL_CONNECTIONS": 1,
    }
    stack = Stack(env, tmp_path / "logs")
    try:
        yield stack.start().wait_ready(), broker, sink
    finally:
        stack.stop()
        sink.stop()
        broker.stop()


class Client:
    """Registers new people until told to stop; keeps every answer, and the 503s to retry."""

    def __init__(self, url):
        self.url, self.answers, self.refused = url, Counter(), []

    def run(self, until):
        while time.monotonic() < until:
            body = {
                "email": f"out-{uuid.uuid4().hex[:12]}@example.org",
                "first_name": "Ana",
                "last_name": "B",
            }
            body |= {"stakeholder_group": "citizen"}
            key, started = str(uuid.uuid4()), time.monotonic()
            answer = requests.post(self.url, json=body, headers={"Idempotency-Key": key}, timeout=60)
            late = time.monotonic() - started > RPC_TIMEOUT + 1
            self.answers[(answer.status_code, answer.headers.get("Retry-After"), late)] += 1
            if answer.status_code == 201:
                self.answers[("registered", body["email"])] += 1
            elif answer.status_code == 503:
                self.refused.append((body, key))

    def retry(self):
        for body, key in self.refused:
            answer = requests.post(self.url, json=body, headers={"Idempotency-Key": key}, timeout=60)
            assert answer.status_code == 201, answer.text
            self.answers[("registered", body["email"])] += 1


def test_a_broker_outage_mid_burst_loses_nothing_and_needs_no_hand(platform, database_url):
    stack, broker, sink = platform
    forum = requests.post(
        stack.base_url + "/api/v1/forums",
        json=FORUM,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    ).json()
    clients = [Client(f"{stack.base_url}/api/v1/forums/{forum['id']}/registrations") for _ in range(CLIENTS)]
    until = time.monotonic() + BURST_SECONDS
    threads = [threading.Thread(target=client.run, args=(until,)) for client in clients]
    for thread in threads:
        thread.start()
    time.sleep(3)
    broker.stop_app()
    time.sleep(1)
    sent_before = sum(received(sink).values())
    during = [
        requests.get(f"{stack.base_url}/health/{what}", timeout=10).status_code for what in ("ready", "live")
    ]
    time.sleep(OUTAGE_SECONDS - 1)
    sent_during = sum(received(sink).values()) - sent_before
    alive = {name: stack.running(name) for name in ("gateway", "registration", "notification")}
    broker.start_app()
    for thread in threads:
        thread.join()

    assert during == [503, 200]
    assert all(alive.values()), alive  # nobody died (and nobody sat idle, waiting to die)
    assert sent_during > 0, "no queued mail went out while the broker was away"
    answers = sum((client.answers for client in clients), Counter())
    statuses = {key for key in answers if key[0] not in ("registered",)}
    assert statuses <= {(201, None, False), (503, "5", False)}, answers  # no 500, none past the timeout
    assert answers[(503, "5", False)] > 0  # the outage was felt
    wait_until(
        lambda: requests.get(f"{stack.base_url}/health/ready", timeout=10).ok, 30, message="ready again"
    )
    for client in clients:
        client.retry()  # the 503s, with their keys: each gets its 201
    registered = {key[1] for key in answers if key[0] == "registered"}
    registered |= {body["email"] for client in clients for body, _ in client.refused}
    with psycopg.connect(database_url, options="-c search_path=registration") as conn:
        rows = conn.execute(
            "SELECT email, count(*) FROM registrations WHERE forum_id = %s GROUP BY email", (forum["id"],)
        ).fetchall()
    assert dict(rows) == {email: 1 for email in registered}  # every one stored, once
    wait_until(lambda: set(received(sink)) >= registered, 60, message="every registrant's email")
    assert set(received(sink).values()) == {1}  # and emailed once
