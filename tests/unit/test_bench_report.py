"""The benchmark's bookkeeping: the http part's figures per phase, its results file, the tables of
docs/benchmarks.md generated from it, and the profile's summary of py-spy's collapsed stacks."""

import datetime
import json
from collections import Counter

import pytest

from bench import profile, report
from bench.load import Outcome

ROOT = str(report.ROOT)


def outcome(name, latencies_ms, elapsed, statuses=None, failures=None):
    done = Outcome(name, latencies=[ms / 1000 for ms in latencies_ms], elapsed=elapsed)
    done.statuses = Counter({201: len(latencies_ms)} | (statuses or {}))
    done.failures = Counter(failures or {})
    done.sent = sum(done.statuses.values()) + sum(done.failures.values())
    return done


def record(key, title, replicas, done, ceiling, cpu, busy=(1.6, 2.0), **extra):
    return report.phase_record(key, title, replicas, done, ceiling, cpu, done.elapsed + 1, cpu, busy, **extra)


ONE = {"registration": 1, "notification": 1}
TWO = {"registration": 2, "notification": 2}


def sample_records():
    ping = record(
        "ping",
        "(a) ping (ceiling)",
        ONE,
        outcome("ping", [10] * 400, 1.0),
        None,
        {"gateway": 0.4, "registration": 0.2},
    )
    ceiling = 400.0
    single = record(
        "pipeline",
        "(b) registrations, whole pipeline",
        ONE,
        outcome("b", [50] * 100, 1.0),
        ceiling,
        {"gateway": 0.2, "registration": 0.3, "notification": 0.4, "postgres": 0.1, "load generator": 0.05},
        emails={"expected": 100, "delivered": 100, "held": False, "seconds": 2.0, "after_last_answer": 1.0},
    )
    double = record(
        "pipeline x2",
        "(d) registrations, whole pipeline, 2 replicas",
        TWO,
        outcome("d", [80] * 80, 1.0, statuses={503: 2}),
        ceiling,
        {
            "gateway": 0.2,
            "registration": 0.2,
            "registration#2": 0.16,
            "notification": 0.4,
            "notification#2": 0.01,
            "postgres": 0.1,
            "load generator": 0.05,
            "py-spy": 0.02,
        },
        busy=(1.9, 2.0),
        profile={
            "status": "ok",
            "rate": 100,
            "from_s": 2.0,
            "to_s": 9.5,
            "py_spy_cpu_s": 0.02,
            "processes": {
                "registration": {
                    "samples": 200,
                    "own": [["send (psycopg/connection.py:10)", 0.25]],
                    "within": [["register (services/registration/service.py)", 0.75]],
                },
                "topics": {"samples": 3, "own": [], "within": []},
            },
        },
    )
    return [ping, single, double]


def test_a_phase_counts_cpu_per_request_by_process_and_the_platform_without_the_client():
    ping, single, double = sample_records()
    assert single["req_s"] == 100.0 and single["ratio"] == 0.25
    assert single["p50_ms"] == 50.0 and single["errors"] == 0
    assert single["cpu_ms_per_request"]["notification"] == pytest.approx(4.0)
    assert single["cpu_ms_per_request"]["load generator"] == pytest.approx(0.5)
    # gateway 2 + registration 3 + notification 4 + postgres 1: the load generator is not the platform
    assert single["cpu_ms_per_request_total"] == pytest.approx(10.0)
    assert list(single["cpu_ms_per_request"]) == [
        "gateway",
        "registration",
        "notification",
        "postgres",
        "load generator",
    ]
    assert single["machine"]["busy_share"] == pytest.approx(0.8)
    assert single["machine"]["unaccounted_cpu_s"] == pytest.approx(1.6 - 1.05)
    assert double["problems"] == {"HTTP 503": 2} and double["errors"] == 2
    assert double["cpu_ms_per_request_total"] == pytest.approx((0.2 + 0.36 + 0.41 + 0.1) * 1000 / 80)


