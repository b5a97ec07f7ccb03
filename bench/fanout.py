"""The fan-out: one forum opened, announced by email to every confirmed subscriber, into a counting sink.

On its own stack (fresh database and vhost) whose SMTP_PORT is the fast counting sink (bench/sink.py, a
process of its own), so that the sink is not what is measured:
  1. ``--fanout`` confirmed subscribers are written straight into ``notification.subscribers`` with COPY
     (not through subscription events: that path is not what this measures), mixed fr/en, unique
     addresses at example.org;
  2. the raw ceiling, while the stack is idle: a bare smtplib loop sending a message of the same size and
     shape as one announcement (composed by services.notification.mime from the renderer's sample data)
     to the same sink, on one connection and then on MAIL_CONNECTIONS connections (threads), each
     bounded by ``--raw-messages`` and ``--raw-seconds``;
  3. the fan-out: an organiser POSTs an open forum; from the POST until the sink has counted every
     announcement (at most ``--fanout-timeout`` s, partial progress reported otherwise), with progress
     every few seconds.
It reports emails/s, the ratios to both raw rates, the notification process's memory (RSS before, peak),
the CPU seconds of every process during the fan-out and the sink's byte count.
"""

import itertools
import random
import smtplib
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

import psycopg

from bench.environment import FORUM, log_dir, open_forum, running_stack
from bench.report import cpu_snapshot, cpu_spent, machine_cpu, memory, print_fanout
from bench.sink import FastSink
from harness.stack import StackError

SENDER = "Open d'Etat <forums@opendetat.localhost>"  # MAIL_FROM's default, which the stack keeps
PUBLIC_BASE_URL = "http://127.0.0.1:8000"  # PUBLIC_BASE_URL's default, which the stack keeps
PROGRESS_EVERY = 5.0  # seconds between two progress lines
POLL = 0.1  # seconds between two looks at the sink's count
ANNOUNCED = {"title": "Forum annoncé à tous les abonnés", "capacity": 500}  # the forum opened
# Every other process that works for a fan-out, found by command name; summed over its live processes.
COMMANDS = {"postgres (all)": "postgres", "rabbitmq": "beam.smp"}
FIRST_NAMES = ["Camille", "Léa", "Hugo", "Chloé", "Zoé", "Emma", "Oliver", "Amelia", "Noah", "Élodie",
               "François", "Inès", "Jack", "Grace", "Maël", "Anaïs", "Théo", "Mia", "Lucas", "Ava"]  # fmt: skip
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Lefèvre", "Smith", "Jones", "Moreau", "Girard", "Brown",
              "Roussel", "Fontaine", "Taylor", "Chevalier", "Gauthier", "Wilson", "Mercier"]  # fmt: skip


def add_arguments(parser):
    parser.add_argument(
        "--fanout", type=int, default=100_000, help="subscribers announced to (default 100000; 0: skip it)"
    )
    parser.add_argument(
        "--fanout-timeout", type=float, default=600, help="seconds for the fan-out, at most (default 600)"
    )
    parser.add_argument(
        "--raw-messages", type=int, default=20_000, help="messages per raw loop, at most (default 20000)"
    )
    parser.add_argument(
        "--raw-seconds", type=float, default=20, help="seconds per raw loop, at most (default 20)"
    )


def address(run, number):
    return f"fanout-{run}-{number}@example.org"


def seed(database_url, count, run):
    """``count`` confirmed subscribers, written with COPY; returns the seconds it took."""
    started = time.monotonic()
    rng = random.Random(20270301)
    columns = "subscription_id, person_id, email, first_name, last_name, locale, status, as_of"
    with psycopg.connect(database_url) as conn:
        with conn.cursor().copy(f"COPY notification.subscribers ({columns}) FROM STDIN") as copy:
            for number in range(count):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                locale = "en" if number % 3 == 0 else "fr"
                email = address(run, number)
                copy.write_row((uuid.uuid4(), uuid.uuid4(), email, first, last, locale, "confirmed", "now"))
        conn.commit()
        conn.execute("ANALYZE notification.subscribers")
    return time.monotonic() - started


