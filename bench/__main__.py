"""``python -m bench``: throughput and latency of the platform, measured from outside as a client would.

Each part starts its own stack (harness.stack) on a fresh database and RabbitMQ vhost with its own SMTP sink,
and removes everything it created at the end (floors: no stack, only a vhost and a database of its own).
``--only http|rush|pages|fanout|ballots|floors`` (repeatable) runs only those parts; ``make bench`` runs them
all.

http (one stack, aiosmtpd Maildir sink), at a fixed number of keep-alive connections to 127.0.0.1:
  (a) GET /api/v1/ping, the lightest route (gateway -> RPC -> reply): the ceiling;
  (b) POST /api/v1/forums/{id}/registrations with the whole email pipeline; (c) the same with the
  notification service stopped; (d) the three again with 2 replicas of registration and of notification;
  each with req/s, p50/p99, errors, the ratio to the ceiling, CPU ms per request by process, the machine's
  busy share, and for the registrations a py-spy profile's top frames (see bench/phases.py); the results
  go to bench/results/<date>.json (``python -m bench.report docs`` puts them in docs/benchmarks.md);
rush (the same stack; ``--rush 0`` skips it):
  (iii) ``--rush`` registrations (10,000) for a forum of ``--rush-capacity`` seats (300): the time to
        accept them all, the time until every email was accepted, and the exact confirmed/waitlisted
        counts the forum then shows;
fanout (a stack of its own, sending to the counting sink bench/sink.py; ``--fanout 0`` skips it):
  (iv) ``--fanout`` confirmed subscribers (100,000, seeded by SQL) told of one forum opening: emails/s
       from the POST until the sink counted them all, the notification process's peak memory, CPU per
       process, and the rate of a bare smtplib loop to the same sink on 1 and MAIL_CONNECTIONS
       connections with the ratios (see bench/fanout.py);
pages (the http stack; ``--page-views 0`` skips it):
  (vi) ``--visitors`` (16) read the public pages alone, then during a registration burst: page p50/p99
       overall and by page, against the 100 ms goal (see bench/pages.py);
ballots (a stack of its own; ``--ballots 0`` skips it):
  (v)  ``--ballots`` people (5,000) each put a ballot in one approval round over ``--concurrency``
       connections, beside GET /api/v1/ping on the same stack: ballots/s, p50/p99, the ratio to the
       ceiling, and the ballots the closed round counted (see bench/ballots.py);
floors (no platform stack: raw clients on RabbitMQ and PostgreSQL, and one-handler nameko consumers;
``--floor-events 0 --floor-registrations 0`` skips it):
  (vii) the servers' CPU for the cheapest versions of what a registration adds to a ping: one event through
        three queues (quorum, quorum with multiple acks, classic), the registration's one statement, the relay's
        mark, a consumer's statement; and the consumer's own floor: a nameko consumer (kit.handlers) doing
        nothing with each event, then only kit.inbox.once; their sums against the budget ping x (1/0.60 - 1)
        from the http part's ping of the same run (see bench/floors.py).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import requests

from bench import ballots, fanout, floors, pages, phases
from bench.environment import log_dir, open_forum, running_stack
from bench.load import run
from bench.phases import delivered, registrations, seconds_until_mail
from bench.report import RESULTS, http_result, machine_info, print_http, write_results
from harness.testing import SmtpSink

PARTS = ("http", "rush", "pages", "fanout", "ballots", "floors")


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
    parser.add_argument("--ballots", type=int, default=5000, help="ballots in the burst (0: skip it)")
    parser.add_argument("--rush-time-limit", type=float, default=600, help="seconds for the rush, at most")
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable); default: all of them"
    )
    parser.add_argument(
        "--mail-connections",
        type=int,
        default=4,
        help="MAIL_CONNECTIONS of the services and of the raw loop (4)",
    )
    parser.add_argument(
        "--results-dir",
        default=str(RESULTS),
        help="where the http part writes <date>.json (bench/results; '' writes nothing)",
    )
    phases.add_arguments(parser)
    fanout.add_arguments(parser)
    pages.add_arguments(parser)
    floors.add_arguments(parser)
    return parser.parse_args(argv)


def settings(args):
    """What the http part's figures depend on, as its results file keeps them (and repeat_command)."""
    names = ("requests", "concurrency", "warmup", "max_workers", "log_level", "mail_connections")
    return {name: getattr(args, name) for name in names + ("profile_delay", "profile_seconds")}


