"""A background worker that drains a table of pending rows, woken by LISTEN/NOTIFY, with a slow poll.

Both the outbox relay (rows -> RabbitMQ) and the mail sender (rows -> SMTP) are such workers: the rows
are written in the same transaction as the change that calls for them, ``pg_notify`` wakes the worker at
commit, and the poll catches anything a lost notification (or a restart) left behind. Rows are claimed
with ``FOR UPDATE SKIP LOCKED``, so several replicas share the work without taking the same row; what a
crash can repeat (the row in flight) each drainer's docstring says.
"""

import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from kit.db import connect, use_cooperative_wait

log = logging.getLogger(__name__)


class TableDrainer(DependencyProvider):
    channel = None  # the NOTIFY channel that wakes this worker
    poll_interval = 5.0
    batch_size = 200
    retry_delay = 2.0
    tick = 0.5

    def __init__(self, schema):
        self.schema = schema
        self._running = False
        self._stopped = Event()

    def setup(self):
        self.url = self.container.config["DATABASE_URL"]

    def start(self):
        use_cooperative_wait()
        self._running = True
        self._stopped = Event()
        self.container.spawn_managed_thread(self._run, identifier=f"{type(self).__name__}.run")

    def stop(self):
        """Let the batch in hand finish, then stop."""
        self._running = False
        with eventlet.Timeout(10, False):
            self._stopped.wait()

    @property
    def running(self):
        return self._running

    def kill(self):
        self._running = False

    def drain_once(self, conn):
        """Handle one batch of due rows on ``conn``; return how many were handled."""
        raise NotImplementedError

    def connected(self, conn):
        """Called on each new ``conn``, before any batch: a session-level setting or lock goes here."""

    def _database_ready(self):
        """Wait for the service's Database (if it declares one) to have migrated its schema."""
        from kit.db import Database

        for dependency in self.container.dependencies:
            if isinstance(dependency, Database) and dependency.schema == self.schema:
                dependency.ready.wait()

    def _run(self):
        self._database_ready()
        try:
            while self._running:
                try:
                    self._listen_and_drain()
                except Exception:
                    log.exception("%s: database or broker trouble; retrying", type(self).__name__)
                    eventlet.sleep(self.retry_delay)
        finally:
            self._stopped.send(True)

    def _listen_and_drain(self):
        with (
            connect(self.url, self.schema, autocommit=True) as listener,
            connect(self.url, self.schema) as conn,
        ):
            listener.execute(f"LISTEN {self.channel}")
            self.connected(conn)
            while self._running:
                while self._running and self.drain_once(conn) >= self.batch_size:
                    pass
                if self._running:
                    self._wait_for_notification(listener)

    def _wait_for_notification(self, listener):
        # Short waits, so that stop() is answered within half a second.
        waited = 0.0
        while self._running and waited < self.poll_interval:
            if list(listener.notifies(timeout=self.tick, stop_after=1)):
                return
            waited += self.tick


def notify(cur, channel):
    """Wake the drainers listening on ``channel`` once this transaction commits."""
    cur.execute("SELECT pg_notify(%s, '')", (channel,))
