"""What the benchmark prints: one table per run, ratios first, and who used the CPU."""

import os


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
    process whose command name is in ``commands`` (``{"postgres": "postgres"}``: name -> comm), summed."""
    snapshot = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own = os.times()
    snapshot[own_name] = own.user + own.system
    for name, command in (commands or {}).items():
        snapshot[name] = sum(cpu_seconds(pid) for pid in pids_of(command))
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
    return {name: after[name] - before.get(name, 0.0) for name in after}


def problems(phase):
    found = {f"HTTP {status}": n for status, n in phase.statuses.items() if not 200 <= status < 300}
    found |= phase.failures
    late = " (stopped by the time limit)" if phase.stopped_by_deadline else ""
    return f"{found or 'none'}{late}"


def print_report(args, phases, cpu, answered, mail_time, delivered):
    ceiling, registrations = phases
    print(
        f"\nOpen d'Etat platform benchmark: {args.requests} requests per phase over {args.concurrency}"
        f" keep-alive connections\nto 127.0.0.1, after {args.warmup} warm-up pings;"
        f" services with MAX_WORKERS={args.max_workers}, LOG_LEVEL={args.log_level}.\n"
        f"NOTE: the {os.cpu_count()} CPU cores are shared by the load generator (this process,"
        f" {args.concurrency} threads), the three\nservice processes, RabbitMQ, PostgreSQL and the SMTP"
        " sink: quote the ratios, not the absolute numbers.\n"
    )
    header = f"{'phase':<30} {'ok':>6} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for phase in phases:
        p50, p99, top = (phase.percentile(q) * 1000 for q in (0.5, 0.99, 1.0))
        print(
            f"{phase.name:<30} {phase.ok:>6} {phase.errors:>6} {phase.throughput:>8.1f}"
            f" {p50:>8.1f} {p99:>8.1f} {top:>8.1f}"
        )
    ratio = registrations.throughput / ceiling.throughput if ceiling.throughput else float("nan")
    print(f"\nratio registration / ceiling (req/s): {ratio:.2f}")
    for phase in phases:
        print(f"errors, {phase.name}: {problems(phase)}")
    if mail_time is None:
        print(f"emails: only {delivered} of {registrations.ok} accepted by the SMTP sink within the limit")
    else:
        print(
            f"emails: all {registrations.ok} accepted by the SMTP sink {mail_time:.1f} s after the first"
            f" registration was sent\n        ({mail_time - answered:.1f} s after the last answer;"
            f" {registrations.ok / mail_time:.0f} emails/s end to end)"
        )
    names = list(cpu[0])
    print("\nCPU seconds used during each phase (who competes for the cores):")
    print(f"{'phase':<30} " + " ".join(f"{name:>14}" for name in names))
    for phase, used in zip(phases, cpu, strict=True):
        print(f"{phase.name:<30} " + " ".join(f"{used[name]:>14.1f}" for name in names))


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
