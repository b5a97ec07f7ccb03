"""The whole platform as separate real processes, for end-to-end tests and benchmarks.

Each service runs as ``nameko run --config deploy/config.yaml <module>`` with the environment of the
caller plus the given overrides, its output appended to ``<log_dir>/<name>.log``. Whatever goes wrong
(a process that exits, a readiness wait that times out) is reported with the tail of every log.

    stack = Stack({"AMQP_URI": ..., "DATABASE_URL": ..., "SMTP_PORT": ...}, log_dir).start()
    stack.wait_ready()
    requests.get(stack.base_url + "/api/v1/ping")
    stack.kill("notification"); stack.start("notification"); stack.wait_ready()
    stack.stop()
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
NAMEKO = Path(sys.executable).parent / "nameko"
CONFIG = ROOT / "deploy" / "config.yaml"
# Started in this order: the notification, topics and restitution services declare their event queues
# before anything is registered or topics publishes (events published before a queue exists are lost), and
# the gateway comes last.
SERVICES = {
    "notification": "services.notification.service",
    "topics": "services.topics.service",
    "restitution": "services.restitution.service",
    "registration": "services.registration.service",
    "gateway": "gateway.service",
}


# How much CPU priority the back-end services give up to the gateway when the stack is run as it is
# deployed (``Stack(..., deployed=True)``: the benchmark): the gateway answers people, the services answer
# the gateway. Under a burst that fills every core, a page the gateway answers from what it keeps then
# waits for no service's turn on the CPU (bench/pages.py measures it). docker-compose.yml (cpu_shares),
# the supervisor of ``make up`` (nice) and deploy/kubernetes (CPU requests) weigh them the same way.
BACKEND_NICENESS = 10


def yield_cpu(pid, steps):
    """Lower a process's CPU priority by ``steps``: its niceness, and its autogroup's where the kernel
    schedules sessions as groups (sched(7)): a process started in a session of its own, as these are,
    competes as a group, which its niceness alone does not move."""
    os.setpriority(os.PRIO_PROCESS, pid, steps)
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(steps))
    except OSError:
        pass  # no autogroup scheduling here: the niceness is what counts


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StackError(AssertionError):
    """The stack did not come up or a process died; the message carries the logs' tails."""


class Stack:
    def __init__(self, env, log_dir, config=CONFIG, stop_timeout=15.0, deployed=False):
        """``deployed``: the services give the gateway CPU priority, as deployments do (see
        BACKEND_NICENESS); the tests leave every process equal, their own and the browser's included."""
        self.deployed = deployed
        self.env = {key: str(value) for key, value in env.items()}
        self.env.setdefault("GATEWAY_PORT", str(free_port()))
        self.env.setdefault("GATEWAY_BIND", "127.0.0.1")
        self.log_dir = Path(log_dir)
        self.config = Path(config)
        self.stop_timeout = stop_timeout
        self.processes = {}

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"

    def log_path(self, name):
        return self.log_dir / f"{name}.log"

    def start(self, *names):
        """Start the named processes (all of them, in order, by default) that are not running. A name
        ``<service>#<n>`` is one more replica of that service (``topics#2``), with a log of its own."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in names or SERVICES:
            if self.running(name):
                continue
            with open(self.log_path(name), "ab") as log:
                log.write(f"--- {time.strftime('%H:%M:%S')} starting {name} ---\n".encode())
                log.flush()
                self.processes[name] = subprocess.Popen(
                    [str(NAMEKO), "run", "--config", str(self.config), SERVICES[name.split("#")[0]]],
                    cwd=ROOT,
                    env=os.environ | self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C in the terminal reaches the caller only
                )
                if self.deployed and name.split("#")[0] != "gateway":
                    yield_cpu(self.processes[name].pid, BACKEND_NICENESS)
        return self

    def running(self, name):
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def wait_ready(self, timeout=60.0):
        """Poll /health/ready until it answers 200; fail (with the logs) on timeout or a dead process."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                # the gateway asks each service in turn, up to 3 s each
                response = requests.get(f"{self.base_url}/health/ready", timeout=10)
                if response.status_code == 200:
                    return self
                last = f"{response.status_code} {response.text[:300]}"
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
        raise StackError(f"not ready after {timeout} s (last answer: {last})\n{self.logs_tail()}")

    def check_alive(self):
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise StackError(f"processes exited: {dead}\n{self.logs_tail()}")

    def kill(self, name):
        """SIGKILL one process, as a crash would: no cleanup, in-flight work is abandoned."""
        process = self.processes.pop(name)
        process.kill()
        process.wait(self.stop_timeout)

    def restart(self, name):
        """Stop one process gracefully (SIGTERM) and start it again; call wait_ready() after."""
        self._terminate([name])
        return self.start(name)

    def stop_processes(self, *names):
        """Stop these processes gracefully (SIGTERM, then SIGKILL past the bound); the others run on."""
        self._terminate(list(names))

    def stop(self):
        """SIGTERM every process (gateway first), wait, and SIGKILL whatever outlives the bound."""
        self._terminate([name for base in reversed(SERVICES) for name in self.of(base)])

    def of(self, service):
        """The running processes' names of one service: itself and its replicas."""
        return [name for name in self.processes if name.split("#")[0] == service]

    def _terminate(self, names):
        processes = [self.processes.pop(name) for name in names if name in self.processes]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()  # nameko's graceful stop has no bound of its own
                process.wait()

    def logs_tail(self, lines=30):
        """The last lines of every process log, for failure messages."""
        parts = []
        for name in sorted(set(SERVICES) | set(self.processes)):
            path = self.log_path(name)
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"----- {path} (last {len(tail)} lines) -----\n" + "\n".join(tail))
        return "\n".join(parts) or f"(no logs in {self.log_dir})"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
