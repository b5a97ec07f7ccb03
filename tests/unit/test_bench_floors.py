"""The floors part's bookkeeping (bench/floors.py): the budget, the floor sums, what makes a run exact, and
how the report and docs/benchmarks.md show them. No broker, no database: the rows are made up here."""

import json

import pytest

from bench import floors, report

USED = {"server": 0.0, "backends": 0.0, "own": 0.0, "not_ours": 0.1}


def measured(key, label, ms, count=1000, problem=None, done=None):
    """A row as floors.row() makes it, with ``ms`` of server CPU per unit."""
    title = floors.BROKER_TITLES.get(key) or floors.DATABASE_TITLES.get(key) or floors.CONSUMER_TITLES[key]
    used = USED | {"server": ms * count / 1000}
    per = "registration" if key == "registration" else "event"
    done = count if done is None else done
    return floors.row(key, label, title, per, count, done, 2.0, used, problem)


def sample_rows(quorum_problem=None):
    return [
        measured("quorum", "1a", 0.9, problem=quorum_problem),
        measured("quorum multiple", "1b", 0.5),
        measured("classic", "1c", 0.7),
        measured("registration", "2a", 0.3),
        measured("relay", "2b", 0.02),
        measured("consumer", "2c", 0.1),
    ]


def consumer(key, label, ms, problem=None):
    """A consumer's row as floors.consumer_run() makes it: ``ms`` of its process's CPU per event."""
    found = measured(key, label, ms, problem=problem)
    exact = found["exact"]
    return found | {
        "checks": {"inbox": 1000 if key == "inbox consumer" else 0, "left_in_queue": 0},
        "max_workers": 32,
        "consumer_idle_share": 0.004,
        "rabbitmq_ms": 0.45 if exact else None,
        "postgres_ms": (0.21 if key == "inbox consumer" else 0.0) if exact else None,
        "at_rest_ms": 0.008 if exact else None,
    }


def with_consumers(rows=None, idle_problem=None):
    """The sample rows and the two consumers': 3a 0.25 ms (2 x = 0.5), 3b 0.4 ms (2 x = 0.8)."""
    return (rows or sample_rows()) + [
        consumer("idle consumer", "3a", 0.25, problem=idle_problem),
        consumer("inbox consumer", "3b", 0.4),
    ]


def summary(rows, ping_cpu_ms):
    found = {
        "events": 1000,
        "registrations": 1000,
        "connections": 4,
        "batch": 50,
        "prefetch": 100,
        "message_bytes": 1200,
        "rabbitmq_idle_share": 0.02,
        "postgres_idle_share": 0.0,
        "checks": {"registrations": 1000, "confirmed_count": 1000},
        "max_workers": 32,
        "rows": rows,
    }
    return found | floors.floor_sums(rows, ping_cpu_ms)


def test_the_budget_is_what_a_registration_may_cost_beyond_a_ping_at_the_goal():
    assert floors.budget(2.1) == pytest.approx(1.4)
    assert floors.budget(3.0, goal=0.5) == pytest.approx(3.0)
    assert floors.budget(None) is None


def test_the_ping_cpu_is_the_single_ping_phase_of_the_http_part():
    http = {
        "phases": [
            {"key": "pipeline", "cpu_ms_per_request_total": 17.0},
            {"key": "ping x2", "cpu_ms_per_request_total": 2.9},
            {"key": "ping", "cpu_ms_per_request_total": 2.12},
        ]
    }
    assert floors.ping_cpu(http) == 2.12
    assert floors.ping_cpu(None) is None
    assert floors.ping_cpu({"phases": [{"key": "pipeline", "cpu_ms_per_request_total": 17.0}]}) is None


def test_a_floor_is_the_broker_plus_the_registration_the_mark_and_two_consumers():
    found = floors.floor_sums(sample_rows(), ping_cpu_ms=2.4)  # budget 1.6
    assert found["postgres_ms"] == pytest.approx(0.3 + 0.02 + 2 * 0.1)
    assert found["budget_ms"] == pytest.approx(1.6)
    sums = {entry["label"]: entry for entry in found["sums"]}
    assert sums["1a"]["ms"] == pytest.approx(0.9 + 0.52)
    assert sums["1b"]["ms"] == pytest.approx(0.5 + 0.52)
    assert sums["1c"]["ms"] == pytest.approx(0.7 + 0.52)
    assert [sums[label]["over_budget"] for label in ("1a", "1b", "1c")] == [False, False, False]
    assert sums["1b"]["share_of_budget"] == pytest.approx(1.02 / 1.6, abs=0.001)
    tight = floors.floor_sums(sample_rows(), ping_cpu_ms=2.0)  # budget 1.333
    assert [entry["over_budget"] for entry in tight["sums"]] == [True, False, False]