def sample_announcement(recipient):
    """One announcement of the fan-out's forum as the notification service would send it to
    ``recipient``, from the renderer's sample data: (bytes, how it was made)."""
    try:
        from kit import tokens
        from services.notification import samples
        from services.notification.mime import compose
        from services.notification.rendering import Renderer

        context = samples.context("forum_announced", "fr", PUBLIC_BASE_URL)
        forum = FORUM | ANNOUNCED
        context["forum"] = samples.FORUM | {
            "title": forum["title"],
            "starts_at": datetime.fromisoformat(forum["starts_at"]),
            "ends_at": datetime.fromisoformat(forum["ends_at"]),
            "venue": forum["venue"] | {"accessibility": ""},
            "capacity": forum["capacity"],
        }
        unsubscribe = tokens.link(PUBLIC_BASE_URL, "bench-secret", "unsubscribe", uuid.uuid4())
        context["links"] = {"register": PUBLIC_BASE_URL + "/", "unsubscribe": unsubscribe}
        rendered = Renderer().render("forum_announced", "fr", context)
        person = context["person"]
        message = compose(
            sender=SENDER,
            recipient=recipient,
            recipient_name=f"{person['first_name']} {person['last_name']}",
            subject=rendered.subject,
            message_id=f"<bench-{uuid.uuid4().hex}@opendetat>",
            text=rendered.text,
            html=rendered.html,
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        return message, "a sample announcement (fr) composed by services.notification.mime"
    except Exception as exc:  # noqa: BLE001 - no sample (its API changed?): measure with filler, and say so
        line = b"Les inscriptions au forum sont ouvertes, inscrivez-vous depuis la page des forums.\r\n"
        message = b"Subject: Inscriptions ouvertes\r\n\r\n" + line * 100
        return message, f"filler bytes (composing a sample failed: {type(exc).__name__}: {exc})"


@dataclass
class RawRun:
    connections: int
    sent: int = 0
    elapsed: float = 0.0
    failures: Counter = field(default_factory=Counter)

    @property
    def rate(self):
        return self.sent / self.elapsed if self.elapsed else 0.0


def raw_rate(port, message, connections, total, seconds):
    """Send ``message`` ``total`` times (or for ``seconds``) with smtplib over ``connections`` connections,
    one thread each, one recipient per message, as fast as the sink answers."""
    outcome = RawRun(connections)
    numbers, lock = itertools.count(), threading.Lock()
    envelope_sender = parseaddr(SENDER)[1]
    started = time.monotonic()
    deadline = started + seconds

    def worker():
        sent, failures = 0, Counter()
        try:
            client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        except (OSError, smtplib.SMTPException) as exc:
            failures[type(exc).__name__] += 1
        else:
            try:
                while time.monotonic() < deadline:
                    with lock:
                        number = next(numbers)
                    if number >= total:
                        break
                    client.sendmail(envelope_sender, [f"raw-{number}@example.org"], message)
                    sent += 1
            except (OSError, smtplib.SMTPException) as exc:  # counted; this connection stops
                failures[type(exc).__name__] += 1
            finally:
                try:
                    client.quit()
                except (OSError, smtplib.SMTPException):
                    client.close()
        with lock:
            outcome.sent += sent
            outcome.failures.update(failures)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)  # bounded by the deadline plus one SMTP timeout
    outcome.elapsed = time.monotonic() - started
    return outcome


@dataclass
class Fanout:
    target: int
    accepted: int = 0
    seconds: float = 0.0  # from the POST to the last acceptance (or to giving up)
    finished: bool = False
    first_email: float | None = None  # seconds from the POST to the first acceptance seen
    announced: float | None = None  # seconds from the POST until the announcement row said finished
    bytes: int = 0
    peak_connections: int = 0  # SMTP connections open at once, the most seen while polling
    connections: int = 0
    rss_before: int = 0
    rss_sampled_peak: int = 0  # the largest VmRSS seen while polling
    hwm_after: int = 0  # VmHWM: the process's peak resident size since it started
    rss_after: int = 0
    cpu: dict = field(default_factory=dict)
    machine_busy: float = 0.0  # CPU seconds of the whole machine, every core
    problem: str = ""
    deliveries: dict = field(default_factory=dict)  # status -> count, from the delivery log

    @property
    def rate(self):
        done = min(self.accepted, self.target)  # a message sent twice is no progress
        return done / self.seconds if self.seconds else 0.0


class AnnouncementWatch:
    """The announcement row's progress and the forum's delivery log, as far as the schema has them."""

    def __init__(self, database_url):
        self.forum_id = None  # set once the forum is created
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.working = True
        self.queued, self.finished = None, False

    def look(self):
        if not self.working:
            return
        try:
            row = self.conn.execute(
                "SELECT queued, finished_at IS NOT NULL FROM notification.announcements WHERE forum_id = %s",
                (self.forum_id,),
            ).fetchone()
        except psycopg.Error:
            self.working = False
            return
        if row:
            self.queued, self.finished = row

    def deliveries(self):
        try:
            rows = self.conn.execute(
                "SELECT status, count(*) FROM notification.deliveries WHERE forum_id = %s GROUP BY status",
                (self.forum_id,),
            ).fetchall()
        except psycopg.Error:
            return {}
        return dict(rows)

    def close(self):
        self.conn.close()


