"""pytest fixtures every tier shares (loaded by the root conftest as a plugin).

Where the real parts come from, in order: the environment (TEST_DATABASE_URL, TEST_AMQP_URI and
TEST_RABBIT_API for the management API), else PostgreSQL and RabbitMQ on localhost, else containers
started with testcontainers when a Docker engine answers. Each test session gets its own database and
each test its own RabbitMQ vhost, both removed afterwards.
"""

import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
import requests
from nameko.containers import ServiceContainer

from harness.stack import free_port
from kit.config import load_config
from kit.signing import HEADER, event_key, sign

ROOT = Path(__file__).resolve().parent.parent
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"
LOCAL_RABBIT_API = "http://guest:guest@127.0.0.1:15672"


def port_open(host, port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def wait_until(predicate, timeout=20.0, interval=0.1, message="condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` s, saying
    what it waited for (``message``, or what ``message()`` says then: where things stand)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {timeout} s waiting for {message() if callable(message) else message}"
            )
        time.sleep(interval)


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def with_vhost(url, vhost):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{quote(vhost, safe='')}"))


@pytest.fixture(scope="session")
def postgres_server():
    """A URL of a PostgreSQL server where the tests may create databases."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
    elif port_open("127.0.0.1", 5432):
        yield LOCAL_POSTGRES
    else:
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver=None) as container:
            yield container.get_connection_url()


# Databases and vhosts the tests and benchmarks make are named after the process that made them, so
# that a run killed before it could remove them is recognised by the next one: its process is gone.
SCRATCH = re.compile(r"opendetat_(?:test|bench)_(\d+)_[0-9a-f]+")


def scratch_name(kind):
    return f"opendetat_{kind}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def abandoned(name):
    """Whether ``name`` is a scratch database or vhost whose run has ended without removing it."""
    match = SCRATCH.fullmatch(name)
    if match is None:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def sweep_databases(postgres_url):
    """Drop the scratch databases of runs that were killed; return their names."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'opendetat_%'").fetchall()
        names = [row[0] for row in rows if abandoned(row[0])]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return names


def sweep_vhosts(vhosts):
    """Delete the scratch vhosts of runs that were killed; return their names."""
    found = requests.get(f"{vhosts.api}/api/vhosts", timeout=10).json()
    names = [vhost["name"] for vhost in found if abandoned(vhost["name"])]
    for name in names:
        vhosts.delete(name)
    return names


