"""Seeding subscribers and counting what the SMTP sink received, cheaply, for thousands of messages; a
burst of registrations from client threads, and counting what it left (rows, events, emails by kind)."""

import email.parser
import email.policy
import threading
import time
import uuid
from collections import Counter

import psycopg
import requests
from e2e.client import Bus  # the e2e tier's integrator queue

from harness.testing import wait_until

ENVELOPE_TO = b"X-Envelope-To: "  # written by deploy/smtp_sink.py at the top of every stored message


def seed_subscribers(database_url, count):
    """``count`` confirmed subscribers at a domain of their own (COPY, as the fan-out tests do)."""
    domain = f"faults-{uuid.uuid4().hex[:8]}.example.org"
    addresses = [f"sub-{n}@{domain}" for n in range(count)]
    with psycopg.connect(database_url, options="-c search_path=notification") as conn:
        columns = "subscription_id, person_id, email, first_name, last_name, locale, status, as_of"
        with conn.cursor().copy(f"COPY subscribers ({columns}) FROM STDIN") as copy:
            for address in addresses:
                copy.write_row((uuid.uuid4(), uuid.uuid4(), address, "Fan", "Martin", "fr", "confirmed",
                                "2026-01-01T00:00:00Z"))  # fmt: skip
    return addresses


def remove_subscribers(database_url, addresses):
    with psycopg.connect(database_url, options="-c search_path=notification") as conn:
        conn.execute("DELETE FROM subscribers WHERE email = ANY(%s)", (list(addresses),))


_seen = {}  # path -> recipient: each stored file is read once


def received(sink):
    """How many messages each recipient got so far."""
    new = sink.directory / "new"
    for path in new.iterdir() if new.exists() else ():
        if path not in _seen:
            with open(path, "rb") as file:
                head = file.read(1024)
            line = next((line for line in head.split(b"\r\n") if line.startswith(ENVELOPE_TO)), b"")
            _seen[path] = line[len(ENVELOPE_TO) :].decode().strip().lower()
    mine = str(sink.directory)
    return Counter(address for path, address in _seen.items() if str(path).startswith(mine))


def statuses(database_url, forum_id):
    """The delivery log's rows of a forum's announcement, by status."""
    with psycopg.connect(database_url, options="-c search_path=notification") as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM deliveries WHERE forum_id = %s AND template = 'forum_announced'"
            " GROUP BY status",
            (forum_id,),
        ).fetchall()
    return dict(rows)


# --- A burst of registrations, and what it should have left behind ---------------------------------


class Registrant:
    """One client of a burst: registers new people until told to stop, each request with an
    ``Idempotency-Key`` of its own. Keeps every answer (status, whether it said Retry-After, whether it
    came later than ``bound`` seconds), what was registered (address -> registration id) and the requests
    that failed (a 503, a connection error) with their keys, to try again once the platform is back."""

    def __init__(self, url, bound, pause=0.3):
        self.url, self.bound, self.pause = url, bound, pause
        self.answers, self.retried = Counter(), Counter()
        self.registered, self.failed, self.refused = {}, [], []

    def send(self, body, key):
        """(status, answer) of one request; status is the exception's name when there was no answer."""
        started = time.monotonic()
        try:
            answer = requests.post(self.url, json=body, headers={"Idempotency-Key": key}, timeout=30)
        except requests.RequestException as exc:
            return type(exc).__name__, None, time.monotonic() - started > self.bound
        return answer.status_code, answer, time.monotonic() - started > self.bound

    def run(self, until):
        while time.monotonic() < until:
            tag = uuid.uuid4().hex[:12]
            body = {"email": f"burst-{tag}@example.org", "first_name": "Ana", "last_name": f"B {tag[:4]}"}
            body |= {"stakeholder_group": "citizen", "locale": "fr"}
            key = str(uuid.uuid4())
            status, answer, late = self.send(body, key)
            retry_after = answer is not None and answer.headers.get("Retry-After") is not None
            self.answers[(status, retry_after, late)] += 1
            if status == 201:
                self.registered[body["email"]] = answer.json()["id"]
            elif status == 503 or answer is None:
                self.failed.append((body, key))
                if answer is None:
                    time.sleep(self.pause)  # nothing listens: a client waits a little before the next
            else:
                self.refused.append((status, answer.text[:300]))

    def retry(self, with_key=True):
        """Each failed request once more, with its own key (as a careful client does); the answers'
        statuses counted in ``retried``, the 201s added to ``registered``."""
        for body, key in self.failed:
            status, answer, _ = self.send(body, key if with_key else str(uuid.uuid4()))
            self.retried[status] += 1
            if status == 201:
                self.registered[body["email"]] = answer.json()["id"]
            else:
                self.refused.append((status, answer.text[:300] if answer is not None else ""))


