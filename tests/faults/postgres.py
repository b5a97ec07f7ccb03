"""A PostgreSQL server of the test's own, so that it can be stopped and started under the platform
without disturbing any other test: a cluster made with ``initdb`` in a temporary directory, on a free
port, run as the ``postgres`` user, removed afterwards. ``stop`` is what a restart does first (``pg_ctl
stop -m fast``: every session is ended, nothing committed is lost); ``start`` brings it back."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from harness.stack import free_port

DATABASE = "opendetat"


def bin_dir():
    """The newest installed server's programs (Debian: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    def __init__(self):
        # not under pytest's tmp_path: its parents are private to root, and the server runs as postgres
        self.directory = Path(tempfile.mkdtemp(prefix="opendetat-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()

    @staticmethod
    def available():
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
        return bin_dir() is not None and shutil.which("runuser") is not None and os.geteuid() == 0

    @property
    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _as_postgres(self, program, *args):
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(bin_dir() / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self):
        if not self.data.exists():
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
            self._ctl("start")
            with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
        else:
            self._ctl("start")
        return self

    def _ctl(self, action):
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c max_connections=200"
        log = str(self.directory / "server.log")
        self._as_postgres("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", action)

    def stop(self):
        """The outage: every session ends, the server goes away until ``start``."""
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self):
        try:
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.SubprocessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)