def measure(args, stack, sink, work):
    """The http part's phases (bench/phases.py), printed; the result is written once every part ran."""
    machine = machine_info()  # the load average before the run
    records = phases.Http(args, stack, sink, work).measure()
    result = http_result(settings(args), records, machine)
    print_http(result, None)
    return result


def rush(args, stack, sink):
    """Many more people than seats, all at once: how long to answer them all and to tell them all."""
    forum_id = open_forum(stack, title="Forum très demandé", capacity=args.rush_capacity)
    mail_before = delivered(sink)
    started = time.monotonic()
    phase = run("POST registrations (rush)", int(stack.env["GATEWAY_PORT"]), registrations(forum_id),
                args.rush, args.concurrency, args.rush_time_limit)  # fmt: skip
    answered = time.monotonic() - started
    mail_time = seconds_until_mail(sink, mail_before + phase.ok, started, args.mail_timeout + args.rush / 50)
    seen = requests.get(f"{stack.base_url}/api/v1/forums/{forum_id}", timeout=30).json()
    confirmed = seen["capacity"] - seen["seats_left"]
    summary = {
        "registrations": args.rush, "accepted": phase.ok, "errors": phase.errors, "seconds": round(answered, 2),
        "req_s": round(phase.throughput, 1), "p50_ms": round(phase.percentile(0.5) * 1000, 1),
        "p99_ms": round(phase.percentile(0.99) * 1000, 1), "capacity": seen["capacity"], "confirmed": confirmed,
        "waitlisted": seen["waitlist_length"], "exact": confirmed == min(args.rush_capacity, phase.ok)
        and confirmed + seen["waitlist_length"] == phase.ok,
        "emails_seconds": None if mail_time is None else round(mail_time, 1),
    }  # fmt: skip
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
    return summary


def http_and_rush(args, parts, work, found):
    """The http part, the rush and the pages: one stack, sending to the Maildir sink (aiosmtpd). What
    they found goes into ``found`` (the http part's result, the rush's summary)."""
    sink = SmtpSink(os.path.join(work, "mail"))
    try:
        sink.start()
        with running_stack(args, log_dir(work, "http"), sink.port) as (stack, _):
            if "http" in parts:
                found["http"] = measure(args, stack, sink, work)
            if "rush" in parts:
                found["rush"] = rush(args, stack, sink)
            if "pages" in parts:
                pages.report(*pages.measure(args, stack, registrations, sink.process.pid))
    finally:
        sink.stop()
        shutil.rmtree(sink.directory, ignore_errors=True)  # the logs stay, for a look afterwards


def main(argv=None):
    args = parse_args(argv)
    parts = set(args.only or PARTS)
    parts -= {"rush"} if not args.rush else set()
    parts -= {"fanout"} if not args.fanout else set()
    parts -= {"ballots"} if not args.ballots else set()
    parts -= {"floors"} if not args.floor_events and not args.floor_registrations else set()
    work = tempfile.mkdtemp(prefix="opendetat-bench-")
    print(
        f"running: {', '.join(part for part in PARTS if part in parts) or 'nothing'} (work files in {work})"
    )
    parts -= {"pages"} if not args.page_views else set()
    found = {}
    if parts & {"http", "rush", "pages"}:
        http_and_rush(args, parts, work, found)
    if "floors" in parts:  # after the http part, whose ping gives the budget; no stack runs meanwhile
        found["floors"] = floors.measure(args, floors.ping_cpu(found.get("http")))
    if "fanout" in parts:
        fanout.fan_out(args, work)
    if "ballots" in parts:
        found["ballots"] = ballot_burst(args, work)
    if "http" in found and args.results_dir:
        result = found["http"] | {
            part: found[part] for part in ("rush", "ballots", "floors") if part in found
        }
        path = write_results(result, args.results_dir)
        print(f"\nresults written to {path}; `python -m bench.report docs` puts them in docs/benchmarks.md")
    return 0


def ballot_burst(args, work):
    """Phase (v): a stack of its own (emails go to a Maildir sink nobody waits for)."""
    sink = SmtpSink(os.path.join(work, "ballots-mail"))
    try:
        sink.start()
        with running_stack(args, log_dir(work, "ballots"), sink.port) as (stack, database_url):
            return ballots.report(*ballots.burst(stack, database_url, args))
    finally:
        sink.stop()
        shutil.rmtree(sink.directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