def burst(url, clients, seconds, bound, fault):
    """``clients`` threads register for ``seconds``; ``fault()`` runs in this thread meanwhile, and what
    it returns is returned with the clients once they all stopped."""
    registrants = [Registrant(url, bound) for _ in range(clients)]
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=registrant.run, args=(until,), daemon=True) for registrant in registrants
    ]
    for thread in threads:
        thread.start()
    try:
        outcome = fault()
    finally:
        for thread in threads:
            thread.join(seconds + 60)
    assert not any(thread.is_alive() for thread in threads), "a client is stuck"
    return registrants, outcome


def answers(registrants):
    return sum((registrant.answers for registrant in registrants), Counter())


def stored(database_url, forum_id):
    """The forum's registrations: address -> (registration id, how many rows carry that address)."""
    with psycopg.connect(database_url, options="-c search_path=registration") as conn:
        rows = conn.execute(
            "SELECT lower(email), min(id::text), count(*) FROM registrations WHERE forum_id = %s GROUP BY 1",
            (forum_id,),
        ).fetchall()
    return {address: (registration_id, n) for address, registration_id, n in rows}


def confirmations(bus, forum_id):
    """What an integrator's queue received of the forum's ``registration_confirmed`` events:
    (registration id -> set of distinct event ids, how many deliveries repeated an event id)."""
    events = {}
    deliveries = Counter()
    for delivery in bus.poll():
        if delivery.routing_key != "registration_confirmed":
            continue
        envelope = delivery.envelope
        if envelope["data"]["forum"]["id"] != forum_id:
            continue
        events.setdefault(envelope["data"]["registration_id"], set()).add(envelope["id"])
        deliveries[envelope["id"]] += 1
    return events, sum(n - 1 for n in deliveries.values())


_kinds = {}  # path -> (recipient, Message-ID)


def received_by_kind(sink, database_url):
    """How many messages each (recipient, kind) got so far; the kind is the delivery log's template of
    the message's Message-ID (``unknown`` for a message the log does not know)."""
    new = sink.directory / "new"
    for path in new.iterdir() if new.exists() else ():
        if path not in _kinds:
            head = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(path.read_bytes())
            _kinds[path] = (head["X-Envelope-To"].strip().lower(), str(head["Message-ID"]).strip())
    mine = str(sink.directory)
    found = [value for path, value in _kinds.items() if str(path).startswith(mine)]
    with psycopg.connect(database_url, options="-c search_path=notification") as conn:
        rows = conn.execute(
            "SELECT message_id, template FROM deliveries WHERE message_id = ANY(%s)",
            ([message_id for _, message_id in found],),
        ).fetchall()
    templates = dict(rows)
    return Counter((recipient, templates.get(message_id, "unknown")) for recipient, message_id in found)


def failed_deliveries(database_url, forum_id):
    with psycopg.connect(database_url, options="-c search_path=notification") as conn:
        return conn.execute(
            "SELECT recipient, template, attempts, last_error FROM deliveries"
            " WHERE forum_id = %s AND status = 'failed'",
            (forum_id,),
        ).fetchall()


def mail_trail(database_url, sink, addresses):
    """Where the mail of ``addresses`` stands, for a test that waited for it in vain: who got nothing,
    the registration outbox's unpublished events, and the delivery log's rows for them by status."""
    missing = sorted(set(addresses) - set(received(sink)))
    with psycopg.connect(database_url) as conn:
        unpublished = conn.execute("SELECT count(*) FROM registration.outbox WHERE published_at IS NULL")
        logged = conn.execute(
            "SELECT status, count(*) FROM notification.deliveries WHERE lower(recipient) = ANY(%s) GROUP BY 1",
            (missing,),
        )
        unpublished, logged = unpublished.fetchone()[0], dict(logged.fetchall())
    return (
        f"{len(missing)} of {len(set(addresses))} got nothing (e.g. {missing[:3]}); unpublished events in"
        f" the registration outbox: {unpublished}; their delivery log rows by status: {logged}"
    )


