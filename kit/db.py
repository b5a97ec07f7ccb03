"""A nameko dependency around a psycopg connection pool, one per service schema."""

import time
from contextlib import contextmanager

import psycopg  # kit/__init__ has already chosen the wait function
import psycopg.waiting
from eventlet.event import Event
from eventlet.green import select as green_select
from eventlet.hubs import trampoline
from nameko.extensions import DependencyProvider
from psycopg import errors
from psycopg.rows import dict_row
from psycopg.waiting import READY_NONE, READY_R, READY_W, WAIT_R, WAIT_W
from psycopg_pool import ConnectionPool, PoolTimeout

from kit.migrations import migrate


class _Waited(Exception):
    pass


def _ready(fileno, wanted, seconds):
    """Suspend this green thread until ``fileno`` is ready as ``wanted`` (or ``seconds`` pass)."""
    try:
        if wanted == WAIT_R:
            trampoline(fileno, read=True, timeout=seconds, timeout_exc=_Waited)
            return READY_R
        if wanted == WAIT_W:
            trampoline(fileno, write=True, timeout=seconds, timeout_exc=_Waited)
            return READY_W
    except _Waited:
        return READY_NONE
    readable, writable, _ = green_select.select((fileno,), (fileno,), (), seconds)  # both: rare
    return (READY_R if readable else READY_NONE) | (READY_W if writable else READY_NONE)


def wait_green(gen, fileno, interval=0.0, timeout=None):
    """psycopg's ``wait_select`` for an eventlet process, at a third less CPU per round trip: the green
    thread waits on the hub for the one event it needs, with no timer unless the caller set a deadline
    (psycopg's ``interval`` is for noticing Ctrl-C in a blocking wait; a green wait needs none)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        wanted = next(gen)
        while True:
            seconds = None if deadline is None else max(0.0, deadline - time.monotonic())
            wanted = gen.send(_ready(fileno, wanted, seconds))
            if deadline is not None and time.monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except StopIteration as done:
        return done.value


def use_cooperative_wait():
    """Make every psycopg wait a green one (``wait_green``)."""
    psycopg.waiting.wait = wait_green


def connect(url, schema, **kwargs):
    """One plain connection with the schema on its search path (used by relays and commands)."""
    return psycopg.connect(url, options=f"-c search_path={schema}", row_factory=dict_row, **kwargs)


class DatabaseUnavailable(Exception):
    """The database cannot be reached now (down, restarting, every connection busy past
    ``DATABASE_WAIT_SECONDS``), or this service's pool is not open: the caller may try again (503)."""


class DeadlinePassed(Exception):
    """The caller stopped waiting before this transaction could commit: it is rolled back, rather than
    committed after the caller was told the request had failed."""


OUTAGES = (DatabaseUnavailable, DeadlinePassed)  # expected errors of every service's entrypoints
DEADLINE = "deadline"  # worker-context key set by the gateway: epoch seconds after which nobody waits


class Db:
    """What a worker sees: a way to run one transaction on a pooled connection."""

    def __init__(self, provider, deadline=None):
        self.provider = provider
        self.deadline = deadline if isinstance(deadline, int | float) else None

    def late(self):
        return self.deadline is not None and time.time() > self.deadline

    @contextmanager
    def transaction(self):
        """Yield a cursor whose work commits when the block ends and rolls back if it raises (unless the
        exception says ``commit_anyway``). Past the caller's deadline nothing commits (DeadlinePassed);
        a database that cannot be reached is a DatabaseUnavailable, whatever psycopg called it."""
        self.provider.ready.wait()  # a worker that arrives while the pool opens waits for it
        pool = self.provider.pool
        if pool is None:
            raise DatabaseUnavailable(f"{self.provider.schema}: the database pool is closed")
        try:
            with pool.connection(timeout=self.provider.wait) as conn, conn.cursor() as cur:
                try:
                    yield cur
                except BaseException as exc:
                    # An error marked commit_anyway still keeps what was done (say, an event to send).
                    keep = getattr(exc, "commit_anyway", False) and not self.late()
                    conn.commit() if keep else conn.rollback()
                    raise
                if self.late():
                    conn.rollback()
                    raise DeadlinePassed(f"{self.provider.schema}: the caller's deadline passed")
                conn.commit()
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise DatabaseUnavailable(f"{self.provider.schema}: {type(exc).__name__}") from exc

    def reachable(self):
        """Whether the database answers now (within ``DATABASE_WAIT_SECONDS``)."""
        try:
            with self.transaction() as cur:
                cur.execute("SELECT 1")
        except DatabaseUnavailable:
            return False
        return True


class Database(DependencyProvider):
    """Opens the pool at container start (after applying the schema's migrations) and closes it at stop."""

    def __init__(self, schema, migrations_dir=None):
        self.schema = schema
        self.migrations_dir = migrations_dir
        self.pool = None
        self.wait = 5.0  # DATABASE_WAIT_SECONDS: how long a worker waits for a connection
        self.ready = Event()  # sent once migrations are applied and the pool is open

    def setup(self):
        self.url = self.container.config["DATABASE_URL"]
        self.size = int(self.container.config.get("DATABASE_POOL_SIZE", 10))
        self.wait = float(self.container.config.get("DATABASE_WAIT_SECONDS", 5))

    def start(self):
        use_cooperative_wait()
        migrate(self.url, self.schema, self.migrations_dir)
        self.pool = ConnectionPool(
            self.url,
            min_size=min(2, self.size),
            max_size=self.size,
            kwargs={"options": f"-c search_path={self.schema}", "row_factory": dict_row},
            name=self.schema,
            open=False,
        )
        self.pool.open(wait=True, timeout=30)
        self.ready.send(True)

    def stop(self):
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        self.ready = Event()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return Db(self, worker_ctx.data.get(DEADLINE))