def test_a_replica_that_used_almost_no_cpu_did_not_take_work():
    _, single, double = sample_records()
    assert single["replica_shares"] == {} and single["replicas_took_work"] == {}
    assert double["replica_shares"]["registration"] == {"registration": pytest.approx(0.556, abs=1e-3),
                                                        "registration#2": pytest.approx(0.444, abs=1e-3)}  # fmt: skip
    assert double["replicas_took_work"] == {"registration": True, "notification": False}


def test_only_the_services_a_phase_goes_through_are_judged_on_their_replicas():
    cpu = {
        "gateway": 0.2,
        "registration": 0.1,
        "registration#2": 0.1,
        "notification": 0.1,
        "notification#2": 0.0,
    }
    ping = record(
        "ping x2", "(d) ping", TWO, outcome("p", [5] * 100, 1.0), 400.0, cpu, path=("registration",)
    )
    assert ping["replica_shares"]["notification"] == {"notification": 1.0, "notification#2": 0.0}
    assert ping["replicas_took_work"] == {"registration": True}


def test_scale_out_sets_each_phase_beside_its_twin_with_replicas():
    ping, single, double = sample_records()
    (compared,) = report.scale_out([ping, single, double])
    assert (compared["single"], compared["replicated"]) == ("pipeline", "pipeline x2")
    assert compared["req_s"] == [100.0, 80.0]
    assert compared["by_service"]["registration"] == [pytest.approx(3.0), pytest.approx(4.5)]
    assert compared["busy_share"] == [0.8, 0.95]
    assert compared["replicas_took_work"] == {"registration": True, "notification": False}


def result_of(records, when="2031-05-04T10:00:00+02:00"):
    settings = {"requests": 100, "concurrency": 16, "warmup": 200, "max_workers": 32, "log_level": "WARNING",
                "mail_connections": 4, "profile_delay": 2, "profile_seconds": 8}  # fmt: skip
    machine = {
        "cores": 2,
        "cpu": "Test CPU",
        "python": "3.11.9",
        "system": "Linux",
        "load_average_before": [0.5],
    }
    return report.http_result(
        settings,
        records,
        machine,
        {"sha": "0123456789abcdef", "dirty": True},
        datetime.datetime.fromisoformat(when),
    )


def test_the_results_file_is_named_by_day_and_a_second_run_that_day_gets_a_number(tmp_path):
    result = result_of(sample_records())
    first, second = report.write_results(result, tmp_path), report.write_results(result, tmp_path)
    assert (first.name, second.name) == ("2031-05-04.json", "2031-05-04-2.json")
    kept = json.loads(first.read_text())
    assert kept["machine"]["cores"] == 2 and kept["machine"]["python"] == "3.11.9"
    assert kept["commit"] == {"sha": "0123456789abcdef", "dirty": True}
    assert [phase["key"] for phase in kept["phases"]] == ["ping", "pipeline", "pipeline x2"]
    assert kept["phases"][2]["profile"]["processes"]["registration"]["within"][0][1] == 0.75
    assert kept["command"].startswith(".venv/bin/python -m bench --only http --requests 100 --concurrency 16")
    for _ in range(3, 11):
        report.write_results(result, tmp_path)
    report.write_results(result_of(sample_records(), "2031-05-03T10:00:00+02:00"), tmp_path)
    assert report.latest_results(tmp_path).name == "2031-05-04-10.json"  # by number, not as text
    assert report.latest_results(tmp_path / "none") is None


def test_a_phase_without_any_answer_writes_valid_json(tmp_path):
    empty = record(
        "pipeline", "(b)", ONE, outcome("b", [], 1.0, failures={"TimeoutError": 3}), 400.0, {"gateway": 0.1}
    )
    assert empty["p50_ms"] is None and empty["cpu_ms_per_request_total"] is None
    path = report.write_results(result_of([empty]), tmp_path)
    assert json.loads(path.read_text())["phases"][0]["problems"] == {"TimeoutError": 3}


