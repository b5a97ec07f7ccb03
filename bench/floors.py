"""floors: what the parts a registration cannot avoid cost at their cheapest, the servers with no Python service
between, then a consumer's own process.

The machine is CPU-bound, so a registration at >= GOAL (0.60) of the ping's rate may cost at most ping's CPU
x (1/0.60 - 1) more than a ping (the budget). This part measures, with raw clients run by this process (pika
and psycopg; its own CPU is not counted, only the servers'), every loop bounded in count and in time, all on
127.0.0.1, the cheapest versions of what a registration adds to a ping:

1. RabbitMQ, one event to three queues (topics, restitution, notification), on a vhost of its own: a durable
   topic exchange bound to three durable queues; ``--floor-events`` (5000) persistent messages of ~1.2 KB (an
   event envelope, signed as the relays sign) published with confirms, BATCH at a time (publish 50, wait for
   their confirms: as the outbox relay does); three consumers, a connection and a thread each, prefetch
   PREFETCH. The broker's CPU (every RabbitMQ process: beam.smp, epmd, erl_child_setup, inet_gethost) from
   the first publish until every consumer has received and acked every message, per event, for
   (1a) quorum queues, one ack per message (as the services do), (1b) quorum queues, one ``multiple`` ack
   per 50 messages (the most favourable consumer), (1c) classic queues, one ack per message. A run where a
   consumer did not get each message exactly once is reported as failed, without a figure.
2. PostgreSQL, in a scratch database of minimal tables (no foreign key, fewer indexes than the services'
   own: a lower bound), the CPU of every postgres process per unit of
   (2a) a registration as ONE statement in autocommit, one round trip (idempotency key, person upsert,
   forum counter, registration, outbox row), ``--floor-registrations`` (5000) of them, distinct people,
   one forum, from ``--floor-connections`` (4) connections at once;
   (2b) the relay marking events published, ``UPDATE outbox SET published_at = now() WHERE seq = ANY(...)``,
   BATCH events a statement, one connection;
   (2c) one consumer's event at its least: the inbox row and one upsert, one statement in autocommit.
3. Python, what a consumer's own process costs at its least: a nameko service run by ``nameko run`` (as the
   services are, deploy/config.yaml, MAX_WORKERS of ``--max-workers``) in a process of its own, on a vhost
   and a scratch database of its own, with ONE handler on the platform's entrypoint
   (``kit.handlers.event_handler``: durable quorum queue, the signature checked, one ack per message, a
   worker per message) and its one ``kit.db.Database``; ``--floor-events`` events of the same body as (1),
   signed as the relays sign, published to the exchange its queue is bound to (``registration.events``),
   until every one is acked (the queue has none ready, then: 3a, a moment for the last workers; 3b, the
   inbox holds them all). The CPU of the consumer's process per event, for
   (3a) a handler that does nothing,
   (3b) a handler running ``kit.inbox.once`` through kit.db (the inbox row and one upsert, one statement in
   autocommit: 2c's, on a connection of kit.db's pool, the worker waiting for it greenly).
   Afterwards, the consumer stopped: exact only if no message is left in its queue, none was dead-lettered
   (a bad signature would be), its log has no warning or error, and for 3b the inbox and the upserted table
   hold exactly one row per event. RabbitMQ's (and PostgreSQL's) CPU meanwhile is reported beside it.
4. The floor of a registration with the email pipeline stopped: (1) + (2a) + (2b) + 2 x (2c) (topics and
   restitution each consume its event), for each of 1a, 1b, 1c, against the budget computed from the
   platform's CPU per ping measured by the http part of the same run (unknown when it did not run); and
   the same plus the two consumers' own processes at their least, 2 x (3a) or 2 x (3b). The events'
   publishing (the relay's side) is not counted: here it is this process's.

Each measurement also gives what else the machine did meanwhile ("not ours": its busy CPU minus the
servers' and this process's), and for PostgreSQL the CPU of the backends serving this part's connections
alone: figures that stay honest when something else shares the servers.
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pika
import psycopg

from bench.report import cpu_seconds, cpu_snapshot, cpu_spent, machine_cpu, print_floors
from harness.stack import CONFIG, NAMEKO, ROOT
from harness.testing import (
    LOCAL_AMQP,
    LOCAL_POSTGRES,
    LOCAL_RABBIT_API,
    Vhosts,
    scratch_name,
    with_database,
    with_vhost,
)
from kit.db import Database
from kit.handlers import event_handler
from kit.inbox import FIRST, once
from kit.signing import HEADER, event_key, sign

GOAL = 0.60  # the aim: a registration at this share of the ping's rate
BATCH = 50  # messages published before waiting for their confirms; events an UPDATE marks published
PREFETCH = 100
MESSAGE_BYTES = 1200  # about a registration_confirmed envelope's size
ROUTING_KEY = "registration_confirmed"
CONSUMERS = ("topics", "restitution", "notification")  # the queues a registration's event goes to
RABBITMQ = ("beam.smp", "epmd", "erl_child_setup", "inet_gethost")  # RabbitMQ's processes, by command name
POSTGRES = ("postgres",)
OWN = "bench"  # this process: the client, not counted
IDLE_SECONDS = 2.0  # how long the servers are watched at rest before the runs
# (key, label, queue type, ack every n messages)
BROKER_VARIANTS = (
    ("quorum", "1a", "quorum", 1),
    ("quorum multiple", "1b", "quorum", BATCH),
    ("classic", "1c", "classic", 1),
)
BROKER_TITLES = {
    "quorum": "quorum queues, one ack per message (as the services do)",
    "quorum multiple": f"quorum queues, one multiple ack per {BATCH} messages",
    "classic": "classic queues, one ack per message",
}
SOURCE = "registration"  # the consumers' events come from this service's event exchange, as in the platform
EXCHANGE = f"{SOURCE}.events"  # nameko's event exchange of SOURCE
SECRET = "floors"  # the consumers' SECRET_KEY: every message is signed under its event key
MAX_WORKERS = 32  # the services' (deploy/config.yaml, bench --max-workers): also nameko's prefetch
STARTUP_SECONDS = 60.0  # for a consumer to start consuming, at most
SETTLE_SECONDS = 0.2  # 3a: once none is ready, for the workers still in hand (MAX_WORKERS at most) to ack
POLL_SECONDS = 0.02
STOP_SECONDS = 15.0
# (key, label, the service class below, run by ``nameko run bench.floors:<class>``)
CONSUMER_VARIANTS = (("idle consumer", "3a", "IdleConsumer"), ("inbox consumer", "3b", "InboxConsumer"))
CONSUMER_TITLES = {
    "idle consumer": "a nameko consumer that does nothing (kit's event handler, quorum queue, signature, ack)",
    "inbox consumer": "the same, its handler one kit.inbox.once statement (inbox row + one upsert) via kit.db",
}
DATABASE_TITLES = {
    "registration": "a registration: one statement (key, person, seat, registration, outbox row)",
    "relay": f"relay marks events published, {BATCH} an UPDATE",
    "consumer": "one consumer's event: inbox row + one upsert, one statement",
}
SCHEMA = """
CREATE TABLE forums (id uuid PRIMARY KEY, capacity integer NOT NULL, confirmed_count integer NOT NULL DEFAULT 0);
CREATE TABLE people (id uuid PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE registrations (id uuid PRIMARY KEY, forum_id uuid NOT NULL, person_id uuid NOT NULL,
    status text NOT NULL, UNIQUE (forum_id, person_id));
CREATE TABLE outbox (seq bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, envelope jsonb NOT NULL,
    published_at timestamptz);
CREATE TABLE idempotency_keys (key text PRIMARY KEY, outcome jsonb);
CREATE TABLE inbox (event_id uuid PRIMARY KEY);
CREATE TABLE registrants (forum_id uuid NOT NULL, person_id uuid NOT NULL, status text NOT NULL,
    PRIMARY KEY (forum_id, person_id));
"""
REGISTER = (
    "WITH key AS (INSERT INTO idempotency_keys (key, outcome) VALUES (%(key)s, %(outcome)s::jsonb)),"
    " person AS (INSERT INTO people (id, email) VALUES (%(person)s, %(email)s)"
    " ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id),"
    " seat AS (UPDATE forums SET confirmed_count = confirmed_count + 1"
    " WHERE id = %(forum)s AND confirmed_count < capacity RETURNING id),"
    " registration AS (INSERT INTO registrations (id, forum_id, person_id, status)"
    " SELECT %(registration)s, seat.id, person.id, 'confirmed' FROM seat, person RETURNING id),"
    " event AS (INSERT INTO outbox (event_id, envelope) SELECT %(event)s, %(envelope)s::jsonb FROM registration)"
    " SELECT count(*) FROM registration"
)
MARK = "UPDATE outbox SET published_at = now() WHERE seq = ANY(%s)"
CONSUME = (
    "WITH inbox AS (INSERT INTO inbox (event_id) VALUES (%(event)s) ON CONFLICT DO NOTHING RETURNING 1),"
    " effect AS (INSERT INTO registrants (forum_id, person_id, status) SELECT %(forum)s, %(person)s, 'confirmed'"
    " WHERE EXISTS (SELECT FROM inbox) ON CONFLICT (forum_id, person_id) DO UPDATE SET status = EXCLUDED.status)"
    " SELECT EXISTS (SELECT FROM inbox)"
)


def add_arguments(parser):
    parser.add_argument(
        "--floor-events",
        type=int,
        default=5000,
        help="floors: events through RabbitMQ per variant and through each nameko consumer (5000; 0: none)",
    )
    parser.add_argument(
        "--floor-registrations",
        type=int,
        default=5000,
        help="floors: registrations written to PostgreSQL (5000; 0: no PostgreSQL floor)",
    )
    parser.add_argument(
        "--floor-connections", type=int, default=4, help="floors: PostgreSQL connections writing at once (4)"
    )
    parser.add_argument(
        "--floor-time-limit", type=float, default=120, help="floors: seconds per measurement, at most (120)"
    )


# --- the arithmetic ----------------------------------------------------------------------------------------


def budget(ping_cpu_ms, goal=GOAL):
    """The CPU a registration may cost beyond a ping's for its rate to be ``goal`` of the ping's on a
    CPU-bound machine (rate = cores / CPU per request): ping x (1/goal - 1); None when ping's is unknown."""
    return None if ping_cpu_ms is None else ping_cpu_ms * (1 / goal - 1)


def ping_cpu(http):
    """The platform's CPU ms per ping in the http part's result (its phase "ping"), or None."""
    for record in (http or {}).get("phases", ()):
        if record["key"] == "ping":
            return record["cpu_ms_per_request_total"]
    return None


def against(total, allowed):
    """``total`` (ms, or None) against the budget ``allowed`` (ms, or None)."""
    known = total is not None and allowed is not None
    return {
        "ms": None if total is None else round(total, 3),
        "over_budget": total > allowed if known else None,
        "share_of_budget": round(total / allowed, 3) if known and allowed else None,
    }


def floor_sums(rows, ping_cpu_ms, goal=GOAL):
    """The floor of a registration with the email pipeline stopped, for each broker variant: RabbitMQ's
    per event + PostgreSQL's registration + relay's mark + 2 consumers' events; each against the budget;
    and each of those plus the two consumers' own processes at their least (``consumers``: 2 x 3a, 2 x 3b)
    in ``with_consumers``. A sum of which a part failed (or was not measured) is None."""
    ms = {row["key"]: row["ms"] for row in rows}
    parts = (ms.get("registration"), ms.get("relay"), ms.get("consumer"))
    postgres = None if None in parts else parts[0] + parts[1] + 2 * parts[2]
    allowed = budget(ping_cpu_ms, goal)
    consumers = [
        {
            "key": key,
            "label": label,
            "title": CONSUMER_TITLES[key],
            "ms": ms.get(key),
            "python_ms": None if ms.get(key) is None else round(2 * ms[key], 3),
        }
        for key, label, _ in CONSUMER_VARIANTS
    ]
    sums = []
    for key, label, _, _ in BROKER_VARIANTS:
        broker = ms.get(key)
        total = None if postgres is None or broker is None else broker + postgres
        with_consumers = [
            {"key": consumer["key"], "label": consumer["label"], "python_ms": consumer["python_ms"]}
            | against(
                None if total is None or consumer["ms"] is None else total + 2 * consumer["ms"], allowed
            )
            for consumer in consumers
        ]
        sums.append(
            {"key": key, "label": label, "title": BROKER_TITLES[key], "rabbitmq_ms": broker}
            | against(total, allowed)
            | {"with_consumers": with_consumers}
        )
    return {
        "goal": goal,
        "ping_cpu_ms": ping_cpu_ms,
        "budget_ms": None if allowed is None else round(allowed, 3),
        "postgres_ms": None if postgres is None else round(postgres, 3),
        "consumers": consumers,
        "sums": sums,
    }


# --- measuring ---------------------------------------------------------------------------------------------


def snapshot(commands, backends=()):
    """CPU seconds so far of the servers' processes (by command name), of the given PostgreSQL backends,
    of this process, and of the whole machine."""
    named = {f"backend {pid}": pid for pid in backends}
    return cpu_snapshot(named, own_name=OWN, commands={name: name for name in commands}), machine_cpu()


def spent(before, after, commands):
    """{"server", "backends", "own", "not_ours"}: CPU seconds between two snapshot()s: the servers' processes
    summed, the backends', this process's, and the rest of the machine's busy time."""
    (first, machine_first), (last, machine_last) = before, after
    used = cpu_spent(first, last)
    server = sum(used[name] for name in commands)
    backends = sum(value for name, value in used.items() if name.startswith("backend "))
    busy = machine_last[0] - machine_first[0]
    return {"server": server, "backends": backends, "own": used[OWN], "not_ours": busy - server - used[OWN]}


def idle_share(commands, seconds=IDLE_SECONDS):
    """The share of one core the servers used at rest (whatever else they serve included)."""
    before = snapshot(commands)
    time.sleep(seconds)
    return round(spent(before, snapshot(commands), commands)["server"] / seconds, 3)


def row(key, label, title, per, count, done, seconds, used, problem, **extra):
    """One measurement, JSON-ready: ``ms`` (the servers' CPU ms per unit) only when it was exact."""
    exact = problem is None and done == count
    return {
        "key": key,
        "label": label,
        "title": title,
        "per": per,
        "count": count,
        "done": done,
        "exact": exact,
        "problem": problem if problem or exact else f"{done} of {count} done",
        "seconds": round(seconds, 3),
        "cpu_s": round(used["server"], 3),
        "ms": round(used["server"] * 1000 / count, 3) if exact and count else None,
        "not_ours_cpu_s": round(used["not_ours"], 2),
    } | extra


def envelope(forum_id, number):
    """A registration_confirmed envelope of about MESSAGE_BYTES bytes as JSON (the shape the relays send)."""
    person = str(uuid.uuid4())
    found = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": ROUTING_KEY,
        "source": "registration",
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "dataschema": "https://opendetat.localhost/schemas/registration/registration_confirmed.json",
        "datacontenttype": "application/json",
        "data": {
            "registration_id": str(uuid.uuid4()),
            "forum": {
                "id": forum_id,
                "slug": "forum-du-benchmark",
                "title": "Forum du benchmark",
                "starts_at": "2027-03-01T09:00:00+01:00",
                "ends_at": "2027-03-01T17:00:00+01:00",
                "timezone": "Europe/Paris",
                "venue": {
                    "name": "Hôtel de Ville",
                    "address": "Place de l'Hôtel de Ville",
                    "city": "Paris",
                    "accessibility": "",
                },
                "capacity": 100000,
                "status": "open",
            },
            "person": {
                "person_id": person,
                "token_version": 0,
                "email": f"floor-{number}-{person[:8]}@example.org",
                "first_name": "Camille",
                "last_name": "Martin",
                "locale": "fr",
            },
            "organisation": "Association des usagers",
            "stakeholder_group": "civil_society",
            "status": "confirmed",
            "attendee_code": person[:8].upper(),
        },
    }
    room = MESSAGE_BYTES - len(json.dumps(found, ensure_ascii=False).encode())
    found["data"]["forum"]["venue"]["accessibility"] = ("Accès de plain-pied, boucle magnétique. " * 40)[
        : max(0, room)
    ]
    return found


