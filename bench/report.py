"""What the benchmark prints: one table per run, ratios first, and who used the CPU; the http part's
results as JSON (bench/results/<date>.json) and as the tables of docs/benchmarks.md.

``python -m bench.report docs [--results FILE] [--doc PATH]`` rewrites the generated part of
docs/benchmarks.md (between its two ``bench results`` markers) from the newest results file, or FILE.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (Linux /proc), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(pids, own_name="load generator", commands=None):
    """CPU seconds so far of each named process, of this one (the load generator), and of every live
        process whose command name is in ``commands`` (``{"postgres": "postgres"}``: name -> comm), those
        by pid ({pid: seconds}: cpu_spent() sums their differences, so that one which ends or starts
        between two snapshots counts for what it used in between only: from 0 if it started meanwhile, and not at
    all if it ended)."""
    snapshot = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own = os.times()
    snapshot[own_name] = own.user + own.system
    for name, command in (commands or {}).items():
        snapshot[name] = {pid: cpu_seconds(pid) for pid in pids_of(command)}
    return snapshot


def pids_of(command):
    """Every live process whose /proc/<pid>/comm is ``command``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == command:
                        found.append(int(entry))
            except OSError:
                continue  # gone meanwhile
    return found


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine since boot, every core summed (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]  # user .. steal
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


def memory(pid):
    """{"VmRSS": bytes, "VmHWM": bytes} of a process (VmHWM: its peak resident size since it started)."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0]) * 1024  # given in kB
    except OSError:
        pass
    return found


def cpu_spent(before, after):
    """{name: CPU seconds used between two cpu_snapshot()s}."""
    spent = {}
    for name, now in after.items():
        if isinstance(now, dict):  # by pid: a process started since counts from 0
            earlier = before.get(name) or {}
            spent[name] = sum(max(0.0, seconds - earlier.get(pid, 0.0)) for pid, seconds in now.items())
        else:
            spent[name] = now - before.get(name, 0.0)
    return spent


def mib(size):
    return f"{size / 2**20:.0f} MiB"


def verdict(aim_met):
    return "met" if aim_met else "missed"


def print_fanout(args, raw, result, message_size, made):
    """The fan-out's report: raw ceiling, fan-out rate and ratios, memory, CPU, and what limits it."""
    cores = os.cpu_count()
    print(
        f"\nFan-out benchmark: one forum opened, announced to {args.fanout} confirmed subscribers (seeded by"
        f" SQL, not by events)\nwith MAIL_CONNECTIONS={args.mail_connections}, MAX_WORKERS={args.max_workers},"
        f" into the counting SMTP sink (bench/sink.py, its own process).\nNOTE: the {cores} CPU cores are"
        " shared by the services, PostgreSQL, RabbitMQ, the sink and this process.\n"
        f"\nraw ceiling: a bare smtplib loop to the same sink while the stack is idle, {message_size} bytes per"
        f" message,\n  {made}:"
    )
    for run in raw:
        failures = f", failures: {dict(run.failures)}" if run.failures else ""
        print(
            f"  {run.connections} connection(s), {run.connections} thread(s): {run.sent} messages in"
            f" {run.elapsed:.1f} s = {run.rate:.0f}/s{failures}"
        )
    if result.finished:
        print(
            f"\nfan-out: all {result.target} announcements accepted by the sink {result.seconds:.1f} s after"
            f" the POST: {result.rate:.0f} emails/s\n  (aim: all {result.target} in <= 60 s:"
            f" {verdict(result.seconds <= 60)})"
        )
    else:
        print(
            f"\nfan-out: only {result.accepted} of {result.target} announcements accepted by the sink,"
            f" {result.problem}, after {result.seconds:.1f} s: {result.rate:.0f} emails/s so far"
        )
    if result.accepted > result.target:
        print(
            f"  NOTE: the sink counted {result.accepted - result.target} messages more than there are subscribers"
        )
    if result.first_email is not None:
        sending = result.seconds - result.first_email
        after = (
            f", then {(result.accepted - 1) / sending:.0f}/s" if sending > 0 and result.accepted > 1 else ""
        )
        print(f"  first email accepted {result.first_email:.1f} s after the POST{after}")
    if result.announced is not None:
        print(
            f"  the announcement row said finished (every message logged) {result.announced:.1f} s after the POST"
        )
    for run in raw:
        ratio = result.rate / run.rate if run.rate else float("nan")
        aim = f" (aim >= 0.70: {verdict(ratio >= 0.7)})" if run.connections == 1 else ""
        print(f"  ratio fan-out / raw on {run.connections} connection(s): {ratio:.2f}{aim}")
    per_message = result.bytes / result.accepted if result.accepted else 0
    print(
        f"  sink: {result.bytes} bytes ({per_message:.0f} per message); SMTP connections: at most"
        f" {result.peak_connections} open at once, {result.connections} opened"
    )
    if result.deliveries:
        print(f"  delivery log of the forum: {result.deliveries}")
    print(
        f"\nnotification process memory: RSS {mib(result.rss_before)} before the POST, peak"
        f" {mib(result.hwm_after)} (VmHWM, since it started; largest RSS seen while polling"
        f" {mib(result.rss_sampled_peak)}), RSS {mib(result.rss_after)} after"
    )
    print(f"\nCPU seconds during the fan-out ({result.seconds:.1f} s; % of one core):")
    for name, spent in sorted(result.cpu.items(), key=lambda item: -item[1]):
        share = spent / result.seconds * 100 if result.seconds else 0
        print(f"  {name:<16} {spent:>8.1f} s {share:>6.0f} %")
    busy = result.machine_busy / (cores * result.seconds) * 100 if result.seconds else 0
    print(
        f"  whole machine: {result.machine_busy:.1f} CPU-s of {cores * result.seconds:.1f} available ({busy:.0f} %)"
    )
    print(f"\nwhat limits it: {'; '.join(limits(args, result, busy))}")


