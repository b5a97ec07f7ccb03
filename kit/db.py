"""A nameko dependency around a psycopg connection pool, one per service schema."""

from contextlib import contextmanager

import psycopg  # kit/__init__ has already chosen the wait function
import psycopg.waiting
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from kit.migrations import migrate


def use_cooperative_wait():
    """Make every psycopg wait go through select(), which eventlet turns into a green wait."""
    psycopg.waiting.wait = psycopg.waiting.wait_select


def connect(url, schema, **kwargs):
    """One plain connection with the schema on its search path (used by relays and commands)."""
    return psycopg.connect(url, options=f"-c search_path={schema}", row_factory=dict_row, **kwargs)


class DatabaseUnavailable(Exception):
    """The service is starting or stopping: its pool is not open."""


class Db:
    """What a worker sees: a way to run one transaction on a pooled connection."""

    def __init__(self, provider):
        self.provider = provider

    @contextmanager
    def transaction(self):
        """Yield a cursor whose work commits when the block ends and rolls back if it raises (unless the
        exception says ``commit_anyway``)."""
        self.provider.ready.wait()  # a worker that arrives while the pool opens waits for it
        pool = self.provider.pool
        if pool is None:
            raise DatabaseUnavailable(f"{self.provider.schema}: the database pool is closed")
        with pool.connection() as conn, conn.cursor() as cur:
            try:
                yield cur
            except BaseException as exc:
                # An error marked commit_anyway still keeps what was done (say, an event to send).
                conn.commit() if getattr(exc, "commit_anyway", False) else conn.rollback()
                raise
            conn.commit()


class Database(DependencyProvider):
    """Opens the pool at container start (after applying the schema's migrations) and closes it at stop."""

    def __init__(self, schema, migrations_dir=None):
        self.schema = schema
        self.migrations_dir = migrations_dir
        self.pool = None
        self.ready = Event()  # sent once migrations are applied and the pool is open

    def setup(self):
        self.url = self.container.config["DATABASE_URL"]
        self.size = int(self.container.config.get("DATABASE_POOL_SIZE", 10))

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
        return Db(self)