def pika_parameters(amqp_url):
    """pika's parameters for a kombu-style URL (pyamqp://...)."""
    _, rest = amqp_url.split("://", 1)
    return pika.URLParameters(f"amqp://{rest}")


class Consumer(threading.Thread):
    """One queue's consumer on a connection of its own: counts each message id, acks each message (or one
    ``multiple`` ack every ``ack_every``), until it has ``expected`` messages or the deadline passes. Then
    one round trip (a passive declare: the broker has handled every ack before it answers), ``finished``,
    and it waits for ``release`` before it closes."""

    def __init__(self, parameters, queue, expected, prefetch, ack_every, deadline):
        super().__init__(daemon=True, name=f"floors-{queue}")
        self.parameters, self.queue, self.expected = parameters, queue, expected
        self.prefetch, self.ack_every, self.deadline = prefetch, ack_every, deadline
        self.ready, self.finished, self.release = threading.Event(), threading.Event(), threading.Event()
        self.seen = set()
        self.received = self.pending = self.last_tag = 0
        self.left = None  # messages still ready in the queue at the end
        self.problem = None

    def run(self):
        connection = None
        try:
            connection = pika.BlockingConnection(self.parameters)
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.prefetch)
            channel.basic_consume(self.queue, self.on_message)
            self.ready.set()
            while self.received < self.expected and time.monotonic() < self.deadline:
                connection.process_data_events(time_limit=0.05)
            if self.pending:
                channel.basic_ack(self.last_tag, multiple=True)
            self.left = channel.queue_declare(self.queue, passive=True).method.message_count
            self.finished.set()
            self.release.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - reported as the run's problem
            self.problem = f"{self.queue}: {type(exc).__name__}: {exc}"
        finally:
            self.ready.set()
            self.finished.set()
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.close()

    def on_message(self, channel, method, properties, body):
        self.seen.add(properties.message_id)
        self.received += 1
        if self.ack_every == 1:
            channel.basic_ack(method.delivery_tag)
            return
        self.pending += 1
        self.last_tag = method.delivery_tag
        if self.pending >= self.ack_every:
            channel.basic_ack(method.delivery_tag, multiple=True)
            self.pending = 0

    def outcome(self):
        """None if it got each of the ``expected`` messages exactly once, else what went wrong."""
        if self.problem:
            return self.problem
        if self.received != self.expected or len(self.seen) != self.expected:
            return (
                f"{self.queue}: {self.received} received, {len(self.seen)} distinct, of {self.expected}"
                f"{' (time limit)' if self.received < self.expected else ''}"
            )
        if self.left:
            return f"{self.queue}: {self.left} messages left in the queue"
        return None


