"""RabbitMQ stopped (``stop_app``) and started again in the middle of a burst of registrations, under the
whole platform. During the outage every answer is a 201 or a 503 with Retry-After (never a 500, never
later than the RPC timeout), readiness is down while liveness stays up, no process dies, and mail already
queued in PostgreSQL goes on out to a (slow) relay, since it needs no broker. Afterwards
the platform is ready again by itself, a client retrying its 503s with their Idempotency-Key gets each
registration once, every registration is stored once and its registrant emailed once."""

import time
import uuid

import pytest
import requests

from harness.stack import Stack
from harness.testing import NO_RATE_LIMITS, SmtpSink, rate_limit_prefix, wait_until

from .broker import PrivateBroker
from .support import answers, burst, mail_trail, received, retry_failures, stored

pytestmark = pytest.mark.skipif(not PrivateBroker.available(), reason="needs rabbitmq-server on this machine")
RPC_TIMEOUT, CLIENTS, BURST_SECONDS, OUTAGE_SECONDS = 4, 8, 16, 6
PROCESSES = ("gateway", "registration", "notification", "topics")  # each must stay alive through it
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


def test_a_broker_outage_mid_burst_loses_nothing_and_needs_no_hand(platform, database_url):
    stack, broker, sink = platform
    forum = requests.post(
        stack.base_url + "/api/v1/forums",
        json=FORUM,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    ).json()
    seen = {}

    def outage():
        time.sleep(3)
        broker.stop_app()
        time.sleep(1)
        sent_before = sum(received(sink).values())
        seen["health"] = [
            requests.get(f"{stack.base_url}/health/{what}", timeout=10).status_code
            for what in ("ready", "live")
        ]
        time.sleep(OUTAGE_SECONDS - 1)
        seen["sent"] = sum(received(sink).values()) - sent_before
        seen["alive"] = {name: stack.running(name) for name in PROCESSES}
        broker.start_app()

    url = f"{stack.base_url}/api/v1/forums/{forum['id']}/registrations"
    registrants, _ = burst(url, CLIENTS, BURST_SECONDS, RPC_TIMEOUT + 1, outage)

    assert seen["health"] == [503, 200]
    assert all(seen["alive"].values()), seen["alive"]  # nobody died (and nobody sat idle, waiting to die)
    assert seen["sent"] > 0, "no queued mail went out while the broker was away"
    during = answers(registrants)
    assert set(during) <= {(201, False, False), (503, True, False)}, during  # no 500, none past the timeout
    assert during[(503, True, False)] > 0  # the outage was felt
    wait_until(
        lambda: requests.get(f"{stack.base_url}/health/ready", timeout=10).ok, 30, message="ready again"
    )
    retried, _ = retry_failures(registrants, database_url, forum["id"])
    assert set(retried) == {201}, retried  # the 503s, with their keys: each gets its 201
    registered = {address for registrant in registrants for address in registrant.registered}
    rows = stored(database_url, forum["id"])
    assert {address: n for address, (_, n) in rows.items()} == {address: 1 for address in registered}
    wait_until(
        lambda: set(received(sink)) >= registered,
        60,
        message=lambda: f"every registrant's email: {mail_trail(database_url, sink, registered)}",
    )
    # and emailed once (the sink also gets what the platform sends to other tests' people in this database)
    assert {address: n for address, n in received(sink).items() if address in registered and n != 1} == {}
