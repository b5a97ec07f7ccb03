"""The public site under a registration burst: ``--visitors`` (16) keep-alive visitors read the pages
people read (home, a forum's page and its topics in French and English, the restitutions, the commitments
register, the accessibility statement) first alone, then while ``--concurrency`` connections register
people for another forum, on the same stack. The goal (issue: the public site) is a page p99 under 100 ms
at 16 visitors during the burst; the report gives p50/p99 overall and by page, both runs, and how much of
the page run the burst covered (a page run that outlived the burst would flatter the figure); the burst
stops when the pages are read. It runs twice: with the whole email pipeline, then with the notification
service stopped (the registration path alone), each with the CPU each process used meanwhile.

Every view is a first visit, the worst case: no cookie (the home and forum pages mint the visitor's CSRF
cookie and form tokens, and are never stored) and no ``If-None-Match`` (a reading page, which has an
ETag, is rendered and sent in full). The burst's client is a process of its own, so that its threads do not
share the visitors' GIL (which would add its waits to the pages' latencies).
"""

import http.client
import multiprocessing
import time
from collections import namedtuple

from bench.environment import open_forum
from bench.load import run
from bench.report import cpu_snapshot, cpu_spent, machine_cpu

SHARED = {"postgres": "postgres", "rabbitmq": "beam.smp"}  # by command name: every such process, summed

PAGES = (
    ("home", "/"),
    ("home (en)", "/en/"),
    ("forum", "/forums/{forum}"),
    ("forum (en)", "/en/forums/{forum}"),
    ("topics", "/forums/{forum}/topics"),
    ("restitutions", "/restitutions"),
    ("commitments", "/commitments"),
    ("accessibility", "/accessibility"),
)


def add_arguments(parser):
    parser.add_argument("--visitors", type=int, default=16, help="keep-alive visitors of the pages (16)")
    parser.add_argument("--page-views", type=int, default=10000, help="page views per run (10000)")


def page_views(forum_id):
    pages = [(label, path.format(forum=forum_id)) for label, path in PAGES]

    def make(number):
        label, path = pages[number % len(pages)]
        return "GET", path, None, {"Accept": "text/html", "Accept-Language": "fr"}, label

    return make


def timed(*arguments):
    """``run(*arguments)`` and the monotonic window it took (comparable across processes)."""
    started = time.monotonic()
    return run(*arguments), (started, time.monotonic())


def timed_into(pipe, *arguments):
    pipe.send(timed(*arguments))
    pipe.close()


def measure(args, stack, registrations, sink_pid):
    """The ceiling (GET /api/v1/ping at as many connections as visitors: gateway -> RPC -> reply), the
    pages alone, then the pages during a burst twice: with the whole email pipeline running, then with the
    notification service stopped (the registration path's own cost; it is started again after). Returns
    (ping, pages alone, [Burst, Burst])."""
    port = int(stack.env["GATEWAY_PORT"])
    forum_id = open_forum(stack, title="Forum des pages")
    views = page_views(forum_id)
    for _, path in PAGES:  # every page answers before anything is timed
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path.format(forum=forum_id))
        status = connection.getresponse().status
        connection.close()
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    run("warm-up", port, views, len(PAGES) * 10, args.visitors, args.time_limit)
    ping = run("GET /api/v1/ping (ceiling)", port, pinging, args.page_views, args.visitors, args.time_limit)
    alone = run("GET pages (alone)", port, views, args.page_views, args.visitors, args.time_limit)
    pids = {name: process.pid for name, process in stack.processes.items()} | {"smtp sink": sink_pid}
    bursts = [burst_run(args, stack, registrations, views, "whole pipeline", pids)]
    stack.kill("notification")
    try:
        pids.pop("notification")
        bursts.append(burst_run(args, stack, registrations, views, "notification stopped", pids))
    finally:
        stack.start("notification")
        stack.wait_ready()
    return ping, alone, bursts