def limits(args, result, busy):
    """A few plain observations from the numbers above; the logs and a profile tell the rest."""
    found = []
    if result.first_email is not None and result.first_email > 0.5 * result.seconds:
        found.append(
            f"{result.first_email / result.seconds:.0%} of the time passes before the first email is sent"
            " (the announcements are written before any goes out)"
        )
    service = result.cpu.get("notification", 0) / result.seconds if result.seconds else 0
    if service >= 0.85:
        found.append(
            f"the notification process is CPU-bound ({service:.0%} of one core, the most it can use)"
        )
    elif service >= 0.6:
        found.append(f"the notification process used {service:.0%} of one core (one Python process uses one)")
    if busy >= 90:
        top = max(result.cpu, key=result.cpu.get)
        found.append(f"the machine's cores are saturated ({busy:.0f} %; the biggest user is {top})")
    if result.peak_connections < args.mail_connections:
        found.append(
            f"the sender had at most {result.peak_connections} SMTP connection(s) open at once"
            f" of MAIL_CONNECTIONS={args.mail_connections}"
        )
    if not found:
        found.append("no process is CPU-bound: waiting (SMTP round trips, database commits) limits it")
    return found


# --- the http part: its figures as JSON, printed, and as docs/benchmarks.md's tables -----------------------

CLIENT = ("load generator", "py-spy")  # measuring, not measured: outside the platform's total
ORDER = (
    "gateway",
    "registration",
    "notification",
    "topics",
    "restitution",
    "smtp sink",
    "postgres",
    "rabbitmq",
)
REPLICATED = ("registration", "notification")
SCALE_OUT = (("ping", "ping x2"), ("pipeline", "pipeline x2"), ("stopped", "stopped x2"))
TOOK_WORK = 0.10  # a replica with less than this share of its service's CPU did not take a share of the work
COMPETING = 0.05  # a process using at least this share of one core during the load competes for the cores
START = "<!-- bench results: start (generated by `python -m bench.report docs`: do not edit by hand) -->"
END = "<!-- bench results: end -->"


def problems(outcome):
    """{"HTTP 503": n, "TimeoutError": n, ...}: the answers that were not 2xx and the failed requests."""
    found = {f"HTTP {status}": n for status, n in sorted(outcome.statuses.items()) if not 200 <= status < 300}
    return found | dict(outcome.failures)


def finite(value, digits=1):
    """``value`` rounded, or None for NaN/inf (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else round(value, digits)


def process_order(names):
    """The services in the stack's order (replicas after their service), then the rest, then the client."""

    def rank(name):
        base, _, replica = name.partition("#")
        if name in CLIENT:
            return (len(ORDER) + 1 + CLIENT.index(name), name, 0)
        return (ORDER.index(base) if base in ORDER else len(ORDER), base, int(replica or 1))

    return sorted(names, key=rank)


def phase_record(
    key, title, replicas, outcome, ceiling, cpu, cpu_window, load_cpu, machine, path=REPLICATED, **extra
):
    """One phase's figures, JSON-ready. ``outcome``: bench.load's; ``ceiling``: the ping req/s of the same run;
    ``cpu``: CPU seconds by process from the phase's start until the work it caused was done (``cpu_window``
    seconds: the emails accepted, the services quiet again); ``load_cpu``: the same while the requests were
    sent (``outcome.elapsed`` s); ``machine``: (busy, available) CPU seconds of the whole machine then;
    ``path``: the replicated services the phase's requests go through (whose replicas should all work).
    ``extra``: "emails", "profile"."""
    ok = outcome.ok
    per_request = {name: cpu[name] * 1000 / ok for name in process_order(cpu)} if ok else {}
    busy, available = machine
    shares = {}
    for service in REPLICATED:
        names = process_order(name for name in cpu if name.split("#")[0] == service)
        if len(names) > 1:
            whole = sum(cpu[name] for name in names)
            shares[service] = {name: round(cpu[name] / whole, 3) if whole else 0.0 for name in names}
    return (
        {
            "key": key,
            "title": title,
            "replicas": replicas,
            "sent": outcome.sent,
            "ok": ok,
            "errors": outcome.errors,
            "problems": problems(outcome),
            "stopped_by_deadline": outcome.stopped_by_deadline,
            "seconds": round(outcome.elapsed, 3),
            "req_s": round(outcome.throughput, 1),
            "ratio": round(outcome.throughput / ceiling, 3) if ceiling else None,
            "p50_ms": finite(outcome.percentile(0.5) * 1000),
            "p99_ms": finite(outcome.percentile(0.99) * 1000),
            "max_ms": finite(outcome.percentile(1.0) * 1000),
            "cpu_ms_per_request": {name: round(value, 3) for name, value in per_request.items()},
            "cpu_ms_per_request_total": (
                round(sum(value for name, value in per_request.items() if name not in CLIENT), 3)
                if ok
                else None
            ),
            "cpu_window_s": round(cpu_window, 3),
            "cpu_share_of_core": {
                name: round(load_cpu[name] / outcome.elapsed, 3) if outcome.elapsed else 0.0
                for name in process_order(load_cpu)
            },
            "machine": {
                "busy_share": round(busy / available, 3) if available else None,
                "busy_cpu_s": round(busy, 3),
                "available_cpu_s": round(available, 3),
                # what the machine was busy with besides every process measured here (other people's work)
                "unaccounted_cpu_s": round(busy - sum(load_cpu.values()), 3),
            },
            "replica_shares": shares,
            "replicas_took_work": {
                service: min(split.values()) >= TOOK_WORK
                for service, split in shares.items()
                if service in path
            },
        }
        | {"emails": None, "profile": None}
        | extra
    )


