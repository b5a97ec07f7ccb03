"""The http part of ``python -m bench``: one stack, one run, these phases in turn, each at ``--requests``
requests over ``--concurrency`` keep-alive connections:

(a) ping          GET /api/v1/ping (gateway -> RPC to registration -> reply): the ceiling;
(b) pipeline      POST registrations to a forum of their own with the whole pipeline running (the
                  confirmation emails go to the SMTP sink; the phase's CPU counts until they are accepted);
(c) stopped       the same with the notification service killed (the registration path's own cost); it is
                  started again after, and the emails held meanwhile are awaited before the next phase;
(d) ping x2, pipeline x2, stopped x2: the same three with a second replica of registration and of
                  notification (registration#2, notification#2), stopped again at the end so that the
                  parts after this one (rush, pages) find one process of each.

Each phase: req/s, p50/p99, errors, the ratio to (a)'s req/s, the CPU milliseconds per request of every
process (services, SMTP sink, PostgreSQL and RabbitMQ by command name, the load generator) and the
machine's busy share. The registration phases are measured without a profiler (py-spy's sampling costs the
services 1 to 2 ms of CPU per request, up to 15 % of a phase); after each, a window of its own under the
same load (new people, the same forum, notification still stopped for (c)) is profiled: py-spy on every
service process from ``--profile-delay`` s into the window for ``--profile-seconds`` s, whose requests and
emails are counted apart from the phase's. py-spy is optional: without it the report says so and goes on.
"""

import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

from bench import profile
from bench.environment import open_forum
from bench.load import run
from bench.pages import SHARED
from bench.report import cpu_snapshot, cpu_spent, machine_cpu, phase_record

PING = ("GET", "/api/v1/ping", None)
REPLICAS = ("registration#2", "notification#2")
QUIET = 0.05  # the services are quiet once they use less than this share of one core, all together
SETTLE_LIMIT = 10.0  # seconds at most to wait for that


def add_arguments(parser):
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=8,
        help="py-spy sampling in each registration phase, seconds (8; 0: no profile)",
    )
    parser.add_argument(
        "--profile-delay",
        type=float,
        default=2,
        help="seconds into a registration phase before py-spy starts (2): not its first requests",
    )


def registrations(forum_id):
    run_id = uuid.uuid4().hex[:8]
    path = f"/api/v1/forums/{forum_id}/registrations"

    def make(number):
        person = {
            "email": f"bench-{run_id}-{number}@example.org",
            "first_name": "Camille",
            "last_name": f"Martin {number}",
            "stakeholder_group": "citizen",
            "locale": "fr" if number % 2 else "en",
            "consent_attend": True,
        }
        return "POST", path, person

    return make


def delivered(sink):
    folder = sink.directory / "new"
    return len(os.listdir(folder)) if folder.exists() else 0


