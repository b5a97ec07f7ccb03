"""A RabbitMQ node of the test's own, so that it can be stopped and started under the platform without
disturbing any other test: a second node of the machine's RabbitMQ, on free ports, in a temporary
directory, removed afterwards. ``stop_app``/``start_app`` are the outage."""

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from harness.stack import free_port
from harness.testing import port_open, wait_until


class PrivateBroker:
    def __init__(self):
        # not under pytest's tmp_path: its parents are private to root, and the node runs as rabbitmq
        self.directory = Path(tempfile.mkdtemp(prefix="opendetat-broker-"))
        self.directory.chmod(0o755)
        self.node = f"faults{uuid.uuid4().hex[:6]}@localhost"
        self.port, self.api_port, self.dist_port = free_port(), free_port(), free_port()

    @staticmethod
    def available():
        return shutil.which("rabbitmq-server") is not None and shutil.which("rabbitmqctl") is not None

    @property
    def amqp_uri(self):
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self):
        for part in ("mnesia", "log"):
            (self.directory / part).mkdir(parents=True, exist_ok=True)
        (self.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            f"management.tcp.port = {self.api_port}\nmanagement.tcp.ip = 127.0.0.1\nloopback_users = none\n"
        )
        try:  # the server script runs the node as the rabbitmq user, where there is one
            owner = pwd.getpwnam("rabbitmq")
            for path in [self.directory, *self.directory.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        except KeyError:
            pass
        env = os.environ | {
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq"),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
        }
        subprocess.run(["rabbitmq-server", "-detached"], env=env, check=True, timeout=60)
        wait_until(lambda: port_open("127.0.0.1", self.port), timeout=90, message="the private broker")
        return self

    def ctl(self, *args):
        subprocess.run(["rabbitmqctl", "-n", self.node, *args], check=True, capture_output=True, timeout=60)

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")

    def stop(self):
        try:
            self.ctl("stop")
        except subprocess.SubprocessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)