def test_a_failed_part_leaves_its_sums_unknown_and_an_unknown_ping_leaves_the_budget_unknown():
    found = floors.floor_sums(sample_rows(quorum_problem="topics: 999 received"), ping_cpu_ms=2.4)
    sums = {entry["label"]: entry for entry in found["sums"]}
    assert sums["1a"]["ms"] is None and sums["1a"]["over_budget"] is None
    assert sums["1b"]["ms"] == pytest.approx(1.02)
    no_consumer = [row for row in sample_rows() if row["key"] != "consumer"]
    assert all(entry["ms"] is None for entry in floors.floor_sums(no_consumer, 2.4)["sums"])
    unknown = floors.floor_sums(sample_rows(), ping_cpu_ms=None)
    assert unknown["budget_ms"] is None
    assert all(entry["over_budget"] is None and entry["ms"] is not None for entry in unknown["sums"])


def test_only_an_exact_run_gets_a_figure():
    good = measured("quorum", "1a", 0.9)
    assert good["exact"] and good["ms"] == pytest.approx(0.9) and good["problem"] is None
    short = measured("quorum", "1a", 0.9, done=998)
    assert not short["exact"] and short["ms"] is None and short["problem"] == "998 of 1000 done"
    refused = measured("registration", "2a", 0.3, problem="RuntimeError: took no seat")
    assert not refused["exact"] and refused["ms"] is None and "took no seat" in refused["problem"]


def test_a_consumer_that_missed_or_got_a_message_twice_is_not_exact():
    consumer = floors.Consumer(None, "q.topics", 3, 100, 1, deadline=0)
    consumer.seen, consumer.received, consumer.left = {"a", "b", "c"}, 3, 0
    assert consumer.outcome() is None
    consumer.seen, consumer.received = {"a", "b"}, 3  # one redelivered, one never came
    assert consumer.outcome() == "q.topics: 3 received, 2 distinct, of 3"
    consumer.seen, consumer.received = {"a", "b"}, 2
    assert consumer.outcome() == "q.topics: 2 received, 2 distinct, of 3 (time limit)"
    consumer.seen, consumer.received, consumer.left = {"a", "b", "c"}, 3, 4
    assert consumer.outcome() == "q.topics: 4 messages left in the queue"


def test_the_servers_at_rest_are_counted_per_unit_of_each_window():
    rows = floors.at_rest([measured("quorum", "1a", 0.9), measured("classic", "1c", 0.7, done=10)], idle=0.05)
    assert rows[0]["at_rest_ms"] == pytest.approx(0.05 * 2.0 * 1000 / 1000)
    assert rows[1]["at_rest_ms"] is None


def test_the_message_is_an_event_envelope_of_about_1_2_kb():
    body = floors.envelope("forum-id", 7)
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert 1150 <= len(raw) <= 1250
    assert body["type"] == "registration_confirmed" and body["data"]["forum"]["id"] == "forum-id"
    assert body["id"] != floors.envelope("forum-id", 7)["id"]


def test_the_report_prints_each_figure_the_sums_and_which_exceed_the_budget(capsys):
    report.print_floors(summary(sample_rows(), ping_cpu_ms=2.0))
    printed = capsys.readouterr().out
    assert "RabbitMQ: quorum queues, one ack per message (as the services do)" in printed
    assert "0.900 event" in printed
    assert "0.900 + 0.520 = 1.420 ms: OVER the budget (106 % of it)" in printed
    assert "0.500 + 0.520 = 1.020 ms: within the budget (76 % of it)" in printed
    assert "= 1.33 ms more than a ping" in printed
    assert "floor sums over the budget: 1a" in printed


def test_the_report_says_when_the_budget_is_unknown_and_which_run_failed(capsys):
    report.print_floors(summary(sample_rows(quorum_problem="topics: 999 received"), ping_cpu_ms=None))
    printed = capsys.readouterr().out
    assert "1a FAILED: topics: 999 received" in printed
    assert "budget unknown: the http part did not run" in printed
    assert "floor sums over the budget" not in printed
    assert "= 1.020 ms: budget unknown" in printed


def test_the_docs_get_the_floors_table_and_the_sums_when_the_run_had_them():
    from tests.unit.test_bench_report import result_of, sample_records

    result = result_of(sample_records())
    assert "Floors" not in report.render_markdown(result, "r.json")
    result["floors"] = summary(sample_rows(quorum_problem="topics: 999 received"), ping_cpu_ms=2.4)
    text = report.render_markdown(result, "r.json")
    assert "| 1b RabbitMQ: quorum queues, one multiple ack per 50 messages | 0.500 | event |" in text
    assert "| 1a RabbitMQ: quorum queues, one ack per message (as the services do) | failed | event |" in text
    assert (
        "| 2c PostgreSQL: one consumer's event: inbox row + one upsert, one statement | 0.100 | event |"
        in text
    )
    assert "= 1.60 ms more than a ping" in text
    assert "| 1c classic queues, one ack per message | 1.220 | within the budget (76 % of it) |" in text


