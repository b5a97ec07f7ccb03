"""End-to-end tier: the platform as it runs for real, seen only from outside.

Real: every service is its own ``nameko run`` process (harness.stack), spoken to over HTTP through the
gateway; RabbitMQ (a fresh vhost per test module) and PostgreSQL (the session's database); a real SMTP
server (aiosmtpd, in its own process) receiving the emails; a pika consumer with its own durable queue
reading the event bus as an integrator would. Nothing is mocked.

Processes take seconds to start, so there is one stack per test module: each test creates its own
forum and uses random addresses, and emails are always counted by recipient.
"""

import uuid

import pytest

from harness.stack import Stack
from harness.testing import NO_RATE_LIMITS, SmtpSink, rate_limit_prefix, with_vhost

from .client import Api, Bus

# Short mail retry and lease times keep the crash and outage tests within seconds.
STACK_ENV = {
    "MAIL_RETRY_BASE": 0.2,
    "MAIL_RETRY_CAP": 1.0,
    "MAIL_POLL_INTERVAL": 0.5,
    "MAIL_LEASE_SECONDS": 5,
    "MAIL_MAX_ATTEMPTS": 100,
    "LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="module")
def module_amqp_uri(rabbit_server, vhosts):
    name = vhosts.create()
    yield with_vhost(rabbit_server[0], name)
    vhosts.delete(name)


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    """The SMTP server the platform sends to; ``stop()`` then ``start()`` keeps its port and mailbox."""
    sink = SmtpSink(tmp_path_factory.mktemp("mail") / "maildir").start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def stack(request, database_url, module_amqp_uri, mail, tmp_path_factory):
    """The platform for one test module; a module may set its own ``STACK_SETTINGS``."""
    env = STACK_ENV | NO_RATE_LIMITS | {"RATE_LIMIT_PREFIX": rate_limit_prefix()}
    env |= getattr(request.module, "STACK_SETTINGS", {}) | {
        "AMQP_URI": module_amqp_uri,
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mail.port,
        "ORGANISER_TOKEN": f"organiser-{uuid.uuid4().hex}",
    }
    stack = Stack(env, tmp_path_factory.mktemp("logs"))
    try:
        yield stack.start().wait_ready()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def api(stack):
    return Api(stack.base_url, stack.env["ORGANISER_TOKEN"])


@pytest.fixture
def bus(stack, module_amqp_uri):
    """Bound before the test acts, so that it sees every event the test causes."""
    bus = Bus(module_amqp_uri)
    yield bus
    bus.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report ends with the tail of every service's log."""
    outcome = yield
    report = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(stack, Stack):
        report.sections.append(("service logs", stack.logs_tail(40)))