class Publisher:
    """Publishes ``messages`` ((id, body)) on one connection with confirms, ``batch`` at a time: a batch is
    written at once, the next one once the broker confirmed all of it (as kit.outbox's relay does).
    ``starting()`` is called once the channel is ready, just before the first publish."""

    def __init__(self, parameters, exchange, messages, batch, deadline, starting):
        self.parameters, self.exchange, self.messages = parameters, exchange, messages
        self.batch, self.deadline, self.starting = batch, deadline, starting
        self.sent = 0
        self.unconfirmed = set()
        self.problem = None
        self.done = self.closing = False
        self.connection = self.channel = None

    def run(self):
        """Until every message is confirmed, or a problem, or the deadline; the connection stays open."""
        self.connection = pika.SelectConnection(
            self.parameters,
            on_open_callback=lambda connection: connection.channel(on_open_callback=self.channel_open),
            on_open_error_callback=lambda connection, error: self.fail(f"connection: {error}"),
            on_close_callback=self.closed,
        )
        timer = self.connection.ioloop.call_later(max(0.0, self.deadline - time.monotonic()), self.late)
        self.connection.ioloop.start()
        self.connection.ioloop.remove_timeout(timer)
        return self

    def channel_open(self, channel):
        self.channel = channel
        channel.confirm_delivery(ack_nack_callback=self.confirmed, callback=lambda _: self.begin())

    def begin(self):
        self.starting()
        self.publish_batch()

    def publish_batch(self):
        if self.sent == len(self.messages):
            self.done = True
            self.connection.ioloop.stop()
            return
        signing = event_key(SECRET)
        for message_id, body in self.messages[self.sent : self.sent + self.batch]:
            properties = pika.BasicProperties(
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=message_id,
                type=ROUTING_KEY,
                headers={HEADER: sign(signing, body)},
            )
            self.channel.basic_publish(self.exchange, ROUTING_KEY, body, properties)
            self.sent += 1
            self.unconfirmed.add(self.sent)  # the delivery tags count from 1, one per message

    def confirmed(self, frame):
        method = frame.method
        tags = (
            {tag for tag in self.unconfirmed if tag <= method.delivery_tag}
            if method.multiple
            else {method.delivery_tag}
        )
        self.unconfirmed -= tags
        if isinstance(method, pika.spec.Basic.Nack):
            self.fail(f"the broker refused (nack) {len(tags)} messages")
        elif not self.unconfirmed:
            self.publish_batch()

    def late(self):
        if not self.done and not self.closing:
            self.fail(f"time limit: {self.sent - len(self.unconfirmed)} of {len(self.messages)} confirmed")

    def fail(self, problem):
        self.problem = self.problem or problem
        self.connection.ioloop.stop()

    def closed(self, connection, reason):
        if not self.closing and not self.done:
            self.problem = self.problem or f"connection closed: {reason}"
        connection.ioloop.stop()

    def close(self):
        self.closing = True
        if self.connection is not None and self.connection.is_open:
            self.connection.close()
            self.connection.ioloop.start()  # until closed()


