"""The benchmark's floors part (bench/floors.py) against the real RabbitMQ and PostgreSQL, with small counts:
every message reaches each of the three consumers exactly once, every registration is written once, the
servers' CPU is counted, and the vhost and the database it made are gone afterwards."""

import argparse
import os

import psycopg
import requests

from bench import floors  # the repository is on pytest's path (pyproject.toml): bench/ needs no install

EVENTS = REGISTRATIONS = 300


def options(**changes):
    return argparse.Namespace(
        **{
            "floor_events": EVENTS,
            "floor_registrations": REGISTRATIONS,
            "floor_connections": 4,
            "floor_time_limit": 60.0,
        }
        | changes
    )


def ours(names, kind):
    return {name for name in names if name.startswith(f"opendetat_{kind}_{os.getpid()}_")}


def test_each_consumer_gets_every_event_once_on_each_kind_of_queue_and_the_vhost_is_removed(rabbit_server):
    amqp, api = rabbit_server
    rows, idle = floors.broker_floors(options(), amqp=amqp, api=api)
    assert [row["label"] for row in rows] == ["1a", "1b", "1c"]
    for row in rows:
        assert row["exact"], row["problem"]
        assert row["received"] == row["distinct"] == [EVENTS] * 3
        assert row["cpu_s"] > 0 and row["ms"] > 0 and row["per"] == "event"
    assert idle >= 0
    left = [vhost["name"] for vhost in requests.get(f"{api.rstrip('/')}/api/vhosts", timeout=10).json()]
    assert not ours(left, "test")


def test_a_consumer_that_cannot_get_every_event_in_time_is_a_failed_run_without_a_figure(
    rabbit_server, vhosts
):
    vhost = vhosts.create()
    try:
        url = floors.with_vhost(rabbit_server[0], vhost)
        row = floors.broker_run(url, "quorum", EVENTS, time_limit=0.05)
    finally:
        vhosts.delete(vhost)
    assert not row["exact"] and row["ms"] is None and row["problem"]


def test_every_registration_is_written_once_and_every_event_marked_and_consumed(postgres_server):
    rows, checks, idle = floors.database_floors(options(), server=postgres_server)
    assert [row["label"] for row in rows] == ["2a", "2b", "2c"]
    for row in rows:
        assert row["exact"], row["problem"]
        assert row["done"] == row["count"] == REGISTRATIONS
    assert checks == {
        "registrations": REGISTRATIONS,
        "confirmed_count": REGISTRATIONS,
        "people": REGISTRATIONS,
        "idempotency_keys": REGISTRATIONS,
        "outbox": REGISTRATIONS,
        "published": REGISTRATIONS,
        "inbox": REGISTRATIONS,
        "registrants": REGISTRATIONS,
    }
    by_key = {row["key"]: row for row in rows}
    # 300 statements each: at least a few clock ticks of the servers' CPU; the relay's 6 UPDATEs may take less
    assert by_key["registration"]["ms"] > 0 and by_key["consumer"]["ms"] > 0
    assert by_key["relay"]["ms"] >= 0
    assert by_key["registration"]["backends_ms"] > 0
    assert idle >= 0
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        names = [found[0] for found in conn.execute("SELECT datname FROM pg_database").fetchall()]
    assert not ours(names, "bench")


def test_the_part_sums_its_floors_and_compares_them_with_the_budget(rabbit_server, postgres_server, capsys):
    amqp, api = rabbit_server
    summary = floors.measure(
        options(floor_events=100, floor_registrations=100), 2.4, amqp=amqp, api=api, server=postgres_server
    )
    assert summary["budget_ms"] == 1.6
    assert all(entry["ms"] is not None and entry["over_budget"] is not None for entry in summary["sums"])
    assert "floor of a registration with the email pipeline stopped" in capsys.readouterr().out
