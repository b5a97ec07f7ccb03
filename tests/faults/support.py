"""Seeding subscribers and counting what the SMTP sink received, cheaply, for thousands of messages."""

import uuid
from collections import Counter

import psycopg

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