def seconds_until_mail(sink, count, started, timeout):
    """Seconds from ``started`` until ``count`` messages are in the sink; None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while delivered(sink) < count:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    return time.monotonic() - started


def settle(pids):
    """Wait (SETTLE_LIMIT s at most) until the processes ``pids`` together use less than QUIET of a core:
    the work the phase caused (events, the outbox relay) is done."""
    deadline = time.monotonic() + SETTLE_LIMIT
    before = cpu_snapshot(pids)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        after = cpu_snapshot(pids)
        spent = cpu_spent(before, after)
        if sum(spent[name] for name in pids) < QUIET * 0.25:
            return
        before = after


class Sampler:
    """py-spy on the given processes from ``delay`` s on for ``seconds`` s, ended with the phase if sooner."""

    def __init__(self, pids, delay, seconds, directory):
        self.lock = threading.Lock()
        self.profiles, self.over = None, False
        self.started = time.monotonic()
        self.timer = threading.Timer(delay, self._start, args=(pids, seconds, directory))
        self.timer.daemon = True
        self.timer.start()

    def _start(self, pids, seconds, directory):
        with self.lock:
            if not self.over:
                self.profiles = profile.Profiles(pids, seconds, directory)

    def finish(self, ended):
        """The phase's profile record, and the CPU seconds py-spy used."""
        with self.lock:
            self.over = True
            self.timer.cancel()
        if self.profiles is None:
            note = "the phase ended before the profile's start: more --requests or a smaller --profile-delay"
            return {"status": "too short", "note": note}, 0.0
        self.profiles.stop()
        found = self.profiles.finish()
        if not found:
            return {"status": "failed", "note": "py-spy wrote nothing (can it ptrace the services?)"}, 0.0
        processes = {
            name: {key: [list(pair) for pair in value] if key in ("own", "within") else value
                   for key, value in summary.items()}
            for name, summary in found.items()
        }  # fmt: skip
        return {
            "status": "ok",
            "rate": profile.RATE,
            "from_s": round(self.profiles.started - self.started, 2),
            "to_s": round(min(self.profiles.stopped, ended) - self.started, 2),
            "py_spy_cpu_s": round(self.profiles.cpu_seconds, 3),
            "processes": processes,
        }, self.profiles.cpu_seconds