def broker_run(amqp_url, key, events, time_limit, batch=BATCH, prefetch=PREFETCH):
    """One RabbitMQ variant (``key`` in BROKER_VARIANTS): its own exchange and queues, removed after."""
    _, label, queue_type, ack_every = next(variant for variant in BROKER_VARIANTS if variant[0] == key)
    parameters = pika_parameters(amqp_url)
    name = f"floors.{uuid.uuid4().hex[:8]}"
    queues = [f"{name}.{consumer}" for consumer in CONSUMERS]
    forum = str(uuid.uuid4())
    messages = []
    for number in range(events):
        body = envelope(forum, number)
        messages.append((body["id"], json.dumps(body, ensure_ascii=False).encode()))
    with contextlib.closing(pika.BlockingConnection(parameters)) as admin:
        channel = admin.channel()
        channel.exchange_declare(name, "topic", durable=True)
        for queue in queues:
            channel.queue_declare(queue, durable=True, arguments={"x-queue-type": queue_type})
            channel.queue_bind(queue, name, routing_key=ROUTING_KEY)
    deadline = time.monotonic() + time_limit
    consumers = [Consumer(parameters, queue, events, prefetch, ack_every, deadline) for queue in queues]
    window = {}
    publisher = None
    try:
        for consumer in consumers:
            consumer.start()
        for consumer in consumers:
            consumer.ready.wait(timeout=max(0.0, deadline - time.monotonic()))

        def starting():
            window["before"], window["started"] = snapshot(RABBITMQ), time.monotonic()

        problem = next((consumer.problem for consumer in consumers if consumer.problem), None)
        if problem is None:
            publisher = Publisher(parameters, name, messages, batch, deadline, starting).run()
            for consumer in consumers:
                consumer.finished.wait(timeout=max(0.0, deadline - time.monotonic()))
            window["after"], window["ended"] = snapshot(RABBITMQ), time.monotonic()
            problem = publisher.problem or next(
                filter(None, (consumer.outcome() for consumer in consumers)), None
            )
    finally:
        for consumer in consumers:
            consumer.release.set()
        if publisher is not None:
            publisher.close()
        for consumer in consumers:
            consumer.join(timeout=10)
        with contextlib.closing(pika.BlockingConnection(parameters)) as admin:
            channel = admin.channel()
            for queue in queues:
                channel.queue_delete(queue)
            channel.exchange_delete(name)
    if "before" not in window:
        window = {"before": snapshot(RABBITMQ), "started": 0.0, "ended": 0.0}
        window["after"] = window["before"]
    done = min(len(consumer.seen) for consumer in consumers)
    return row(
        key, label, BROKER_TITLES[key], "event", events, done, window["ended"] - window["started"],
        spent(window["before"], window["after"], RABBITMQ), problem,
        received=[consumer.received for consumer in consumers],
        distinct=[len(consumer.seen) for consumer in consumers],
    )  # fmt: skip


