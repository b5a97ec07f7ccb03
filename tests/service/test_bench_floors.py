"""The benchmark's floors part (bench/floors.py) against the real RabbitMQ and PostgreSQL, with small counts:
every message reaches each of the three consumers exactly once, every registration is written once, the
servers' CPU is counted, a nameko consumer in a process of its own acks every event once (and its inbox
holds one row each), and the vhosts, the databases and the consumer's process it made are gone afterwards."""

import argparse
import os

import psycopg
import requests

from bench import floors  # the repository is on pytest's path (pyproject.toml): bench/ needs no install

EVENTS = REGISTRATIONS = 300
CONSUMED = 200  # events through each nameko consumer


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
    assert [row["label"] for row in summary["rows"]] == ["1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b"]
    added = [each for entry in summary["sums"] for each in entry["with_consumers"]]
    assert len(added) == 6 and all(each["ms"] > 0 and each["over_budget"] is not None for each in added)
    printed = capsys.readouterr().out
    assert "floor of a registration with the email pipeline stopped" in printed
    assert "with the two consumers' own processes at their least" in printed


def ours_in(server, api):
    """The scratch databases and vhosts this process made that are still there."""
    with psycopg.connect(server, autocommit=True) as conn:
        databases = [found[0] for found in conn.execute("SELECT datname FROM pg_database").fetchall()]
    vhosts = [vhost["name"] for vhost in requests.get(f"{api.rstrip('/')}/api/vhosts", timeout=10).json()]
    return ours(databases, "bench") | ours(vhosts, "test")


def recording(monkeypatch):
    """The consumers' processes, as floors.start_consumer starts them."""
    started, start = [], floors.start_consumer

    def start_and_keep(*args):
        started.append(start(*args))
        return started[-1]

    monkeypatch.setattr(floors, "start_consumer", start_and_keep)
    return started


def test_a_nameko_consumer_acks_every_event_once_and_its_process_vhost_and_database_are_gone(
    rabbit_server, postgres_server, monkeypatch
):
    amqp, api = rabbit_server
    started = recording(monkeypatch)
    rows = floors.consumer_floors(options(floor_events=CONSUMED), amqp=amqp, api=api, server=postgres_server)
    assert [row["label"] for row in rows] == ["3a", "3b"]
    for row in rows:
        assert row["exact"], row["problem"]
        assert row["done"] == row["count"] == CONSUMED and row["per"] == "event"
        assert row["ms"] > 0 and row["rabbitmq_ms"] > 0 and row["max_workers"] == 32
        assert row["checks"]["left_in_queue"] == 0 and row["checks"]["dead_lettered"] == 0
        assert row["checks"]["dead_letters"] == 0 and row["checks"]["exit_code"] == 0
    idle, inbox = rows
    assert idle["checks"]["inbox"] == idle["checks"]["registrants"] == 0
    assert inbox["checks"]["inbox"] == inbox["checks"]["registrants"] == CONSUMED  # each event handled once
    assert inbox["postgres_ms"] > 0
    assert len(started) == 2 and all(process.poll() is not None for process in started)
    assert not ours_in(postgres_server, api)


def test_events_the_consumer_does_not_accept_make_a_failed_run_without_a_figure(
    rabbit_server, postgres_server, monkeypatch
):
    amqp, api = rabbit_server
    started = recording(monkeypatch)
    monkeypatch.setattr(floors, "CONSUMER_VARIANTS", floors.CONSUMER_VARIANTS[1:])  # 3b alone
    environment = floors.consumer_env
    monkeypatch.setattr(floors, "consumer_env", lambda *args: environment(*args) | {"SECRET_KEY": "another"})
    (row,) = floors.consumer_floors(options(floor_events=50), amqp=amqp, api=api, server=postgres_server)
    assert not row["exact"] and row["ms"] is None and row["done"] == 0
    assert row["problem"].startswith("counted afterwards: dead letters 50 recorded")
    assert "missing or invalid" in row["problem"]  # the consumer's log, with it
    assert all(process.poll() is not None for process in started)
    assert not ours_in(postgres_server, api)