class Http:
    """The phases on one running stack; ``records`` the figures of each, in order (report.phase_record)."""

    def __init__(self, args, stack, sink, work):
        self.args, self.stack, self.sink = args, stack, sink
        self.port = int(stack.env["GATEWAY_PORT"])
        self.directory = Path(work) / "profiles"
        self.records, self.ceiling = [], None

    def services(self):
        return {name: process.pid for name, process in self.stack.processes.items()}

    def replicas(self):
        return {
            service: len([name for name in self.stack.processes if name.split("#")[0] == service])
            for service in ("registration", "notification")
        }

    def measure(self):
        self.warm_up()
        self.ping("ping", "(a) ping (ceiling)")
        self.register("pipeline", "(b) registrations, whole pipeline")
        self.register_stopped("stopped", "(c) registrations, notification stopped")
        print(f"starting {' and '.join(REPLICAS)} ...", flush=True)
        try:
            self.stack.start(*REPLICAS).wait_ready()
            self.warm_up()
            self.ping("ping x2", "(d) ping, 2 replicas")
            self.register("pipeline x2", "(d) registrations, whole pipeline, 2 replicas")
            self.register_stopped("stopped x2", "(d) registrations, notification stopped, 2 replicas")
        finally:
            self.stop(REPLICAS)
        return self.records

    def warm_up(self):
        """Unmeasured: pings, then registrations (each process's first ones: connections, caches), and
        their emails."""
        args = self.args
        run("warm-up", self.port, lambda _: PING, args.warmup, args.concurrency, args.time_limit)
        forum_id = open_forum(self.stack, title="Forum d'échauffement")
        expected = delivered(self.sink)
        done = run(
            "warm-up", self.port, registrations(forum_id), args.warmup // 4, args.concurrency, args.time_limit
        )
        seconds_until_mail(self.sink, expected + done.ok, time.monotonic(), args.mail_timeout)

    def ping(self, key, title):
        self.phase(key, title, lambda _: PING, path=("registration",))  # the gateway asks registration

    def register(self, key, title):
        forum_id = open_forum(self.stack, title=f"Forum du benchmark ({key})")
        self.phase(key, title, registrations(forum_id), emails=True)
        self.profile_window(key, title, forum_id, emails=True)

    def register_stopped(self, key, title):
        stopped = self.stack.of("notification")
        forum_id = open_forum(self.stack, title=f"Forum du benchmark ({key})")
        for name in stopped:
            self.stack.kill(name)
        mail_before = delivered(self.sink)
        try:
            record = self.phase(key, title, registrations(forum_id))
            window = self.profile_window(key, title, forum_id)
        finally:
            restarted = time.monotonic()
            self.stack.start(*stopped).wait_ready()
        held = record["ok"] + window
        seconds = seconds_until_mail(self.sink, mail_before + held, restarted, self.args.mail_timeout)
        record["emails"] = {
            "expected": record["ok"],
            "delivered": delivered(self.sink) - mail_before - window,
            "held": True,
            "seconds": None if seconds is None else round(seconds, 2),
        }

    def profile_window(self, key, title, forum_id, emails=False):
        """After a measured registration phase: the same load on new people for ``--profile-delay`` +
        ``--profile-seconds`` s, py-spy sampling the services for the last ``--profile-seconds``; the
        profile goes into the phase's record. Returns the window's registrations (their emails are
        awaited here when ``emails``, so that the next phase starts quiet)."""
        args, record = self.args, self.records[-1]
        if args.profile_seconds <= 0:
            record["profile"] = {"status": "disabled", "note": "--profile-seconds 0"}
            return 0
        if not profile.available():
            record["profile"] = {
                "status": "unavailable",
                "note": "py-spy is not installed: pip install py-spy",
            }
            return 0
        print(f"{title}: profile window ...", flush=True)
        directory = self.directory / key.replace(" ", "-")
        sampler = Sampler(self.services(), args.profile_delay, args.profile_seconds, directory)
        mail_before = delivered(self.sink)
        window = args.profile_delay + args.profile_seconds + 0.5
        outcome = run(
            f"{title} (profiled)", self.port, registrations(forum_id), 10**6, args.concurrency, window
        )
        status, _ = sampler.finish(time.monotonic())
        status |= {"requests": outcome.ok, "req_s": round(outcome.throughput, 1)}
        record["profile"] = status
        if emails:
            seconds_until_mail(self.sink, mail_before + outcome.ok, time.monotonic(), args.mail_timeout)
        settle(self.services() | {"smtp sink": self.sink.process.pid})
        return outcome.ok

    def phase(self, key, title, make, emails=False, path=("registration", "notification")):
        args, replicas = self.args, self.replicas()
        services = self.services()
        pids = services | {"smtp sink": self.sink.process.pid}
        print(f"{title} ...", flush=True)
        mail_before = delivered(self.sink)
        before, machine_before = cpu_snapshot(pids, commands=SHARED), machine_cpu()
        started = time.monotonic()
        outcome = run(title, self.port, make, args.requests, args.concurrency, args.time_limit)
        answered = time.monotonic()
        at_answer, machine_after = cpu_snapshot(pids, commands=SHARED), machine_cpu()
        mail = None
        if emails:
            seconds = seconds_until_mail(self.sink, mail_before + outcome.ok, started, args.mail_timeout)
            mail = {
                "expected": outcome.ok,
                "delivered": delivered(self.sink) - mail_before,
                "held": False,
                "seconds": None if seconds is None else round(seconds, 2),
                "after_last_answer": None if seconds is None else round(seconds - (answered - started), 2),
            }
        settle(pids)
        cpu = cpu_spent(before, cpu_snapshot(pids, commands=SHARED))
        load_cpu = cpu_spent(before, at_answer)
        machine = (machine_after[0] - machine_before[0], machine_after[1] - machine_before[1])
        if self.ceiling is None:
            self.ceiling = outcome.throughput
        record = phase_record(
            key,
            title,
            replicas,
            outcome,
            self.ceiling,
            cpu,
            time.monotonic() - started,
            load_cpu,
            machine,
            path,
            emails=mail,
        )
        self.records.append(record)
        return record

    def stop(self, names):
        """SIGTERM the named processes (replicas), wait for them, SIGKILL whatever outlives the bound."""
        processes = [self.stack.processes.pop(name) for name in names if name in self.stack.processes]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(self.stack.stop_timeout)
            except subprocess.TimeoutExpired:  # nameko's graceful stop has no bound of its own
                process.kill()
                process.wait()
