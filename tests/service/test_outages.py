"""A database outage, through the real gateway in front of the real services (real RabbitMQ vhost, real
PostgreSQL whose database stops taking connections): answers are 503 with Retry-After within the RPC
timeout, never 500; readiness says so while liveness stays up; and a request the gateway gave up on is
not committed afterwards."""

import threading
import time
import uuid

import psycopg
import pytest

from harness.testing import DatabaseOutage, SmtpSink, wait_until
from services.notification.service import NotificationService
from services.registration.service import RegistrationService
from services.restitution.service import RestitutionService
from services.topics.service import TopicsService

from .gateway_support import FORUM_IN, ORGANISER, Api, running_gateway

RPC_TIMEOUT = 3
FORUM = FORUM_IN | {"title": "Forum des pannes", "capacity": 10}


@pytest.fixture(scope="module")
def api(rabbit_server, vhosts, database_url, tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("mail")).start()
    settings = {"DATABASE_URL": database_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.port}
    settings |= {"RPC_TIMEOUT": RPC_TIMEOUT, "DATABASE_WAIT_SECONDS": 1}
    try:
        with running_gateway(
            rabbit_server,
            vhosts,
            RegistrationService,
            NotificationService,
            TopicsService,
            RestitutionService,
            overrides=settings,
        ) as url:
            yield Api(url)
    finally:
        sink.stop()


def someone():
    tag = uuid.uuid4().hex[:8]
    return {
        "email": f"o-{tag}@example.org",
        "first_name": "Ana",
        "last_name": tag,
        "stakeholder_group": "citizen",
    }


def register(api, forum_id):
    return api("POST", f"/api/v1/forums/{forum_id}/registrations", json=someone())


def test_a_database_outage_is_a_503_with_retry_after_and_then_passes(api, postgres_server, database_url):
    forum = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM).json()
    assert api("GET", "/health/ready").status_code == 200
    with DatabaseOutage(postgres_server, database_url):
        started = time.monotonic()
        answer = register(api, forum["id"])
        took = time.monotonic() - started
        assert answer.status_code == 503, answer.text
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers["Retry-After"] == "5"
        assert took < RPC_TIMEOUT + 1  # never past the RPC timeout
        assert api("GET", f"/api/v1/forums/{forum['id']}").status_code == 503
        assert api("GET", "/health/ready").status_code == 503
        assert api("GET", "/health/live").status_code == 200
    wait_until(lambda: register(api, forum["id"]).status_code == 201, timeout=20, message="recovery")
    wait_until(lambda: api("GET", "/health/ready").status_code == 200, timeout=20, message="ready again")


def test_a_request_the_gateway_gave_up_on_is_not_committed_later(api, database_url):
    forum = api("POST", "/api/v1/forums", token=ORGANISER, json=FORUM).json()
    locked, release = threading.Event(), threading.Event()

    def hold_the_forum():
        """Another transaction holds the forum's row, as a long one would: the registration waits."""
        with psycopg.connect(database_url) as conn:
            conn.execute("SELECT 1 FROM registration.forums WHERE id = %s FOR UPDATE", (forum["id"],))
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_forum)
    holder.start()
    locked.wait(10)
    try:
        answer = register(api, forum["id"])  # the gateway stops waiting
    finally:
        release.set()  # now the registration can go on, past its deadline
        holder.join()
    time.sleep(2)  # time enough for it to commit, if it were going to
    with psycopg.connect(database_url) as conn:
        count = conn.execute(
            "SELECT count(*) FROM registration.registrations WHERE forum_id = %s", (forum["id"],)
        ).fetchone()[0]
    assert count == 0  # told "failed", so not registered
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5", answer.text
    assert api("GET", f"/api/v1/forums/{forum['id']}").json()["seats_left"] == 10