def measure_fanout(args, stack, sink, database_url):
    notification = stack.processes["notification"].pid
    pids = {name: process.pid for name, process in stack.processes.items()} | {"smtp sink": sink.pid}
    baseline = sink.settled_counts()
    result = Fanout(args.fanout)
    result.rss_before = result.rss_sampled_peak = memory(notification).get("VmRSS", 0)
    cpu_before, busy_before = cpu_snapshot(pids, "bench", COMMANDS), machine_cpu()[0]
    watch = AnnouncementWatch(database_url)
    try:
        started = time.monotonic()
        watch.forum_id = open_forum(stack, **ANNOUNCED)
        deadline = started + args.fanout_timeout
        next_line, last_line, next_look = started + PROGRESS_EVERY, (started, 0), started
        counts = baseline
        for _ in range(int(args.fanout_timeout / POLL) + 2):  # bounded by the deadline as well
            counts, now = sink.counts(), time.monotonic()
            accepted = counts.messages - baseline.messages
            result.peak_connections = max(result.peak_connections, counts.open)
            if accepted and result.first_email is None:
                result.first_email = now - started
            if accepted >= args.fanout:
                result.finished = True
                break
            if now > deadline:
                result.problem = f"stopped by --fanout-timeout ({args.fanout_timeout:.0f} s)"
                break
            try:
                stack.check_alive()
            except StackError as exc:
                result.problem = f"a process died: {str(exc).splitlines()[0]}"
                break
            rss = memory(notification).get("VmRSS", 0)
            result.rss_sampled_peak = max(result.rss_sampled_peak, rss)
            if now >= next_look:  # twice a second, a primary-key look-up
                watch.look()
                if result.announced is None and watch.finished:
                    result.announced = now - started
                next_look = now + 0.5
            if now >= next_line:
                recent = (accepted - last_line[1]) / (now - last_line[0])
                row = "" if watch.queued is None else f", announcement row: {watch.queued} queued"
                row += " (finished)" if watch.finished else ""
                print(
                    f"  {now - started:6.1f} s: {accepted:>7} of {args.fanout} emails accepted"
                    f" ({accepted / (now - started):.0f}/s overall, {recent:.0f}/s lately){row},"
                    f" notification RSS {rss / 2**20:.0f} MiB",
                    flush=True,
                )
                next_line, last_line = now + PROGRESS_EVERY, (now, accepted)
            time.sleep(POLL)
        else:
            result.problem = "stopped by the poll bound"
        end = counts.last if result.finished else time.monotonic()
        result.cpu = cpu_spent(cpu_before, cpu_snapshot(pids, "bench", COMMANDS))
        result.machine_busy = machine_cpu()[0] - busy_before
        # What none of the processes above used: the kernel, and whatever else runs on this machine.
        result.cpu["everything else"] = max(0.0, result.machine_busy - sum(result.cpu.values()))
        result.seconds = end - started
        status = memory(notification)
        result.hwm_after, result.rss_after = status.get("VmHWM", 0), status.get("VmRSS", 0)
        # Once finished, the settled count (more than the target if any message went out twice); when
        # stopped early, the count when it stopped, which the rate is computed with.
        final = sink.settled_counts() if result.finished else counts
        result.accepted = final.messages - baseline.messages
        result.bytes = final.bytes - baseline.bytes
        result.connections = final.connections - baseline.connections
        result.deliveries = watch.deliveries()
    finally:
        watch.close()
    return result


def fan_out(args, work):
    status = Path(work) / "fanout-sink.status"
    sink = FastSink(status)
    try:
        sink.start()
        print(f"\nfan-out: counting SMTP sink (bench/sink.py) on 127.0.0.1:{sink.port}, pid {sink.pid}")
        with running_stack(args, log_dir(work, "fanout"), sink.port) as (stack, database_url):
            run = uuid.uuid4().hex[:8]
            took = seed(database_url, args.fanout, run)
            print(
                f"seeded {args.fanout} confirmed subscribers by SQL (COPY into notification.subscribers,"
                f" not through subscription events) in {took:.1f} s",
                flush=True,
            )
            message, made = sample_announcement(address(run, args.fanout // 2))
            raw = []
            for connections in sorted({1, args.mail_connections}):
                print(f"raw smtplib loop on {connections} connection(s), stack idle ...", flush=True)
                raw.append(raw_rate(sink.port, message, connections, args.raw_messages, args.raw_seconds))
                print(
                    f"  {raw[-1].sent} messages in {raw[-1].elapsed:.1f} s = {raw[-1].rate:.0f}/s", flush=True
                )
            before = sink.settled_counts()
            sent = sum(run.sent for run in raw)
            if before.messages != sent:
                print(f"NOTE: the sink counted {before.messages} messages, the raw loops sent {sent}")
            print(f"fan-out of {args.fanout} announcements: POST an open forum, then wait ...", flush=True)
            result = measure_fanout(args, stack, sink, database_url)
            print_fanout(args, raw, result, len(message), made)
    finally:
        sink.stop()