def check_counts(database_url, bus, sink, forum_id, registrants, timeout=60):
    """What a burst must leave, once every client retried its failures: every registration a client was
    answered 201 for stored once (and nothing else stored), one ``registration_confirmed`` event (one
    event id; a repeated delivery of it is allowed) per stored registration on the integrator's queue,
    and one confirmation email per registrant, no other email. Returns (registrations, repeated event
    deliveries) for the test to report."""
    registered = {}
    for registrant in registrants:
        registered |= registrant.registered
    rows = stored(database_url, forum_id)
    assert {address: n for address, (_, n) in rows.items() if n != 1} == {}, "a registration stored twice"
    assert set(rows) == set(registered), (
        f"stored and not answered 201: {sorted(set(rows) - set(registered))[:5]}; "
        f"answered 201 and not stored: {sorted(set(registered) - set(rows))[:5]}"
    )
    given = {address: rows[address][0] for address in registered}
    assert given == registered  # the ids the clients were given

    ids = {registration_id for registration_id, _ in rows.values()}
    wait_until(lambda: ids <= set(confirmations(bus, forum_id)[0]), timeout, interval=0.5,
               message=f"registration_confirmed of each of {len(ids)} registrations")  # fmt: skip
    wait_until(lambda: set(received(sink)) >= set(registered), timeout, interval=0.5,
               message=lambda: f"an email to each registrant: {mail_trail(database_url, sink, registered)}")  # fmt: skip
    time.sleep(2.0)  # a repeat on its way (an event published again, a message sent again) arrives by now
    events, repeated = confirmations(bus, forum_id)
    assert set(events) == ids, f"events for registrations not stored: {sorted(set(events) - ids)[:5]}"
    assert {rid: sorted(event_ids) for rid, event_ids in events.items() if len(event_ids) != 1} == {}
    kinds = received_by_kind(sink, database_url)
    theirs = {(address, kind): n for (address, kind), n in kinds.items() if address in registered}
    assert theirs == {(address, "registration_confirmed"): 1 for address in registered}, {
        key: n for key, n in theirs.items() if n != 1 or key[1] != "registration_confirmed"
    }
    return len(registered), repeated


def retry_failures(registrants, database_url, forum_id):
    """Every client sends its failed requests again, with their keys. Returns the retries' statuses and
    how many of those requests had been stored all the same (committed, the answer lost): without the
    key, those would be refused as already registered."""
    failed = {body["email"] for registrant in registrants for body, _ in registrant.failed}
    committed = len(failed & set(stored(database_url, forum_id)))
    for registrant in registrants:
        registrant.retry()
    return sum((registrant.retried for registrant in registrants), Counter()), committed


# What a client may see while a process is killed: a 201, a 503 with Retry-After, or no answer at all
# (a connection cut or refused); never a 500, never later than the RPC timeout.
KILL_ANSWERS = {(201, False, False), (503, True, False), ("ConnectionError", False, False)}


def killed_mid_burst(api, stack, mail, amqp_uri, name, down_seconds, rpc_timeout, clients=8, seconds=14):
    """``kill -9`` of the ``name`` process 3 s into a burst of registrations, started again after
    ``down_seconds`` (see ``broken_mid_burst``)."""

    def fault():
        time.sleep(3)
        stack.kill(name)
        time.sleep(down_seconds)
        stack.start(name)
        stack.wait_ready()

    return broken_mid_burst(api, stack, mail, amqp_uri, f"{name} killed", fault, KILL_ANSWERS, rpc_timeout,
                            clients, seconds)  # fmt: skip


def broken_mid_burst(api, stack, mail, amqp_uri, what, fault, allowed, rpc_timeout, clients=8, seconds=14):
    """A burst of registrations by ``clients`` for ``seconds``, with ``fault()`` run meanwhile (it returns
    once the platform is ready again); each answer must be one of ``allowed`` (status, said Retry-After,
    came past the RPC timeout). Then each client retries its failures with their Idempotency-Key (each
    must get 201) and rows, events and emails are counted (``check_counts``). Returns (answers during the
    burst, answers to the retries, how many retried requests had been stored already, registrations,
    repeated deliveries)."""
    bus = Bus(amqp_uri)  # bound before anything is registered
    try:
        forum = api.create_forum(capacity=100_000)
        url = api.url(f"/forums/{forum['id']}/registrations")
        registrants, _ = burst(url, clients, seconds, rpc_timeout + 1, fault)
        during = answers(registrants)
        assert set(during) <= allowed, during
        assert [registrant.refused for registrant in registrants if registrant.refused] == []
        retried, committed = retry_failures(registrants, stack.env["DATABASE_URL"], forum["id"])
        assert set(retried) == {201}, (retried, [r.refused[:3] for r in registrants if r.refused])
        total, repeated = check_counts(stack.env["DATABASE_URL"], bus, mail, forum["id"], registrants)
        print(f"\n{what}: answers {dict(during)}; retried {dict(retried)}, {committed} of them already"
              f" stored; {total} registrations; {repeated} repeated event deliveries")  # fmt: skip
        return during, retried, committed, total, repeated
    finally:
        bus.close()
