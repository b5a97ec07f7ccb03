"""Versioned plain-SQL migrations, one sequence per service schema.

Files are named ``NNN_what.sql``. The kit's own tables (outbox, inbox) come first, under versions
``kit-NNN``; then the service's. Each applied file is recorded with its checksum in
``<schema>.schema_migrations``; applying again is a no-op, and an edited, already-applied file is refused.
An advisory lock per schema lets several replicas start at once.

Run by hand with ``python -m kit.migrations [service ...]``.
"""

import hashlib
import logging
import sys
from pathlib import Path

import psycopg
from psycopg import sql

KIT_SQL = Path(__file__).resolve().parent / "sql"
SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
log = logging.getLogger(__name__)


class MigrationError(Exception):
    pass


def pending_files(migrations_dir):
    files = [("kit-" + path.name, path) for path in sorted(KIT_SQL.glob("*.sql"))]
    if migrations_dir:
        files += [(path.name, path) for path in sorted(Path(migrations_dir).glob("*.sql"))]
    return files


def migrate(url, schema, migrations_dir=None):
    """Apply what has not been applied yet; return the versions applied now."""
    applied_now = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"migrate:{schema}",))
        try:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
            for version, path in pending_files(migrations_dir):
                text = path.read_text()
                checksum = hashlib.sha256(text.encode()).hexdigest()
                if version in done:
                    if done[version] != checksum:
                        raise MigrationError(f"{schema}: {version} was edited after being applied")
                    continue
                with conn.transaction():
                    conn.execute(text)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                        (version, checksum),
                    )
                log.info("%s: applied %s", schema, version)
                applied_now.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"migrate:{schema}",))
    return applied_now


def service_migrations():
    """Every service that has a ``migrations`` folder, by schema name."""
    return {path.parent.name: path for path in sorted(SERVICES_DIR.glob("*/migrations"))}


def main(argv):
    from kit.config import load_config

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = load_config()["DATABASE_URL"]
    known = service_migrations()
    for name in argv or sorted(known):
        if name not in known:
            raise SystemExit(f"unknown service {name!r}; known: {', '.join(known)}")
        applied = migrate(url, name, known[name])
        print(f"{name}: {len(applied)} applied ({', '.join(applied) or 'up to date'})")


if __name__ == "__main__":
    main(sys.argv[1:])
