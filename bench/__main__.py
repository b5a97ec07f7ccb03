"""``python -m bench``: throughput and latency of the platform, measured from outside over HTTP.

It starts its own stack (kit.stack) on a fresh database, a fresh RabbitMQ vhost and its own SMTP sink,
then, at a fixed number of keep-alive connections to 127.0.0.1:
  (i)  GET /api/v1/ping, the lightest route (gateway -> RPC -> reply): the ceiling;
  (ii) POST /api/v1/forums/{id}/registrations to one large forum, unique addresses;
and reports req/s, p50/p99 latency, errors, the registration/ceiling ratio, and how long until every
registration's email was accepted by the SMTP sink; then
  (iii) a rush: ``--rush`` registrations (10,000) for a forum of ``--rush-capacity`` seats (300): the time
        to accept them all, the time until every email was accepted, and the exact confirmed/waitlisted
        counts the forum then shows.
Everything it created is removed at the end.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
import warnings

warnings.filterwarnings("ignore", message=r"(?s)\s*Eventlet is deprecated")  # kit.testing imports nameko

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench.load import run  # noqa: E402
from bench.report import cpu_snapshot, cpu_spent, print_report  # noqa: E402
from kit.stack import Stack  # noqa: E402
from kit.testing import (  # noqa: E402  # noqa: E402
    LOCAL_AMQP,
    LOCAL_POSTGRES,
    LOCAL_RABBIT_API,
    SmtpSink,
    Vhosts,
    with_database,
    with_vhost,
)

TOKEN = f"bench-{uuid.uuid4().hex}"
PING = ("GET", "/api/v1/ping", None)
FORUM = {
    "title": "Forum du benchmark",
    "starts_at": "2027-03-01T09:00:00+01:00",
    "ends_at": "2027-03-01T17:00:00+01:00",
    "venue": {"name": "Hôtel de Ville", "address": "Place de l'Hôtel de Ville", "city": "Paris"},
    "capacity": 100_000,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured pings first (default 200)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections (default 16)")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds per phase, at most")
    parser.add_argument("--mail-timeout", type=float, default=180, help="seconds to wait for the emails")
    parser.add_argument("--max-workers", type=int, default=32, help="MAX_WORKERS of every service")
    parser.add_argument("--log-level", default="WARNING", help="LOG_LEVEL of the services")
    parser.add_argument("--rush", type=int, default=10_000, help="registrations in the rush (0: skip it)")
    parser.add_argument("--rush-capacity", type=int, default=300, help="seats of the rush's forum")
    parser.add_argument("--rush-time-limit", type=float, default=600, help="seconds for the rush, at most")
    return parser.parse_args(argv)


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


def measure(args, stack, sink):
    port = int(stack.env["GATEWAY_PORT"])
    pids = {name: process.pid for name, process in stack.processes.items()} | {"smtp sink": sink.process.pid}
    bounds = (args.requests, args.concurrency, args.time_limit)
    run("warm-up", port, lambda _: PING, args.warmup, args.concurrency, args.time_limit)

    before = cpu_snapshot(pids)
    ceiling = run("GET /api/v1/ping (ceiling)", port, lambda _: PING, *bounds)
    cpu = [cpu_spent(before, cpu_snapshot(pids))]

    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = requests.post(f"{stack.base_url}/api/v1/forums", json=FORUM, headers=headers, timeout=30)
    response.raise_for_status()
    before, started = cpu_snapshot(pids), time.monotonic()
    registered = run("POST registrations", port, registrations(response.json()["id"]), *bounds)
    answered = time.monotonic() - started
    mail_time = seconds_until_mail(sink, registered.ok, started, args.mail_timeout)
    cpu.append(cpu_spent(before, cpu_snapshot(pids)))
    return [ceiling, registered], cpu, answered, mail_time


def rush(args, stack, sink):
    """Many more people than seats, all at once: how long to answer them all and to tell them all."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    forum = FORUM | {"title": "Forum très demandé", "capacity": args.rush_capacity}
    response = requests.post(f"{stack.base_url}/api/v1/forums", json=forum, headers=headers, timeout=30)
    response.raise_for_status()
    forum_id, mail_before = response.json()["id"], delivered(sink)
    started = time.monotonic()
    phase = run("POST registrations (rush)", int(stack.env["GATEWAY_PORT"]), registrations(forum_id),
                args.rush, args.concurrency, args.rush_time_limit)  # fmt: skip
    answered = time.monotonic() - started
    mail_time = seconds_until_mail(sink, mail_before + phase.ok, started, args.mail_timeout + args.rush / 50)
    seen = requests.get(f"{stack.base_url}/api/v1/forums/{forum_id}", timeout=30).json()
    confirmed = seen["capacity"] - seen["seats_left"]
    print(
        f"\nrush: {phase.ok} of {args.rush} registrations accepted in {answered:.1f} s"
        f" ({phase.throughput:.0f}/s, p50 {phase.percentile(0.5) * 1000:.0f} ms,"
        f" p99 {phase.percentile(0.99) * 1000:.0f} ms), errors: {phase.errors}\n"
        f"      forum of {seen['capacity']} seats: {confirmed} confirmed, {seen['waitlist_length']} waitlisted\n"
        + (
            f"      every email accepted by the SMTP sink {mail_time:.1f} s after the first registration"
            if mail_time is not None
            else f"      only {delivered(sink) - mail_before} of {phase.ok} emails accepted within the limit"
        )
    )


def create_database():
    name = f"opendetat_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(LOCAL_POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name):
    with psycopg.connect(LOCAL_POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv=None):
    args = parse_args(argv)
    vhosts = Vhosts(LOCAL_RABBIT_API)
    work = tempfile.mkdtemp(prefix="opendetat-bench-")
    database = vhost = sink = stack = None
    try:
        database, vhost = create_database(), vhosts.create()
        sink = SmtpSink(os.path.join(work, "mail")).start()
        env = {
            "AMQP_URI": with_vhost(LOCAL_AMQP, vhost),
            "DATABASE_URL": with_database(LOCAL_POSTGRES, database),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": sink.port,
            "ORGANISER_TOKEN": TOKEN,
            "MAX_WORKERS": args.max_workers,
            "LOG_LEVEL": args.log_level,
        }
        stack = Stack(env, os.path.join(work, "logs"))
        print(f"starting the stack (logs in {work}/logs) ...", flush=True)
        stack.start().wait_ready()
        phases, cpu, answered, mail_time = measure(args, stack, sink)
        print_report(args, phases, cpu, answered, mail_time, delivered(sink))
        if args.rush:
            rush(args, stack, sink)
    finally:
        if stack:
            stack.stop()
        if sink:
            sink.stop()
            shutil.rmtree(sink.directory, ignore_errors=True)  # the logs stay, for a look afterwards
        if vhost:
            vhosts.delete(vhost)
        if database:
            drop_database(database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