Burst = namedtuple("Burst", "name pages registrations covered cpu busy")


def burst_run(args, stack, registrations, views, name, pids):
    """The pages while ``--concurrency`` connections register people for a forum of their own; the CPU
    each process used meanwhile (services, sink, PostgreSQL, RabbitMQ, the load generator)."""
    port = int(stack.env["GATEWAY_PORT"])
    forum_id = open_forum(stack, title=f"Forum très demandé (pages, {name})")
    # The burst's client runs in a process of its own: its threads do not hold the visitors' GIL.
    fork = multiprocessing.get_context("fork")
    received, sending = fork.Pipe(duplex=False)
    stop = fork.Event()  # set once the pages are read: the burst lasts as long as they do
    burst = fork.Process(
        target=timed_into,
        args=(sending, f"POST registrations (burst, {name})", port, registrations(forum_id),
              args.page_views * 10, args.concurrency, args.time_limit, stop),
    )  # fmt: skip
    burst.start()
    time.sleep(1.0)  # the burst under way before the first page
    watched = pids | {"burst client": burst.pid}
    before, machine_before = cpu_snapshot(watched, "pages client", SHARED), machine_cpu()
    during, (p0, p1) = timed(f"GET pages (burst, {name})", port, views, args.page_views, args.visitors,
                             args.time_limit)  # fmt: skip
    after, machine_after = cpu_snapshot(watched, "pages client", SHARED), machine_cpu()
    stop.set()
    if not received.poll(args.time_limit + 90):
        burst.kill()
        raise RuntimeError("the registration burst did not end")
    registered, (b0, b1) = received.recv()
    burst.join(10)
    covered = max(0.0, min(b1, p1) - max(b0, p0)) / (p1 - p0) if p1 > p0 else 0.0
    window = p1 - p0
    cpu = {process: spent / window for process, spent in cpu_spent(before, after).items()}
    busy = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
    return Burst(name, during, registered, covered, cpu, busy)


def pinging(_):
    return "GET", "/api/v1/ping", None


def report(ping, alone, bursts):
    print(f"\npages: {len(PAGES)} pages in turn, alone and during a registration burst (same stack)")
    header = f"{'page':<16} {'alone p50':>10} {'alone p99':>10}" + "".join(
        f" {'burst p50':>10} {'burst p99':>10}" for _ in bursts
    )
    print(" " * 39 + "".join(f" {burst.name:>21}" for burst in bursts))
    print(header)
    print("-" * len(header))
    for label, _ in PAGES:
        runs = (alone, *(burst.pages for burst in bursts))
        cells = [outcome.percentile(q, label) * 1000 for outcome in runs for q in (0.5, 0.99)]
        print(f"{label:<16} " + " ".join(f"{cell:>10.1f}" for cell in cells))
    for outcome in (ping, alone, *(o for burst in bursts for o in (burst.pages, burst.registrations))):
        print(
            f"{outcome.name:<44} {outcome.ok:>6} ok {outcome.errors:>4} errors {outcome.throughput:>7.1f}/s"
            f"  p50 {outcome.percentile(0.5) * 1000:.1f} ms  p99 {outcome.percentile(0.99) * 1000:.1f} ms"
        )
    print(f"pages alone / ping ceiling, same visitors: {alone.throughput / ping.throughput:.2f}")
    for burst in bursts:
        p99 = burst.pages.percentile(0.99) * 1000
        shares = ", ".join(
            f"{name} {share:.0%}" for name, share in sorted(burst.cpu.items(), key=lambda i: -i[1])
        )
        print(
            f"burst ({burst.name}): it covered {burst.covered:.0%} of the page run; page p99 {p99:.1f} ms"
            f" ({'under' if p99 < 100 else 'over'} the 100 ms goal); machine {burst.busy:.0%} busy;"
            f" CPU by process (of one core): {shares}"
        )