def in_threads(database_url, shares, work, deadline):
    """``work(conn, share, deadline)`` for each share on a connection of its own (autocommit, a thread each),
    all started together once every connection is open; returns (CPU spent, seconds, units done, problem).
    ``work`` returns how many of its share it did."""
    connected, go = threading.Barrier(len(shares) + 1, timeout=30), threading.Event()
    finished = [threading.Event() for _ in shares]
    release = threading.Event()
    backends, done, problems = [], [0] * len(shares), []

    def thread(index):
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                backends.append(conn.info.backend_pid)
                connected.wait()
                go.wait(timeout=30)
                try:
                    done[index] = work(conn, shares[index], deadline)
                finally:
                    finished[index].set()
                    release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported as the run's problem
            problems.append(f"{type(exc).__name__}: {exc}")
            connected.abort()
        finally:
            finished[index].set()

    threads = [threading.Thread(target=thread, args=(index,), daemon=True) for index in range(len(shares))]
    for each in threads:
        each.start()
    try:
        connected.wait()
    except threading.BrokenBarrierError:
        if not problems:
            problems.append("the connections did not open in time")
    before, started = snapshot(POSTGRES, backends), time.monotonic()
    go.set()
    for event in finished:
        event.wait(timeout=max(0.0, deadline - time.monotonic()) + 5)
    after, ended = snapshot(POSTGRES, backends), time.monotonic()
    release.set()
    for each in threads:
        each.join(timeout=10)
    return spent(before, after, POSTGRES), ended - started, sum(done), (problems[0] if problems else None)


def register(conn, share, deadline):
    done = 0
    for params in share:
        if time.monotonic() > deadline:
            break
        if conn.execute(REGISTER, params).fetchone()[0] != 1:
            raise RuntimeError(f"registration {params['registration']} took no seat")
        done += 1
    return done


def mark(conn, share, deadline):
    done = 0
    for batch in share:
        if time.monotonic() > deadline:
            break
        if conn.execute(MARK, (batch,)).rowcount != len(batch):
            raise RuntimeError("the relay's UPDATE did not mark every event of its batch")
        done += len(batch)
    return done


def consume(conn, share, deadline):
    done = 0
    for params in share:
        if time.monotonic() > deadline:
            break
        if not conn.execute(CONSUME, params).fetchone()[0]:
            raise RuntimeError(f"event {params['event']} was already in the inbox")
        done += 1
    return done