def test_the_docs_tables_come_from_the_results_and_leave_the_rest_of_the_page_alone(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\nHow to read them.\n\n" + report.START + "\nold table\n" + report.END + "\n\nAfter.\n"
    )
    result = result_of(sample_records())
    report.update_doc(doc, result, "bench/results/2031-05-04.json")
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n\nHow to read them.\n\n" + report.START)
    assert text.endswith(report.END + "\n\nAfter.\n")
    assert "old table" not in text
    assert (
        "| (b) registrations, whole pipeline | 1/1 | 100.0 | 0.25 | 50.0 | 50.0 | 0 | 10.00 | 80 % |" in text
    )
    assert "| (d) registrations, whole pipeline, 2 replicas | 2/2 | 80.0 | 0.20 | 80.0 | 80.0 | 2 |" in text
    assert "| notification#2 | n/a | n/a | 0.12 |" in text
    assert "| pipeline → pipeline x2 | 100.0 → 80.0 (x0.80) |" in text
    assert "registration yes, notification no" in text
    assert "75.0 % `register (services/registration/service.py)`" in text
    assert "topics, 3 samples" not in text  # too few to rank
    assert result["command"] in text and "`0123456789ab` with uncommitted changes" in text
    report.update_doc(doc, result, "bench/results/2031-05-04.json")
    assert doc.read_text() == text  # regenerated in place, not appended twice


def test_a_doc_without_the_markers_gets_them_at_its_end(tmp_path):
    doc = tmp_path / "docs" / "benchmarks.md"
    report.update_doc(doc, result_of(sample_records()), "x.json")
    assert doc.read_text().startswith(report.START) and doc.read_text().endswith(report.END + "\n")


def test_the_docs_command_uses_the_newest_results_file(tmp_path, capsys):
    report.write_results(result_of(sample_records(), "2031-05-01T10:00:00+02:00"), tmp_path)
    newest = report.write_results(result_of(sample_records(), "2031-05-02T10:00:00+02:00"), tmp_path)
    doc = tmp_path / "benchmarks.md"
    assert report.main(["docs", "--results", str(newest), "--doc", str(doc)]) == 0
    assert "run 2031-05-02T10:00:00+02:00" in doc.read_text()


RUNNER = f"<module> ({ROOT}/kit/runner.py:5)"
HANDLE = f"handle ({ROOT}/services/registration/service.py:{{}})"
EXECUTE = f"execute ({ROOT}/.venv/lib/python3.11/site-packages/psycopg/cursor.py:700)"
COLLAPSED = "\n".join(
    [
        f"{RUNNER};{HANDLE.format(40)};{EXECUTE} 30",
        f"{RUNNER};{HANDLE.format(41)};seat ({ROOT}/services/registration/rules.py:9) 10",
        f"{RUNNER};{HANDLE.format(40)};{HANDLE.format(52)};{EXECUTE} 20",  # recursive
        f"thread (0x7f00);{RUNNER};wait (/usr/lib/python3.11/threading.py:320) 40",
        'process 12:"python";thread (0x7f01) 7',
        "not a stack line",
    ]
)


def test_summarise_counts_own_lines_and_within_functions_without_their_line_numbers():
    found = profile.summarise(COLLAPSED, top=3)
    assert found["samples"] == 100  # the line with no frame of code is left out
    assert found["own"] == [
        ("execute (psycopg/cursor.py:700)", 0.5),
        ("wait (threading.py:320)", 0.4),
        ("seat (services/registration/rules.py:9)", 0.1),
    ]
    within = dict(profile.summarise(COLLAPSED, top=10)["within"])
    # one function over several lines, and recursive, is one entry counted once per sample
    assert within["handle (services/registration/service.py)"] == pytest.approx(0.6)
    assert within["<module> (kit/runner.py)"] == pytest.approx(1.0)
    assert within["seat (services/registration/rules.py)"] == pytest.approx(0.1)
    assert not any("psycopg" in frame or "threading" in frame for frame in within)  # not our code
    assert list(within)[0] == "<module> (kit/runner.py)"