@pytest.fixture(scope="session")
def database_url(postgres_server):
    """A fresh database for this test session, dropped at the end."""
    sweep_databases(postgres_server)  # what killed runs left behind
    name = scratch_name("test")
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield with_database(postgres_server, name)
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class DatabaseOutage:
    """While in the block, the test database takes no connection and the ones it had are cut: to its
    clients, as a database that is down (the server itself stays up for the other databases)."""

    def __init__(self, server_url, database_url):
        self.server, self.name = server_url, database_url.rsplit("/", 1)[1]

    def _run(self, sql):
        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql)

    def __enter__(self):
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self._run(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'")
        return self

    def __exit__(self, *exc_info):
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


@pytest.fixture(scope="session")
def rabbit_server():
    """(AMQP URL, management API URL) of a RabbitMQ broker where tests may create vhosts."""
    if os.environ.get("TEST_AMQP_URI"):
        yield os.environ["TEST_AMQP_URI"], os.environ.get("TEST_RABBIT_API", LOCAL_RABBIT_API)
    elif port_open("127.0.0.1", 5672):
        yield LOCAL_AMQP, LOCAL_RABBIT_API
    else:
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
            api = f"http://guest:guest@{host}:{container.get_exposed_port(15672)}"
            yield f"pyamqp://guest:guest@{host}:{port}/", api


# Tests act many times from one address: abuse limits are off unless a test sets its own, each test
# counting under its own prefix in the shared Redis.
NO_RATE_LIMITS = {"RATE_LIMIT_CLIENT_WRITES": "", "RATE_LIMIT_ADDRESS_EMAILS": ""}


def rate_limit_prefix():
    return f"opendetat-test-{uuid.uuid4().hex[:10]}"


def publish_signed(producer, secret, body, routing_key, headers=None, **kwargs):
    """Publish ``body`` (JSON-able) as an outbox relay would: signed with the key from ``secret``, so that
    the services' event handlers act on it (they dead-letter anything unsigned)."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {HEADER: sign(event_key(secret), raw)} | (headers or {})
    kwargs |= {"content_type": "application/json", "content_encoding": "utf-8", "serializer": None}
    producer.publish(raw, routing_key=routing_key, headers=headers, **kwargs)


class Vhosts:
    def __init__(self, api):
        self.api = api.rstrip("/")

    def create(self):
        name = scratch_name("test")
        vhost = quote(name, safe="")
        requests.put(f"{self.api}/api/vhosts/{vhost}", timeout=10).raise_for_status()
        user = urlsplit(self.api).username or "guest"
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        requests.put(
            f"{self.api}/api/permissions/{vhost}/{user}", json=permissions, timeout=10
        ).raise_for_status()
        return name

    def delete(self, name):
        requests.delete(f"{self.api}/api/vhosts/{quote(name, safe='')}", timeout=10)


@pytest.fixture(scope="session")
def vhosts(rabbit_server):
    vhosts = Vhosts(rabbit_server[1])
    sweep_vhosts(vhosts)  # what killed runs left behind
    return vhosts


@pytest.fixture
def amqp_uri(rabbit_server, vhosts):
    """A fresh vhost for this test: no queue or message of another test can reach it."""
    name = vhosts.create()
    yield with_vhost(rabbit_server[0], name)
    vhosts.delete(name)


class SmtpSink:
    """A real SMTP server (aiosmtpd, in its own process) keeping what it receives in a Maildir.

    With ``tls=(cert, key)`` (PEM files) it offers STARTTLS, or speaks TLS from the first byte with
    ``implicit_tls=True``; with ``auth="user:password"`` it takes mail only after that login; with
    ``delay`` it waits that many seconds before answering each message's end, as a slow relay.
    """

    def __init__(self, directory, port=None, refuse=None, tls=None, implicit_tls=False, auth=None, delay=0):
        self.directory = Path(directory)
        self.delay = delay
        self.port = port or free_port()
        self.refuse = refuse  # addresses ending with this are refused for good (550)
        self.tls, self.implicit_tls, self.auth = tls, implicit_tls, auth
        self.process = None

    def start(self):
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_SINK_")}
        env = inherited | {
            "SMTP_SINK_HOST": "127.0.0.1",
            "SMTP_SINK_PORT": str(self.port),
            "SMTP_SINK_MAILDIR": str(self.directory),
        }
        if self.refuse:
            env["SMTP_SINK_REFUSE"] = self.refuse
        if self.tls:
            env |= {"SMTP_SINK_TLS_CERT": str(self.tls[0]), "SMTP_SINK_TLS_KEY": str(self.tls[1])}
            env["SMTP_SINK_TLS_MODE"] = "implicit" if self.implicit_tls else "starttls"
        if self.auth:
            env["SMTP_SINK_AUTH"] = self.auth
        if self.delay:
            env["SMTP_SINK_DELAY"] = str(self.delay)
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "deploy" / "smtp_sink.py")], env=env, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: port_open("127.0.0.1", self.port), message="the SMTP sink to listen")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def messages(self):
        """Every message received so far, parsed, oldest first."""
        if not (self.directory / "new").exists():
            return []
        found = sorted((self.directory / "new").iterdir(), key=lambda path: path.stat().st_mtime_ns)
        return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in found]

    def wait_for(self, count, timeout=30.0):
        """Wait until at least ``count`` messages arrived; return them all."""
        wait_until(lambda: len(self.messages()) >= count, timeout, message=f"{count} emails")
        return self.messages()


@pytest.fixture
def smtp_sink(tmp_path):
    sink = SmtpSink(tmp_path / "mail").start()
    yield sink
    sink.stop()


@pytest.fixture
def service_config(database_url, amqp_uri, smtp_sink):
    """The settings a service reads from deploy/config.yaml, pointed at this test's real parts."""
    return load_config(
        overrides={
            "AMQP_URI": amqp_uri,
            "DATABASE_URL": database_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_sink.port,
            "MAIL_RETRY_BASE": 0.2,
            "MAIL_RETRY_CAP": 1.0,
            "MAIL_POLL_INTERVAL": 0.5,
        }
        | NO_RATE_LIMITS
        | {"RATE_LIMIT_PREFIX": rate_limit_prefix()}
    )


@pytest.fixture
def container_factory(amqp_uri):
    """Start nameko service containers; each is stopped (or killed) after the test.

    It asks for ``amqp_uri`` so that the containers stop before the test's vhost is deleted.
    """
    containers = []

    def make(service_cls, config):
        container = ServiceContainer(service_cls, config)
        containers.append(container)
        return container

    yield make
    for container in containers:
        stop_or_kill(container)


def stop_or_kill(container, timeout=20):
    """Stop a container gracefully, or kill it if it is stuck (a broker gone away, say)."""
    import eventlet

    try:
        with eventlet.Timeout(timeout):
            container.stop()
    except BaseException:  # noqa: BLE001 - a stuck container is killed instead
        container.kill()
