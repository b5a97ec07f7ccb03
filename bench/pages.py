"""The public site under a registration burst: ``--visitors`` (16) keep-alive visitors read the pages
people read (home, a forum's page and its topics in French and English, the restitutions, the commitments
register, the accessibility statement) first alone, then while ``--concurrency`` connections register
people for another forum, on the same stack. The goal (issue: the public site) is a page p99 under 100 ms
at 16 visitors during the burst; the report gives p50/p99 overall and by page, both runs, and how much of
the page run the burst covered (a page run that outlived the burst would flatter the figure).

Every view is a first visit, the worst case: no cookie (the home and forum pages mint the visitor's CSRF
cookie and form tokens, and are never stored) and no ``If-None-Match`` (a reading page, which has an
ETag, is rendered and sent in full). The burst's client is a process of its own, so that its threads do not
share the visitors' GIL (which would add its waits to the pages' latencies).
"""

import http.client
import multiprocessing
import time

from bench.environment import open_forum
from bench.load import run

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
    parser.add_argument("--page-views", type=int, default=2000, help="page views per run (2000)")


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


def measure(args, stack, registrations):
    """The ceiling (GET /api/v1/ping at as many connections as visitors: gateway -> RPC -> reply), then
    both runs; returns (ping, pages alone, pages during the burst, the burst, fraction of the page run the
    burst covered)."""
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

    burst_forum = open_forum(stack, title="Forum très demandé (pages)")
    # The burst's client runs in a process of its own: its threads do not hold the visitors' GIL.
    received, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    burst = multiprocessing.get_context("fork").Process(
        target=timed_into,
        args=(sending, "POST registrations (burst)", port, registrations(burst_forum), args.page_views * 4,
              args.concurrency, args.time_limit),
    )  # fmt: skip
    burst.start()
    time.sleep(1.0)  # the burst under way before the first page
    during, (p0, p1) = timed("GET pages (during the burst)", port, views, args.page_views, args.visitors,
                             args.time_limit)  # fmt: skip
    if not received.poll(args.time_limit + 90):
        burst.kill()
        raise RuntimeError("the registration burst did not end")
    burst_outcome, (b0, b1) = received.recv()
    burst.join(10)
    covered = max(0.0, min(b1, p1) - max(b0, p0)) / (p1 - p0) if p1 > p0 else 0.0
    return ping, alone, during, burst_outcome, covered


def pinging(_):
    return "GET", "/api/v1/ping", None


def report(ping, alone, during, burst, covered):
    print(f"\npages: {len(PAGES)} pages in turn, alone and during a registration burst (same stack)")
    header = f"{'page':<16} {'alone p50':>10} {'alone p99':>10} {'burst p50':>10} {'burst p99':>10}"
    print(header)
    print("-" * len(header))
    for label, _ in PAGES:
        cells = [outcome.percentile(q, label) * 1000 for outcome in (alone, during) for q in (0.5, 0.99)]
        print(f"{label:<16} " + " ".join(f"{cell:>10.1f}" for cell in cells))
    for outcome in (ping, alone, during, burst):
        print(
            f"{outcome.name:<36} {outcome.ok:>6} ok {outcome.errors:>4} errors {outcome.throughput:>7.1f}/s"
            f"  p50 {outcome.percentile(0.5) * 1000:.1f} ms  p99 {outcome.percentile(0.99) * 1000:.1f} ms"
        )
    p99 = during.percentile(0.99) * 1000
    print(f"pages alone / ping ceiling, same visitors: {alone.throughput / ping.throughput:.2f}")
    print(
        f"the burst covered {covered:.0%} of the page run; page p99 during the burst: {p99:.1f} ms"
        f" ({'under' if p99 < 100 else 'over'} the 100 ms goal)"
    )