def test_the_python_floor_is_two_consumers_processes_added_to_each_servers_floor():
    found = floors.floor_sums(with_consumers(), ping_cpu_ms=2.4)  # budget 1.6; servers 1.42, 1.02, 1.22
    assert [(each["label"], each["python_ms"]) for each in found["consumers"]] == [("3a", 0.5), ("3b", 0.8)]
    sums = {entry["label"]: entry for entry in found["sums"]}
    assert sums["1b"]["ms"] == pytest.approx(1.02)  # the servers' floor is as before
    added = {(label, each["label"]): each for label in sums for each in sums[label]["with_consumers"]}
    assert added["1a", "3a"]["ms"] == pytest.approx(1.42 + 0.5)
    assert added["1b", "3a"]["ms"] == pytest.approx(1.02 + 0.5)
    assert added["1c", "3b"]["ms"] == pytest.approx(1.22 + 0.8)
    assert added["1b", "3a"]["python_ms"] == 0.5 and added["1b", "3b"]["python_ms"] == 0.8
    assert [added[label, "3a"]["over_budget"] for label in ("1a", "1b", "1c")] == [True, False, True]
    assert [added[label, "3b"]["over_budget"] for label in ("1a", "1b", "1c")] == [True, True, True]
    assert added["1b", "3a"]["share_of_budget"] == pytest.approx(1.52 / 1.6, abs=0.001)
    assert added["1b", "3b"]["share_of_budget"] == pytest.approx(1.82 / 1.6, abs=0.001)


def test_a_failed_or_missing_consumer_leaves_only_its_sums_unknown():
    found = floors.floor_sums(with_consumers(idle_problem="counted afterwards: 3 left in the queue"), 2.4)
    assert found["consumers"][0]["python_ms"] is None and found["consumers"][1]["python_ms"] == 0.8
    for entry in found["sums"]:
        idle, inbox = entry["with_consumers"]
        assert idle["ms"] is None and idle["over_budget"] is None
        assert inbox["ms"] == pytest.approx(entry["ms"] + 0.8)
    without = floors.floor_sums(sample_rows(), 2.4)  # a run without the consumers
    assert all(each["python_ms"] is None for each in without["consumers"])
    assert all(each["ms"] is None for entry in without["sums"] for each in entry["with_consumers"])
    assert [entry["over_budget"] for entry in without["sums"]] == [False, False, False]
    unknown = floors.floor_sums(with_consumers(), ping_cpu_ms=None)
    inbox = unknown["sums"][0]["with_consumers"][1]
    assert inbox["ms"] == pytest.approx(1.42 + 0.8) and inbox["over_budget"] is None


def test_a_consumer_run_is_exact_only_if_each_event_was_acked_once_and_none_dead_lettered():
    exact = {"inbox": 0, "registrants": 0, "dead_letters": 0, "left_in_queue": 0, "dead_lettered": 0}
    assert floors.consumer_checks("idle consumer", exact, 200, 200) is None
    inbox = exact | {"inbox": 200, "registrants": 200}
    assert floors.consumer_checks("inbox consumer", inbox, 200, 200) is None
    assert floors.consumer_checks("idle consumer", exact | {"left_in_queue": 3}, 200, 200) == (
        "counted afterwards: 3 left in the queue"
    )
    assert (
        floors.consumer_checks("idle consumer", exact, 150, 200) == "counted afterwards: 150 of 200 published"
    )
    bad = floors.consumer_checks("inbox consumer", inbox | {"dead_letters": 2, "inbox": 198}, 200, 200)
    assert bad == "counted afterwards: dead letters 2 recorded, 0 queued, inbox 198"
    assert floors.consumer_checks("idle consumer", inbox, 200, 200) == (
        "counted afterwards: a consumer that does nothing wrote rows"
    )


def test_a_warning_or_an_error_in_the_consumers_log_makes_the_run_inexact():
    quiet = (
        "/work/.venv/lib/python3.11/site-packages/nameko/containers.py:9: EventletDeprecationWarning:\n"
        "Eventlet is deprecated. It is currently being maintained in bugfix mode\n  import eventlet\n"
    )
    assert floors.log_problem(quiet) is None
    line = "2026-12-01 03:05:32,958 WARNING kit.handlers could not settle a registration_confirmed event"
    assert floors.log_problem(quiet + line + "\n") == f"the consumer logged: {line}"
    assert floors.log_problem("Traceback (most recent call last):\n  File x\n") == (
        "the consumer logged: Traceback (most recent call last):"
    )