def by_service(record):
    """CPU ms per request by service, its replicas summed."""
    found = {}
    for name, value in record["cpu_ms_per_request"].items():
        found[name.split("#")[0]] = found.get(name.split("#")[0], 0.0) + value
    return found


def competing(record):
    """How many processes used at least COMPETING of one core while the requests were sent."""
    return sum(1 for share in record["cpu_share_of_core"].values() if share >= COMPETING)


def scale_out(records):
    """Each phase beside its twin with 2 replicas of registration and notification: the figures, both."""
    found = {record["key"]: record for record in records}
    compared = []
    for single, replicated in SCALE_OUT:
        one, two = found.get(single), found.get(replicated)
        if not one or not two:
            continue
        one_by, two_by = by_service(one), by_service(two)
        compared.append(
            {
                "single": single,
                "replicated": replicated,
                **{
                    field: [one[field], two[field]]
                    for field in ("req_s", "p50_ms", "p99_ms", "cpu_ms_per_request_total")
                },
                "by_service": {
                    name: [round(one_by.get(name, 0.0), 3), round(two_by.get(name, 0.0), 3)]
                    for name in process_order(set(one_by) | set(two_by))
                },
                "busy_share": [one["machine"]["busy_share"], two["machine"]["busy_share"]],
                "competing_processes": [competing(one), competing(two)],
                "replicas_took_work": two["replicas_took_work"],
            }
        )
    return compared


def git_commit():
    """{"sha", "dirty"} of the working tree the run measured (dirty: uncommitted changes in it)."""

    def git(*arguments):
        done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return done.stdout.strip() if done.returncode == 0 else None

    try:
        sha, status = git("rev-parse", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        sha, status = None, None
    return {"sha": sha, "dirty": bool(status) if status is not None else None}


def machine_info():
    model = None
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None
            )
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
    }


def repeat_command(settings):
    """The command line that repeats a run with these settings."""
    options = " ".join(f"--{name.replace('_', '-')} {value}" for name, value in settings.items())
    return f".venv/bin/python -m bench --only http {options}"


def http_result(settings, records, machine=None, commit=None, when=None):
    """The whole http part's result: what was run where, every phase, and the scale-out comparison."""
    when = when or datetime.datetime.now().astimezone()
    return {
        "part": "http",
        "date": when.date().isoformat(),
        "finished_at": when.isoformat(timespec="seconds"),
        "commit": commit if commit is not None else git_commit(),
        "machine": machine if machine is not None else machine_info(),
        "settings": settings,
        "command": repeat_command(settings),
        "phases": records,
        "scale_out": scale_out(records),
    }


RESULT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.json$")


