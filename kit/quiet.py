"""An expected error is one line in the log, not a traceback.

nameko logs every worker that raised one of its entrypoint's ``expected_exceptions`` as a warning *with*
its traceback. Those are the service's answers to bad requests (a forum not found, a link expired, an
address already registered): the traceback says nothing the line does not, and a fuzzer's 100k requests
made tens of MB of it. Unexpected errors keep their tracebacks.

And a worker costs no logging unless someone reads it: nameko times four steps of every worker for a
DEBUG line each (``_log_time``: two clock reads, a format and a ``log`` call each, 3 % of a busy
service's samples), also when DEBUG is off. Importing this module makes them timed only when the
container logger's DEBUG is on.
"""

import logging
from contextlib import contextmanager

import nameko.containers
from nameko.extensions import DependencyProvider
from nameko.log_helpers import make_timing_logger


def timed_when_debugging(logger):
    """nameko's timing logger, bypassed while ``logger`` would drop its DEBUG lines."""
    timed = make_timing_logger(logger)

    @contextmanager
    def log_time(msg, *args):
        if logger.isEnabledFor(logging.DEBUG):
            with timed(msg, *args):
                yield
        else:
            yield

    return log_time


nameko.containers._log_time = timed_when_debugging(nameko.containers._log)

EXPECTED = "(expected) error handling worker"


class ExpectedErrorsInOneLine(logging.Filter):
    """For the services that declared ``QuietExpectedErrors`` only (the gateway has its own rule)."""

    def __init__(self):
        super().__init__()
        self.services = set()

    def filter(self, record):
        if str(record.msg).startswith(EXPECTED) and len(record.args or ()) == 2:
            worker, exc = record.args
            if getattr(worker, "service_name", None) not in self.services:
                return True
            record.msg, record.args = "worker %s refused: %s: %s", (worker, type(exc).__name__, exc)
            record.exc_info = record.exc_text = None
        return True


ONE_LINE = ExpectedErrorsInOneLine()


class QuietExpectedErrors(DependencyProvider):
    """Declared by every service: installs the filter on nameko's container logger once it sets up."""

    def setup(self):
        ONE_LINE.services.add(self.container.service_name)
        logger = logging.getLogger("nameko.containers")
        if ONE_LINE not in logger.filters:
            logger.addFilter(ONE_LINE)