def test_the_consumers_are_the_platforms_event_handler_with_one_database_each():
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from kit.db import Database
    from kit.handlers import EventHandler

    for _, _, name in floors.CONSUMER_VARIANTS:
        service = getattr(floors, name)
        (handler,) = getattr(service.handle, ENTRYPOINT_EXTENSIONS_ATTR)
        assert isinstance(handler, EventHandler)
        assert (handler.source_service, handler.event_type) == (floors.SOURCE, floors.ROUTING_KEY)
        assert [value for value in vars(service).values() if isinstance(value, Database)] == [service.db]
        assert service.db.schema == service.name
        assert (
            floors.consumer_queue(service.name)
            == f"evt-registration-registration_confirmed--{service.name}.handle"
        )


def test_the_report_shows_the_consumers_rows_and_the_floors_with_them(capsys):
    report.print_floors(summary(with_consumers(), ping_cpu_ms=2.4))
    printed = capsys.readouterr().out
    assert "3a  Python: a nameko consumer that does nothing" in printed
    assert (
        "3b: meanwhile RabbitMQ 0.450 ms per event, PostgreSQL 0.210 ms; the consumer at rest used 0 % of"
        in printed
    )
    assert "2 x 3a = 0.500 ms, 2 x 3b = 0.800 ms:" in printed
    assert (
        "  1b: + 2 x 3a = 1.520 ms: within the budget (95 % of it); + 2 x 3b = 1.820 ms: OVER the budget"
        " (114 % of it)" in printed
    )
    assert "floor sums over the budget: none" in printed  # the servers' alone
    assert (
        "Over the budget of 1.60 ms with the two consumers: 1a + 2 x 3a (1.92 ms), 1a + 2 x 3b (2.22 ms),"
        " 1b + 2 x 3b (1.82 ms), 1c + 2 x 3a (1.72 ms), 1c + 2 x 3b (2.02 ms); the cheapest (1b + 2 x 3a)"
        " leaves 0.08 ms for the gateway's POST, the RPC, the registration's handler and the relay."
        in printed
    )


def test_the_report_says_plainly_when_even_the_cheapest_floor_with_the_consumers_is_over_the_budget(capsys):
    report.print_floors(summary(with_consumers(), ping_cpu_ms=2.0))  # budget 1.33
    printed = capsys.readouterr().out
    assert (
        "Even the cheapest floor with the two consumers (1b + 2 x 3a, 1.52 ms) is over the budget of 1.33 ms:"
        in printed
    )
    report.print_floors(summary(with_consumers(), ping_cpu_ms=6.0))  # budget 4.0
    assert (
        "Every floor with the two consumers is within the budget of 4.00 ms; the cheapest (1b + 2 x 3a,"
        in (capsys.readouterr().out)
    )
    report.print_floors(summary(with_consumers(), ping_cpu_ms=None))
    printed = capsys.readouterr().out
    assert "+ 2 x 3b = 2.220 ms: budget unknown" in printed and "two consumers" in printed
    assert "Over the budget" not in printed and "Even the cheapest" not in printed
    report.print_floors(summary(sample_rows(), ping_cpu_ms=2.0))  # no consumers in the run: nothing of them
    printed = capsys.readouterr().out
    assert "3a" not in printed and "two consumers" not in printed


def test_the_docs_get_the_consumers_rows_and_a_table_of_the_floors_with_them():
    from tests.unit.test_bench_report import result_of, sample_records

    result = result_of(sample_records())
    result["floors"] = summary(with_consumers(idle_problem="the consumer exited (1)"), ping_cpu_ms=2.4)
    text = report.render_markdown(result, "r.json")
    assert "| 3a Python: a nameko consumer that does nothing" in text and "| failed | event |" in text
    assert (
        "| 3b Python: the same, its handler one kit.inbox.once statement" in text
        and "| 0.400 | event |" in text
    )
    assert "3a and 3b: one nameko consumer alone, its own process's CPU, MAX_WORKERS 32" in text
    assert "| RabbitMQ variant | servers, ms | + 2 × 3a | + 2 × 3b |" in text
    assert (
        "| 1b quorum queues, one multiple ack per 50 messages | 1.020 | n/a ms: unknown (a part failed or was not"
        " measured) | 1.820 ms: OVER the budget (114 % of it) |" in text
    )
    assert "Even the cheapest floor with the two consumers (1b + 2 × 3b, 1.82 ms) is over the budget" in text
    result["floors"] = summary(sample_rows(), ping_cpu_ms=2.4)
    assert "+ 2 × 3a" not in report.render_markdown(result, "r.json")