def database_runs(database_url, registrations, connections, time_limit, batch=BATCH):
    """2a, 2b and 2c on the minimal tables (created here); returns (rows, checks): the rows as counted
    afterwards by SQL."""
    forum = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO forums (id, capacity) VALUES (%s, %s)", (forum, registrations))
    people = []
    for number in range(registrations):
        body = envelope(forum, number)
        data = body["data"]
        people.append(
            {
                "key": f"floor-{uuid.uuid4().hex}",
                "outcome": json.dumps({"result": {"id": data["registration_id"], "status": "confirmed"}}),
                "person": data["person"]["person_id"],
                "email": data["person"]["email"],
                "forum": forum,
                "registration": data["registration_id"],
                "event": body["id"],
                "envelope": json.dumps(body, ensure_ascii=False),
            }
        )
    shares = [people[index::connections] for index in range(connections)]
    rows = []
    used, seconds, done, problem = in_threads(database_url, shares, register, time.monotonic() + time_limit)
    rows.append(
        database_row("registration", "2a", "registration", registrations, done, seconds, used, problem)
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        seqs = [found[0] for found in conn.execute("SELECT seq FROM outbox ORDER BY seq").fetchall()]
    batches = [seqs[start : start + batch] for start in range(0, len(seqs), batch)]
    used, seconds, done, problem = in_threads(database_url, [batches], mark, time.monotonic() + time_limit)
    rows.append(database_row("relay", "2b", "event", registrations, done, seconds, used, problem))
    events = [{"event": each["event"], "forum": forum, "person": each["person"]} for each in people]
    shares = [events[index::connections] for index in range(connections)]
    used, seconds, done, problem = in_threads(database_url, shares, consume, time.monotonic() + time_limit)
    rows.append(database_row("consumer", "2c", "event", registrations, done, seconds, used, problem))
    with psycopg.connect(database_url, autocommit=True) as conn:
        checks = conn.execute(
            "SELECT (SELECT count(*) FROM registrations) AS registrations,"
            " (SELECT confirmed_count FROM forums) AS confirmed_count,"
            " (SELECT count(*) FROM people) AS people,"
            " (SELECT count(*) FROM idempotency_keys) AS idempotency_keys,"
            " (SELECT count(*) FROM outbox) AS outbox,"
            " (SELECT count(*) FROM outbox WHERE published_at IS NOT NULL) AS published,"
            " (SELECT count(*) FROM inbox) AS inbox, (SELECT count(*) FROM registrants) AS registrants"
        ).fetchone()
    names = (
        "registrations", "confirmed_count", "people", "idempotency_keys", "outbox", "published", "inbox",
        "registrants",
    )  # fmt: skip
    checks = dict(zip(names, checks, strict=True))
    expected = {"registration": names[:5], "relay": ("published",), "consumer": ("inbox", "registrants")}
    for found in rows:
        wrong = [f"{name} {checks[name]}" for name in expected[found["key"]] if checks[name] != registrations]
        if wrong and found["exact"]:
            found.update(exact=False, ms=None, problem=f"counted afterwards: {', '.join(wrong)}")
    return rows, checks


def database_row(key, label, per, count, done, seconds, used, problem):
    found = row(key, label, DATABASE_TITLES[key], per, count, done, seconds, used, problem)
    found["backends_ms"] = round(used["backends"] * 1000 / count, 3) if found["exact"] and count else None
    return found


def at_rest(rows, idle):
    """Each row's ``at_rest_ms``: what the servers would have used per unit over its window had they been at
    rest (their share of a core at rest, ``idle``, measured before): how much of ``ms`` is not this work's."""
    for found in rows:
        exact = found["exact"] and found["count"]
        found["at_rest_ms"] = round(idle * found["seconds"] * 1000 / found["count"], 3) if exact else None
    return rows


# --- the consumers' own processes (3a, 3b) ------------------------------------------------------------------

REGISTRANTS = (
    "CREATE TABLE {schema}.registrants (forum_id uuid NOT NULL, person_id uuid NOT NULL, status text NOT NULL,"
    " PRIMARY KEY (forum_id, person_id))"
)
REGISTRANT = (
    "registrant AS (INSERT INTO registrants (forum_id, person_id, status) SELECT %(forum)s, %(person)s,"
    f" 'confirmed' WHERE {FIRST} ON CONFLICT (forum_id, person_id) DO UPDATE SET status = EXCLUDED.status)"
)
LOG_LINES = 12  # of the consumer's log, with a failed run's problem
LOGGED = re.compile(r"^.*\b(WARNING|ERROR|CRITICAL)\b.*$|^Traceback.*$", re.MULTILINE)


class IdleConsumer:
    """3a, in a process of its own (``nameko run bench.floors:IdleConsumer``): the platform's event handler
    on a registration event, whose method does nothing. Its Database (kit.handlers wants exactly one: dead
    letters are recorded there) opens its pool and is not used."""

    name = "floors_idle"
    db = Database("floors_idle")

    @event_handler(SOURCE, ROUTING_KEY)
    def handle(self, body):
        pass


class InboxConsumer:
    """3b: the same, doing the least a real consumer does: the event's inbox row and one upsert, one
    statement in autocommit (``kit.inbox.once``), through kit.db's pool and green wait."""

    name = "floors_inbox"
    db = Database("floors_inbox")

    @event_handler(SOURCE, ROUTING_KEY)
    def handle(self, body):
        data = body["data"]
        with self.db.transaction() as cur:
            once(cur, body, REGISTRANT, {"forum": data["forum"]["id"], "person": data["person"]["person_id"]})


def consumer_queue(service):
    """The queue nameko names for the ``handle`` method's event handler of ``service``."""
    return f"evt-{SOURCE}-{ROUTING_KEY}--{service}.handle"


def consumer_env(amqp_url, database_url, max_workers):
    """The consumer's environment: deploy/config.yaml's variables, as harness.stack gives a service."""
    return os.environ | {
        "AMQP_URI": amqp_url,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "MAX_WORKERS": str(max_workers),
        "LOG_LEVEL": "WARNING",
        "PSYCOPG_WAIT_FUNC": "wait_select",  # as kit/__init__ sets it, before psycopg is imported
    }


def start_consumer(service_class, env, log):
    return subprocess.Popen(
        [str(NAMEKO), "run", "--config", str(CONFIG), f"bench.floors:{service_class}"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_consumer(process, timeout=STOP_SECONDS):
    """SIGTERM (nameko's graceful stop: the workers in hand finish), SIGKILL past ``timeout``; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


class Broker:
    """A pika connection for looking at queues (passive declares, one round trip each)."""

    def __init__(self, parameters):
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()

    def state(self, queue):
        """(messages ready, consumers) of ``queue``, or None when it does not exist (yet)."""
        try:
            found = self.channel.queue_declare(queue, passive=True).method
        except pika.exceptions.ChannelClosedByBroker:
            self.channel = self.connection.channel()
            return None
        return found.message_count, found.consumer_count

    def close(self):
        with contextlib.suppress(Exception):
            self.connection.close()


def consumer_snapshot(pid):
    """CPU seconds so far of the consumer's process, the servers', this process's, and the machine's."""
    commands = {name: name for name in RABBITMQ + POSTGRES}
    return cpu_snapshot({"consumer": pid}, own_name=OWN, commands=commands), machine_cpu()


def consumer_spent(before, after):
    """{"consumer", "rabbitmq", "postgres", "own", "not_ours"}: CPU seconds between two consumer_snapshot()s."""
    (first, machine_first), (last, machine_last) = before, after
    used = cpu_spent(first, last)
    found = {
        "consumer": used["consumer"],
        "rabbitmq": sum(used[name] for name in RABBITMQ),
        "postgres": sum(used[name] for name in POSTGRES),
        "own": used[OWN],
    }
    return found | {"not_ours": machine_last[0] - machine_first[0] - sum(found.values())}


def wait_consuming(broker, queue, process, deadline):
    """Until the consumer's queue has its consumer; None, or what went wrong."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"the consumer exited ({process.returncode}) before consuming"
        state = broker.state(queue)
        if state is not None and state[1] >= 1:
            return None
        time.sleep(0.1)
    return f"the consumer was not consuming after {STARTUP_SECONDS:.0f} s"


def drain(broker, queue, process, deadline, handled, expected):
    """Until the queue has no message ready and then (3b) ``handled()`` reaches ``expected``, or (3a,
    ``handled`` None) SETTLE_SECONDS more for the workers in hand; None, or what went wrong."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"the consumer exited ({process.returncode})"
        state = broker.state(queue)
        if state is None:
            return f"the queue {queue} is gone"
        if state[0] == 0:
            break
        time.sleep(POLL_SECONDS)
    else:
        return f"time limit: {state[0]} messages still ready"
    if handled is None:
        time.sleep(SETTLE_SECONDS)
        return None
    while time.monotonic() < deadline:
        count = handled()
        if count >= expected:
            return None
        time.sleep(POLL_SECONDS)
    return f"time limit: {handled()} of {expected} handled"


def log_problem(text):
    """The first warning or error in the consumer's log, or None."""
    found = LOGGED.search(text)
    return None if found is None else f"the consumer logged: {found.group(0).strip()}"


def consumer_run(amqp_url, database_url, key, events, time_limit, max_workers=MAX_WORKERS):
    """One consumer variant (``key`` in CONSUMER_VARIANTS) run by ``nameko run`` on the vhost of ``amqp_url``
    and in the database ``database_url`` (both made for this run alone), stopped at the end."""
    _, label, service_class = next(variant for variant in CONSUMER_VARIANTS if variant[0] == key)
    service = globals()[service_class].name
    queue = consumer_queue(service)
    parameters = pika_parameters(amqp_url)
    forum = str(uuid.uuid4())
    messages = []
    for number in range(events):
        body = envelope(forum, number)
        messages.append((body["id"], json.dumps(body, ensure_ascii=False).encode()))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {service}")
        conn.execute(REGISTRANTS.format(schema=service))
    log_path = Path(tempfile.mkstemp(prefix=f"floors-{service}-", suffix=".log")[1])
    window, problem, idle, confirmed = {}, None, None, 0
    publisher = broker = watcher = None
    with open(log_path, "ab") as log:
        process = start_consumer(service_class, consumer_env(amqp_url, database_url, max_workers), log)
    try:
        broker = Broker(parameters)
        problem = wait_consuming(broker, queue, process, time.monotonic() + STARTUP_SECONDS)
        if problem is None:
            first = cpu_seconds(process.pid)
            time.sleep(IDLE_SECONDS)  # the consumer at rest, once started
            idle = round((cpu_seconds(process.pid) - first) / IDLE_SECONDS, 3)
            handled = None
            if key == "inbox consumer":
                watcher = psycopg.connect(database_url, autocommit=True)
                count = f"SELECT (SELECT count(*) FROM {service}.inbox) + (SELECT count(*) FROM {service}.dead_letters)"

                def handled():
                    """In the inbox, or dead-lettered (the checks afterwards tell which)."""
                    return watcher.execute(count).fetchone()[0]

            deadline = time.monotonic() + time_limit

            def starting():
                window["before"], window["started"] = consumer_snapshot(process.pid), time.monotonic()

            publisher = Publisher(parameters, EXCHANGE, messages, BATCH, deadline, starting).run()
            confirmed = publisher.sent - len(publisher.unconfirmed)
            problem = publisher.problem or drain(broker, queue, process, deadline, handled, confirmed)
            window["after"], window["ended"] = consumer_snapshot(process.pid), time.monotonic()
    finally:
        if publisher is not None:
            publisher.close()
        code = stop_consumer(process)
        left = dead = None
        if broker is not None:
            with contextlib.suppress(Exception):
                left = (broker.state(queue) or (None,))[0]
                dead = (broker.state(f"{service}.dead-letters") or (None,))[0]
            broker.close()
        if watcher is not None:
            watcher.close()
    checks, uncounted = counted(database_url, service)
    checks |= {"left_in_queue": left, "dead_lettered": dead, "exit_code": code}
    logged = log_path.read_text(errors="replace")
    log_path.unlink(missing_ok=True)
    problem = problem or uncounted or consumer_checks(key, checks, confirmed, events) or log_problem(logged)
    if problem is not None:  # what the consumer said, for a look
        problem += "\n  its log's last lines:\n" + "\n".join(logged.splitlines()[-LOG_LINES:])
    if "before" not in window:
        window = {"before": consumer_snapshot(process.pid), "started": 0.0, "ended": 0.0}
    window.setdefault("after", window["before"])
    used = consumer_spent(window["before"], window["after"])
    if uncounted:
        done = 0
    elif key == "inbox consumer":
        done = checks["inbox"]
    else:  # acked: published and confirmed, neither left in the queue nor dead-lettered
        done = max(0, confirmed - (left or 0) - checks["dead_letters"])
    found = row(
        key, label, CONSUMER_TITLES[key], "event", events, done, window["ended"] - window["started"],
        {"server": used["consumer"], "not_ours": used["not_ours"]}, problem,
        checks=checks, max_workers=max_workers, consumer_idle_share=idle,
    )  # fmt: skip
    exact = found["exact"] and events
    found |= {
        "rabbitmq_ms": round(used["rabbitmq"] * 1000 / events, 3) if exact else None,
        "postgres_ms": round(used["postgres"] * 1000 / events, 3) if exact else None,
        "at_rest_ms": round(idle * found["seconds"] * 1000 / events, 3)
        if exact and idle is not None
        else None,
    }
    return found


def counted(database_url, service):
    """({"inbox", "registrants", "dead_letters"}: the rows of the consumer's schema, None, or (None for each,
    why) when they could not be counted (say, the consumer never applied its migrations)."""
    names = ("inbox", "registrants", "dead_letters")
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            found = conn.execute(
                "SELECT " + ", ".join(f"(SELECT count(*) FROM {service}.{name})" for name in names)
            ).fetchone()
    except psycopg.Error as exc:
        return dict.fromkeys(names), f"the rows could not be counted: {type(exc).__name__}: {exc}"
    return dict(zip(names, found, strict=True)), None


def consumer_checks(key, checks, confirmed, events):
    """What the counts afterwards say went wrong (None: every event acked once, none dead-lettered)."""
    wrong = []
    if confirmed != events:
        wrong.append(f"{confirmed} of {events} published")
    if checks["left_in_queue"] != 0:
        wrong.append(f"{checks['left_in_queue']} left in the queue")
    if checks["dead_lettered"] or checks["dead_letters"]:
        wrong.append(f"dead letters {checks['dead_letters']} recorded, {checks['dead_lettered']} queued")
    if key == "inbox consumer":
        wrong += [f"{name} {checks[name]}" for name in ("inbox", "registrants") if checks[name] != events]
    elif checks["inbox"] or checks["registrants"]:
        wrong.append("a consumer that does nothing wrote rows")
    return f"counted afterwards: {', '.join(wrong)}" if wrong else None


def consumer_floors(args, amqp=LOCAL_AMQP, api=LOCAL_RABBIT_API, server=LOCAL_POSTGRES):
    """3a and 3b, each on a vhost of its own and in a scratch database of its own (removed after)."""
    rows = []
    vhosts = Vhosts(api)
    for key, *_ in CONSUMER_VARIANTS:
        vhost, name = vhosts.create(), scratch_name("bench")
        try:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            rows.append(
                consumer_run(
                    with_vhost(amqp, vhost),
                    with_database(server, name),
                    key,
                    args.floor_events,
                    args.floor_time_limit,
                    getattr(args, "max_workers", MAX_WORKERS),
                )
            )
        finally:
            vhosts.delete(vhost)
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return rows


# --- the part ----------------------------------------------------------------------------------------------


def broker_floors(args, amqp=LOCAL_AMQP, api=LOCAL_RABBIT_API):
    """The three RabbitMQ variants on a vhost of their own (made with the management API ``api``, deleted
    after); (rows, the broker's share of a core at rest)."""
    vhosts = Vhosts(api)
    vhost = vhosts.create()
    try:
        idle = idle_share(RABBITMQ)
        url = with_vhost(amqp, vhost)
        rows = [broker_run(url, key, args.floor_events, args.floor_time_limit) for key, *_ in BROKER_VARIANTS]
        return at_rest(rows, idle), idle
    finally:
        vhosts.delete(vhost)


def database_floors(args, server=LOCAL_POSTGRES):
    """2a-2c in a scratch database of the PostgreSQL ``server`` (dropped after); (rows, checks, its share of
    a core at rest)."""
    name = scratch_name("bench")  # a killed run's is recognised and dropped by the next (harness.testing)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        idle = idle_share(POSTGRES)
        rows, checks = database_runs(
            with_database(server, name),
            args.floor_registrations,
            args.floor_connections,
            args.floor_time_limit,
        )
        return at_rest(rows, idle), checks, idle
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(args, ping_cpu_ms=None, amqp=LOCAL_AMQP, api=LOCAL_RABBIT_API, server=LOCAL_POSTGRES):
    """The part: prints its table, returns its summary (the results file's "floors"). ``ping_cpu_ms``: the
    platform's CPU per ping in the same run, for the budget (None: unknown)."""
    print(
        "\nfloors: RabbitMQ and PostgreSQL alone, raw clients; then a nameko consumer alone ...", flush=True
    )
    rows, summary = (
        [],
        {
            "events": args.floor_events,
            "registrations": args.floor_registrations,
            "connections": args.floor_connections,
            "batch": BATCH,
            "prefetch": PREFETCH,
            "message_bytes": len(json.dumps(envelope(str(uuid.uuid4()), 0), ensure_ascii=False).encode()),
            "rabbitmq_idle_share": None,
            "postgres_idle_share": None,
            "checks": None,
            "max_workers": getattr(args, "max_workers", MAX_WORKERS),
        },
    )
    if args.floor_events:
        found, summary["rabbitmq_idle_share"] = broker_floors(args, amqp, api)
        rows += found
    if args.floor_registrations:
        found, summary["checks"], summary["postgres_idle_share"] = database_floors(args, server)
        rows += found
    if args.floor_events:  # after the servers alone: these need both
        rows += consumer_floors(args, amqp, api, server)
    summary |= {"rows": rows} | floor_sums(rows, ping_cpu_ms)
    print_floors(summary)
    return summary