def test_frame_names_keep_a_function_without_a_place_and_cut_the_paths():
    assert profile.frame_name("<unknown>") == "<unknown>"
    assert profile.frame_name(f"f ({ROOT}/gateway/service.py:3)", line=False) == "f (gateway/service.py)"
    assert (
        profile.frame_name("g (/x/site-packages/eventlet/hubs/epolls.py:9)")
        == "g (eventlet/hubs/epolls.py:9)"
    )


def test_the_report_prints_from_the_results(capsys):
    report.print_http(result_of(sample_records()), "bench/results/2031-05-04.json")
    printed = capsys.readouterr().out
    assert "(b) registrations, whole pipeline" in printed and "10.00" in printed
    assert "registration: registration 56 %, registration#2 44 % of its CPU (both took work)" in printed
    assert "notification: notification 98 %, notification#2 2 % of its CPU (NOT both took work)" in printed
    assert "req/s 100.0 -> 80.0 (x0.80)" in printed
    assert "75.0 %  register (services/registration/service.py)" in printed
    assert "errors, (d) registrations, whole pipeline, 2 replicas: {'HTTP 503': 2}" in printed


def test_a_phase_without_a_profile_says_why_in_the_report_and_the_docs(capsys, tmp_path):
    ping, single, double = sample_records()
    single["profile"] = {"status": "unavailable", "note": "py-spy is not installed: pip install py-spy"}
    result = result_of([ping, single, double])
    report.print_http(result)
    assert (
        "profile, (b) registrations, whole pipeline: no profile (py-spy is not installed"
        in capsys.readouterr().out
    )
    doc = report.update_doc(tmp_path / "b.md", result, "x.json")
    assert "- (b) registrations, whole pipeline: no profile (py-spy is not installed" in doc.read_text()


def test_the_rush_and_the_ballot_burst_are_in_the_docs_when_the_run_had_them():
    result = result_of(sample_records())
    assert "Rush" not in report.render_markdown(result, "r.json")
    result["rush"] = {"registrations": 10000, "accepted": 10000, "errors": 0, "seconds": 61.5, "req_s": 162.6,
                      "p50_ms": 90.0, "p99_ms": 210.0, "capacity": 300, "confirmed": 300, "waitlisted": 9700,
                      "exact": True, "emails_seconds": 70.2}  # fmt: skip
    result["ballots"] = {"ballots": 5000, "accepted": 5000, "errors": 0, "req_s": 240.0, "p50_ms": 60.0,
                         "p99_ms": 140.0, "ping_req_s": 480.0, "ping_p99_ms": 50.0, "ratio": 0.5,
                         "counted": 5000}  # fmt: skip
    text = report.render_markdown(result, "r.json")
    assert "10000 of 10000 registrations for 300 seats" in text
    assert "300 confirmed, 9700 waitlisted (exact)" in text
    assert "5000 of 5000 ballots at 240.0/s" in text and "ratio 0.50" in text
    result["rush"] |= {"confirmed": 301, "exact": False}
    assert "(NOT exact)" in report.render_markdown(result, "r.json")


def test_a_profile_says_whether_it_was_sampled_in_a_window_of_its_own_or_during_the_phase():
    record = {"seconds": 14.2}
    during = {"from_s": 2.0, "to_s": 10.0}
    assert report.window(during, record) == "sampled from 2.0 s to 10.0 s of the 14.2-s phase"
    after = during | {"requests": 767, "req_s": 72.4}
    assert report.window(after, record) == (
        "sampled from 2.0 s to 10.0 s of a window after the phase (767 more requests at 72/s)"
    )