def write_results(result, directory=RESULTS):
    """Write ``result`` to ``<directory>/<date>.json``, or ``<date>-2.json``, ``-3`` ... when the day
    already has one (a run never overwrites another); the path written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    number = 1
    while True:
        path = directory / (f"{result['date']}.json" if number == 1 else f"{result['date']}-{number}.json")
        try:
            with open(path, "x", encoding="utf-8") as out:
                out.write(text)
            return path
        except FileExistsError:
            number += 1


def latest_results(directory=RESULTS):
    """The newest results file in ``directory`` (by date, then by the day's number), or None."""
    found = []
    for path in Path(directory).glob("*.json"):
        match = RESULT_NAME.match(path.name)
        if match:
            found.append((match.group(1), int(match.group(2) or 1), path))
    return max(found)[2] if found else None


def cell(value, digits=1, unit=""):
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def percent(value):
    return "n/a" if value is None else f"{value * 100:.0f} %"


def replicas_label(record):
    return "/".join(str(record["replicas"].get(service, 0)) for service in REPLICATED)


def print_http(result, path=None):
    """The http part's report, from its result (the JSON written to bench/results/)."""
    settings, machine, commit = result["settings"], result["machine"], result["commit"]
    records = result["phases"]
    sha = (commit.get("sha") or "unknown")[:12] + (" + uncommitted changes" if commit.get("dirty") else "")
    print(
        f"\nOpen d'Etat platform benchmark, http part: {settings['requests']} requests per phase over"
        f" {settings['concurrency']} keep-alive connections to 127.0.0.1,\nafter {settings['warmup']} warm-up"
        f" pings and {settings['warmup'] // 4} warm-up registrations (again once the replicas are up);"
        f" services with MAX_WORKERS={settings['max_workers']},\nLOG_LEVEL={settings['log_level']},"
        f" MAIL_CONNECTIONS={settings['mail_connections']}. Machine: {machine['cores']} cores"
        f" ({machine['cpu']}), Python {machine['python']},\nload average {machine['load_average_before'][0]}"
        f" before the run; commit {sha}.\nNOTE: the cores are shared by the load generator (this process),"
        " the services, RabbitMQ, PostgreSQL, the SMTP sink\nand anything else running on the machine: quote"
        " the ratios of one run, not the absolute numbers.\n"
    )
    header = (
        f"{'phase':<52} {'reg/notif':>9} {'ok':>6} {'errors':>6} {'req/s':>7} {'ratio':>6} {'p50 ms':>7}"
        f" {'p99 ms':>7} {'max ms':>7} {'CPU ms/req':>10} {'busy':>5}"
    )
    print(header)
    print("-" * len(header))
    for record in records:
        print(
            f"{record['title']:<52} {replicas_label(record):>9} {record['ok']:>6} {record['errors']:>6}"
            f" {record['req_s']:>7.1f} {cell(record['ratio'], 2):>6} {cell(record['p50_ms']):>7}"
            f" {cell(record['p99_ms']):>7} {cell(record['max_ms']):>7}"
            f" {cell(record['cpu_ms_per_request_total'], 2):>10} {percent(record['machine']['busy_share']):>5}"
        )
    print("\n(ratio: req/s over the ping ceiling's, phase (a); reg/notif: processes of registration and of")
    print(" notification; CPU ms/req: the platform's, below by process; busy: the whole machine, every core)")
    for record in records:
        late = " (stopped by the time limit)" if record["stopped_by_deadline"] else ""
        if record["problems"] or late:
            print(f"errors, {record['title']}: {record['problems'] or 'none'}{late}")
    if not any(record["problems"] or record["stopped_by_deadline"] for record in records):
        print("errors: none in any phase")
    print_emails(records)
    print_cpu(records)
    print_replicas(records)
    print_scale_out(result["scale_out"], records)
    print_profile_sections(records)
    if path is not None:
        print(f"\nresults written to {path}; `python -m bench.report docs` puts them in docs/benchmarks.md")


def print_emails(records):
    for record in records:
        emails = record["emails"]
        if not emails:
            continue
        if emails.get("seconds") is None:
            print(
                f"emails, {record['title']}: only {emails['delivered']} of {emails['expected']} accepted by the SMTP"
                f" sink within the limit"
            )
        elif emails["held"]:
            print(
                f"emails, {record['title']}: the {emails['expected']} held while notification was stopped were all"
                f" accepted {emails['seconds']:.1f} s after it was started again"
            )
        else:
            print(
                f"emails, {record['title']}: all {emails['expected']} accepted by the SMTP sink {emails['seconds']:.1f} s"
                f" after the first registration ({emails['after_last_answer']:.1f} s after the last answer)"
            )


def column(record):
    return record["key"]


def print_cpu(records):
    names = process_order({name for record in records for name in record["cpu_ms_per_request"]})
    width = max(11, *(len(column(record)) + 1 for record in records))
    print(
        "\nCPU milliseconds per request, by process (from /proc: from each phase's start until its emails were"
        "\naccepted and the services were quiet; postgres and rabbitmq: every process of that name, summed):"
    )
    header = f"{'process':<18}" + "".join(f"{column(record):>{width}}" for record in records)
    print(header)
    print("-" * len(header))

    def row(label, values):
        print(f"{label:<18}" + "".join(f"{value:>{width}}" for value in values))

    for name in (name for name in names if name not in CLIENT):
        row(name, (cell(record["cpu_ms_per_request"].get(name), 2) for record in records))
    row("= platform", (cell(record["cpu_ms_per_request_total"], 2) for record in records))
    for name in (name for name in names if name in CLIENT):
        row(name, (cell(record["cpu_ms_per_request"].get(name), 2) for record in records))
    row("machine busy", (percent(record["machine"]["busy_share"]) for record in records))
    row("not ours, CPU-s", (cell(record["machine"]["unaccounted_cpu_s"], 1) for record in records))
    row("phase seconds", (cell(record["seconds"], 1) for record in records))
    print(
        "(machine busy: every core, while the requests were sent; not ours: the machine's busy CPU seconds"
        " then\n minus every process above, i.e. what else ran on the machine)"
    )


def print_replicas(records):
    for record in records:
        if not record["replica_shares"]:
            continue
        parts = []
        for service, split in record["replica_shares"].items():
            shares = ", ".join(f"{name} {share * 100:.0f} %" for name, share in split.items())
            took = record["replicas_took_work"].get(service)
            took = (
                "not on this phase's path"
                if took is None
                else "both took work"
                if took
                else "NOT both took work"
            )
            parts.append(f"{service}: {shares} of its CPU ({took})")
        print(f"replicas, {record['title']}: " + "; ".join(parts))


def change(pair, digits=1, unit="", arrow="->"):
    one, two = pair
    if one is None or two is None:
        return "n/a"
    ratio = f" (x{two / one:.2f})" if one else ""
    return f"{one:.{digits}f} {arrow} {two:.{digits}f}{unit}{ratio}"


def print_scale_out(compared, records):
    if not compared:
        return
    titles = {record["key"]: record["title"] for record in records}
    print(
        "\nscale-out, 1 -> 2 replicas of registration and of notification on"
        f" {os.cpu_count()} cores (figures only; the phases above):"
    )
    for entry in compared:
        print(f"  {titles[entry['single']]} -> {titles[entry['replicated']]}:")
        print(
            f"    req/s {change(entry['req_s'])}; p50 {change(entry['p50_ms'], unit=' ms')};"
            f" p99 {change(entry['p99_ms'], unit=' ms')}"
        )
        print(
            f"    CPU ms per request, platform {change(entry['cpu_ms_per_request_total'], 2)};"
            f" machine busy {percent(entry['busy_share'][0])} -> {percent(entry['busy_share'][1])};"
            f" processes using >= {COMPETING:.0%} of a core {entry['competing_processes'][0]} ->"
            f" {entry['competing_processes'][1]}"
        )
        services = ", ".join(
            f"{name} {one:.2f} -> {two:.2f}" for name, (one, two) in entry["by_service"].items() if one or two
        )
        print(f"    CPU ms per request by service (replicas summed): {services}")
        if entry["replicas_took_work"]:
            took = ", ".join(
                f"{service} {'yes' if yes else 'NO'}" for service, yes in entry["replicas_took_work"].items()
            )
            print(f"    both replicas used CPU (>= {TOOK_WORK:.0%} of their service's): {took}")


def window(found, record):
    """When the profile was sampled: in a window of its own after the phase (``requests`` in it), or, in
    results written before such windows existed, during the measured phase itself."""
    span = f"sampled from {found['from_s']:.1f} s to {found['to_s']:.1f} s"
    if "requests" in found:
        return f"{span} of a window after the phase ({found['requests']} more requests at {found['req_s']:.0f}/s)"
    return f"{span} of the {record['seconds']:.1f}-s phase"


def print_profile_sections(records, top=4):
    from bench.profile import print_profiles

    for record in records:
        found = record["profile"]
        if not found:
            continue
        heading = f"profile, {record['title']}"
        if found["status"] != "ok":
            print(f"\n{heading}: no profile ({found['note']})")
            continue
        processes = {
            name: {**found["processes"][name]}
            | {kind: found["processes"][name][kind][:top] for kind in ("own", "within")}
            for name in process_order(found["processes"])
        }
        print_profiles(
            processes,
            f"{heading}, {window(found, record)}; py-spy used {found['py_spy_cpu_s']:.2f} CPU-s",
        )


# --- docs/benchmarks.md ------------------------------------------------------------------------------------


def md_frames(frames, top):
    return ", ".join(f"{share * 100:.1f} % `{frame}`" for frame, share in frames[:top]) or "none"


def render_markdown(result, source, top=3, least=20):
    """The generated part of docs/benchmarks.md: the run, the command, the phases, the CPU per request by
    process, the scale-out comparison and each profiled phase's top frames."""
    settings, machine, commit = result["settings"], result["machine"], result["commit"]
    records = result["phases"]
    sha = f"`{(commit.get('sha') or 'unknown')[:12]}`" + (
        " with uncommitted changes" if commit.get("dirty") else ""
    )
    lines = [
        f"Last results: `{source}`, run {result['finished_at']} at commit {sha}, on {machine['cores']} cores"
        f" ({machine['cpu']}), Python {machine['python']}, load average {machine['load_average_before'][0]}"
        f" before the run; {settings['requests']} requests per phase over {settings['concurrency']}"
        " keep-alive connections.",
        "",
        "Repeat them:",
        "",
        "```sh",
        result["command"],
        ".venv/bin/python -m bench.report docs   # this section, from the newest bench/results/*.json",
        "```",
        "",
        "| phase | registration / notification processes | req/s | ratio to ping | p50 ms | p99 ms | errors"
        " | CPU ms per request | machine busy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        lines.append(
            f"| {record['title']} | {replicas_label(record)} | {record['req_s']:.1f} | {cell(record['ratio'], 2)}"
            f" | {cell(record['p50_ms'])} | {cell(record['p99_ms'])} | {record['errors']}"
            f" | {cell(record['cpu_ms_per_request_total'], 2)} | {percent(record['machine']['busy_share'])} |"
        )
    names = process_order({name for record in records for name in record["cpu_ms_per_request"]})
    lines += [
        "",
        "CPU milliseconds per request, by process (the platform's total leaves out the load generator and py-spy):",
        "",
        "| process | " + " | ".join(record["key"] for record in records) + " |",
        "|---|" + "---|" * len(records),
    ]
    for name in (name for name in names if name not in CLIENT):
        lines.append(
            f"| {name} | " + " | ".join(cell(r["cpu_ms_per_request"].get(name), 2) for r in records) + " |"
        )
    lines.append(
        "| **platform** | " + " | ".join(cell(r["cpu_ms_per_request_total"], 2) for r in records) + " |"
    )
    for name in (name for name in names if name in CLIENT):
        lines.append(
            f"| {name} | " + " | ".join(cell(r["cpu_ms_per_request"].get(name), 2) for r in records) + " |"
        )
    lines.append(
        "| not ours, CPU-s | " + " | ".join(cell(r["machine"]["unaccounted_cpu_s"]) for r in records) + " |"
    )
    if result["scale_out"]:
        lines += [
            "",
            "Scale-out, 1 → 2 replicas of registration and of notification:",
            "",
            "| phases | req/s | p50 ms | p99 ms | CPU ms per request | machine busy"
            f" | processes using ≥ {COMPETING:.0%} of a core | both replicas used CPU |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for entry in result["scale_out"]:
            took = ", ".join(
                f"{service} {'yes' if yes else 'no'}" for service, yes in entry["replicas_took_work"].items()
            )
            lines.append(
                f"| {entry['single']} → {entry['replicated']} | {change(entry['req_s'], arrow='→')}"
                f" | {change(entry['p50_ms'], arrow='→')} | {change(entry['p99_ms'], arrow='→')}"
                f" | {change(entry['cpu_ms_per_request_total'], 2, arrow='→')}"
                f" | {percent(entry['busy_share'][0])} → {percent(entry['busy_share'][1])}"
                f" | {entry['competing_processes'][0]} → {entry['competing_processes'][1]} | {took or 'n/a'} |"
            )
    lines += other_parts(result)
    profiled = [record for record in records if record["profile"]]
    if profiled:
        lines += [
            "",
            f"Where the time goes (py-spy, the top {top} frames of each process with {least} samples or more):",
        ]
    for record in profiled:
        found = record["profile"]
        lines.append("")
        if found["status"] != "ok":
            lines.append(f"- {record['title']}: no profile ({found['note']})")
            continue
        lines.append(f"- {record['title']}, {window(found, record)}:")
        for name in process_order(found["processes"]):
            process = found["processes"][name]
            if process["samples"] < least:
                continue
            lines.append(
                f"  - {name}, {process['samples']} samples: within {md_frames(process['within'], top)};"
                f" own {md_frames(process['own'], top)}"
            )
    return "\n".join(lines)


def other_parts(result):
    """The rush's, the ballot burst's and the floors' lines, when the run had them."""
    lines = []
    if result.get("ballots"):
        b = result["ballots"]
        lines += [
            "",
            f"Ballot burst (the `ballots` part, a stack of its own): {b['accepted']} of {b['ballots']} ballots"
            f" at {b['req_s']:.1f}/s, p50 {b['p50_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms, {b['errors']} errors;"
            f" ping on the same stack {b['ping_req_s']:.1f}/s (p99 {b['ping_p99_ms']:.1f} ms): ratio"
            f" {cell(b['ratio'], 2)}; the closed round counted {b['counted']} ballots.",
        ]
    if result.get("rush"):
        r = result["rush"]
        emails = "not all within the limit" if r["emails_seconds"] is None else f"{r['emails_seconds']:.1f} s"
        lines += [
            "",
            f"Rush (the `rush` part): {r['accepted']} of {r['registrations']} registrations for {r['capacity']}"
            f" seats in {r['seconds']:.1f} s ({r['req_s']:.1f}/s, p50 {r['p50_ms']:.1f} ms, p99"
            f" {r['p99_ms']:.1f} ms), {r['errors']} errors: {r['confirmed']} confirmed, {r['waitlisted']}"
            f" waitlisted ({'exact' if r['exact'] else 'NOT exact'}); every email accepted {emails} after the"
            " first registration.",
        ]
    if result.get("floors"):
        lines += floors_markdown(result["floors"])
    return lines


# --- the floors part (bench/floors.py) ---------------------------------------------------------------------

SERVER = {"1": "RabbitMQ", "2": "PostgreSQL", "3": "Python"}
LEFT_OUT = "the gateway's POST, the RPC, the registration's handler and the relay"  # what no floor counts


def floor_cell(row):
    return cell(row["ms"], 3) if row["exact"] else "failed"


def floor_verdict(entry):
    """Whether one floor sum fits the budget, in words."""
    if entry["ms"] is None:
        return "unknown (a part failed or was not measured)"
    if entry["over_budget"] is None:
        return "budget unknown"
    share = f" ({entry['share_of_budget'] * 100:.0f} % of it)" if entry["share_of_budget"] is not None else ""
    return ("OVER the budget" if entry["over_budget"] else "within the budget") + share


def floor_budget_line(floors):
    if floors["budget_ms"] is None:
        return "budget unknown: the http part did not run in this run (no ping CPU to compare with)"
    return (
        f"budget: ping's {floors['ping_cpu_ms']:.2f} ms of CPU x (1/{floors['goal']:.2f} - 1) ="
        f" {floors['budget_ms']:.2f} ms more than a ping (the http part of this run)"
    )


def floors_over(floors):
    """The labels of the floor sums over the budget (None when the budget is unknown)."""
    if floors["budget_ms"] is None:
        return None
    return [entry["label"] for entry in floors["sums"] if entry["over_budget"]]


def consumer_rows(floors):
    """The rows of the consumers' own processes (3a, 3b), if the run had them."""
    return [row for row in floors["rows"] if row["label"].startswith("3")]


def with_consumers_cell(entry):
    """One floor sum plus the two consumers' processes, and what it is against the budget."""
    return f"{cell(entry['ms'], 3)} ms: {floor_verdict(entry)}"


def consumers_verdict(floors):
    """A plain sentence on the floor sums with the two consumers against the budget (None when it is
    unknown or no such sum is known)."""
    if floors["budget_ms"] is None:
        return None
    entries = [
        (f"{entry['label']} + 2 x {added['label']}", added)
        for entry in floors["sums"]
        for added in entry.get("with_consumers", ())
        if added["ms"] is not None
    ]
    if not entries:
        return None
    over = [(label, added) for label, added in entries if added["over_budget"]]
    cheapest_label, cheapest = min(entries, key=lambda found: found[1]["ms"])
    if not over:
        return (
            f"Every floor with the two consumers is within the budget of {floors['budget_ms']:.2f} ms; the"
            f" cheapest ({cheapest_label}, {cheapest['ms']:.2f} ms) leaves"
            f" {floors['budget_ms'] - cheapest['ms']:.2f} ms for {LEFT_OUT}."
        )
    if len(over) == len(entries):
        return (
            f"Even the cheapest floor with the two consumers ({cheapest_label}, {cheapest['ms']:.2f} ms) is over"
            f" the budget of {floors['budget_ms']:.2f} ms: the servers and two consumers doing the least cost"
            f" more than a registration may add to a ping, before {LEFT_OUT} are counted."
        )
    listed = ", ".join(f"{label} ({added['ms']:.2f} ms)" for label, added in over)
    return (
        f"Over the budget of {floors['budget_ms']:.2f} ms with the two consumers: {listed}; the cheapest"
        f" ({cheapest_label}) leaves {floors['budget_ms'] - cheapest['ms']:.2f} ms for {LEFT_OUT}."
    )


def python_floor_line(floors):
    """What the two consumers' processes add, at their least: 2 x 3a and 2 x 3b."""
    parts = [
        f"2 x {consumer['label']} = {cell(consumer['python_ms'], 3)} ms"
        for consumer in floors.get("consumers", ())
    ]
    return ", ".join(parts)


def print_floors(floors):
    """The floors part's table, its sums and the budget."""
    rows = floors["rows"]
    print(
        "\nfloors: what a registration adds to a ping, at its cheapest, with raw clients (pika, psycopg) on"
        " 127.0.0.1;\nthe servers' CPU only (every RabbitMQ process, every postgres process; this process's is"
        " not counted)\n"
    )
    whats = [f"{SERVER[row['label'][0]]}: {row['title']}" for row in rows]
    width = max([4, *map(len, whats)])
    header = (
        f"{'':<3} {'what':<{width}} {'ms CPU':>7} {'per':<12} {'at rest':>7} {'count':>6} {'seconds':>7}"
        f" {'exact':>5} {'not ours':>8}"
    )
    print(header)
    print("-" * len(header))
    for row, what in zip(rows, whats, strict=True):
        print(
            f"{row['label']:<3} {what:<{width}} {floor_cell(row):>7} {row['per']:<12}"
            f" {cell(row.get('at_rest_ms'), 3):>7} {row['count']:>6} {row['seconds']:>7.1f}"
            f" {'yes' if row['exact'] else 'NO':>5} {row['not_ours_cpu_s']:>8.1f}"
        )
    python = " (3a, 3b: the consumer's process's)" if consumer_rows(floors) else ""
    print(
        f"(ms CPU: the servers' per unit{python}; at rest: of which what they used at rest would account for;"
        "\n not ours: CPU-s the rest of the machine used meanwhile)"
    )
    for row in rows:
        if not row["exact"]:
            print(f"  {row['label']} FAILED: {row['problem']}")
        elif row.get("backends_ms") is not None:
            print(f"  {row['label']}: the backends of its own connections alone, {row['backends_ms']:.3f} ms")
        elif row["label"].startswith("3"):
            print(
                f"  {row['label']}: meanwhile RabbitMQ {cell(row['rabbitmq_ms'], 3)} ms per event, PostgreSQL"
                f" {cell(row['postgres_ms'], 3)} ms; the consumer at rest used"
                f" {percent(row['consumer_idle_share'])} of a core"
            )
    if floors["rabbitmq_idle_share"] is not None:
        print(
            f"RabbitMQ: {floors['events']} persistent messages of {floors['message_bytes']} bytes, each to 3"
            f" durable queues, confirms per {floors['batch']}, prefetch {floors['prefetch']}; at rest it used"
            f" {percent(floors['rabbitmq_idle_share'])} of a core"
        )
    if floors["postgres_idle_share"] is not None:
        checks = ", ".join(f"{name} {value}" for name, value in (floors["checks"] or {}).items())
        print(
            f"PostgreSQL: {floors['registrations']} registrations from {floors['connections']} connections,"
            f" minimal tables; at rest it used {percent(floors['postgres_idle_share'])} of a core;"
            f"\n  counted afterwards: {checks}"
        )
    if consumer_rows(floors):
        print(
            f"Python: one nameko consumer (nameko run, MAX_WORKERS {floors.get('max_workers', 'n/a')}: its"
            f" prefetch) in a process of its own, {floors['events']} events each, signed, published by this"
            " process (not counted); the queue and the inbox counted after the consumer stopped"
        )
    print(
        "\nfloor of a registration with the email pipeline stopped = RabbitMQ + PostgreSQL (2a + 2b + 2 x 2c"
        f" = {cell(floors['postgres_ms'], 3)} ms):"
    )
    for entry in floors["sums"]:
        print(
            f"  {entry['label']} {entry['title']}: {cell(entry['rabbitmq_ms'], 3)} +"
            f" {cell(floors['postgres_ms'], 3)} = {cell(entry['ms'], 3)} ms: {floor_verdict(entry)}"
        )
    if consumer_rows(floors):
        print(
            "with the two consumers' own processes at their least (topics and restitution each handle the event),"
            f" {python_floor_line(floors)}:"
        )
        for entry in floors["sums"]:
            print(
                f"  {entry['label']}: "
                + "; ".join(
                    f"+ 2 x {added['label']} = {with_consumers_cell(added)}"
                    for added in entry.get("with_consumers", ())
                )
            )
    print(floor_budget_line(floors))
    over = floors_over(floors)
    if over is not None:
        print(f"floor sums over the budget: {', '.join(over) if over else 'none'}")
    verdict = consumers_verdict(floors) if consumer_rows(floors) else None
    if verdict:
        print(verdict)


def floors_markdown(floors):
    """docs/benchmarks.md's lines for the floors part."""
    python = (
        f"; 3a and 3b: one nameko consumer alone, its own process's CPU, MAX_WORKERS {floors.get('max_workers')}"
        if consumer_rows(floors)
        else ""
    )
    lines = [
        "",
        "Floors (the `floors` part: RabbitMQ and PostgreSQL alone, raw clients, the servers' CPU only;"
        f" {floors['events']} events, {floors['registrations']} registrations{python}):",
        "",
        "| variant | ms of CPU | per |",
        "|---|---|---|",
    ]
    for row in floors["rows"]:
        lines.append(
            f"| {row['label']} {SERVER[row['label'][0]]}: {row['title']} | {floor_cell(row)} | {row['per']} |"
        )
    lines += [
        "",
        "Floor of a registration with the email pipeline stopped, RabbitMQ + PostgreSQL (2a + 2b + 2 × 2c ="
        f" {cell(floors['postgres_ms'], 3)} ms); {floor_budget_line(floors)}:",
        "",
        "| RabbitMQ variant | floor, ms of CPU | against the budget |",
        "|---|---|---|",
    ]
    for entry in floors["sums"]:
        lines.append(
            f"| {entry['label']} {entry['title']} | {cell(entry['ms'], 3)} | {floor_verdict(entry)} |"
        )
    if consumer_rows(floors):
        labels = [consumer["label"] for consumer in floors["consumers"]]
        lines += [
            "",
            "The same with the two consumers' own processes at their least (topics and restitution each handle"
            f" the event; {python_floor_line(floors).replace(' x ', ' × ')}):",
            "",
            "| RabbitMQ variant | servers, ms | " + " | ".join(f"+ 2 × {label}" for label in labels) + " |",
            "|---|---|" + "---|" * len(labels),
        ]
        for entry in floors["sums"]:
            cells = [with_consumers_cell(added) for added in entry.get("with_consumers", ())]
            lines.append(
                f"| {entry['label']} {entry['title']} | {cell(entry['ms'], 3)} | " + " | ".join(cells) + " |"
            )
        verdict = consumers_verdict(floors)
        if verdict:
            lines += ["", verdict.replace(" x ", " × ")]
    return lines


def update_doc(doc, result, source):
    """Put render_markdown(result) between the markers of ``doc`` (appended, with them, when missing)."""
    doc = Path(doc)
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    block = f"{START}\n{render_markdown(result, source)}\n{END}"
    pattern = re.compile(re.escape(START.split(" (")[0]) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
    return doc


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.report", description="The http part's results.")
    commands = parser.add_subparsers(dest="command", required=True)
    docs = commands.add_parser("docs", help="rewrite docs/benchmarks.md's tables from a results file")
    docs.add_argument("--results", type=Path, help="a results file (default: the newest in bench/results/)")
    docs.add_argument("--doc", type=Path, default=DOC, help="the document (default: docs/benchmarks.md)")
    show = commands.add_parser("show", help="print a results file's report again")
    show.add_argument("--results", type=Path, help="a results file (default: the newest in bench/results/)")
    args = parser.parse_args(argv)
    path = args.results or latest_results()
    if path is None:
        parser.error(f"no results in {RESULTS}: run `python -m bench --only http` first")
    result = json.loads(Path(path).read_text(encoding="utf-8"))
    if args.command == "show":
        print_http(result)
        if result.get("floors"):
            print_floors(result["floors"])
        return 0
    try:
        source = Path(path).resolve().relative_to(ROOT)
    except ValueError:
        source = Path(path)
    print(f"{update_doc(args.doc, result, source)}: tables from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
