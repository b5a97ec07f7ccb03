"""What a killed test run leaves behind (its database, its vhosts) is removed by the next run."""

import os
import subprocess
import uuid

import psycopg
import requests

from harness.testing import sweep_databases, sweep_vhosts


def dead_pid():
    """The pid of a process that has just ended (a killed run's)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def databases(url):
    with psycopg.connect(url, autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database").fetchall()}


def test_a_killed_runs_database_and_vhost_go_and_a_live_runs_stay(postgres_server, vhosts):
    killed = f"opendetat_test_{dead_pid()}_{uuid.uuid4().hex[:8]}"
    live = f"opendetat_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        for name in (killed, live):
            conn.execute(f'CREATE DATABASE "{name}"')
    for name in (killed, live):
        requests.put(f"{vhosts.api}/api/vhosts/{name}", timeout=10).raise_for_status()
    try:
        assert killed in sweep_databases(postgres_server)
        assert killed in sweep_vhosts(vhosts)
        assert killed not in databases(postgres_server) and live in databases(postgres_server)
        left = {vhost["name"] for vhost in requests.get(f"{vhosts.api}/api/vhosts", timeout=10).json()}
        assert killed not in left and live in left
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{live}" WITH (FORCE)')
        vhosts.delete(live)
