"""The floors part's bookkeeping (bench/floors.py): the budget, the floor sums, what makes a run exact, and
how the report and docs/benchmarks.md show them. No broker, no database: the rows are made up here."""

import json

import pytest

from bench import floors, report

USED = {"server": 0.0, "backends": 0.0, "own": 0.0, "not_ours": 0.1}


def measured(key, label, ms, count=1000, problem=None, done=None):
    """A row as floors.row() makes it, with ``ms`` of server CPU per unit."""
    title = floors.BROKER_TITLES.get(key) or floors.DATABASE_TITLES[key]
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
