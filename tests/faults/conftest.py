"""Fault tier: the platform as real processes (as in ``e2e``), then something breaks under it.

Real: every service is its own ``nameko run`` process (harness.stack), killed with SIGKILL or cut off from
PostgreSQL by ``pg_terminate_backend`` in the middle of its work; RabbitMQ (a fresh vhost per module),
PostgreSQL (the session's database) and a real SMTP server (aiosmtpd, its own process, optionally slow)
whose Maildir is counted per recipient. Nothing is mocked. The stack fixtures are e2e's, one stack per
module; a module sets its own ``STACK_SETTINGS`` (lease, connections).
"""

from e2e.conftest import api, mail, module_amqp_uri, pytest_runtest_makereport, stack

__all__ = ["api", "mail", "module_amqp_uri", "pytest_runtest_makereport", "stack"]
