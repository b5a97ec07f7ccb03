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


def cpu_snapshot(pids):
    """CPU seconds so far of each named process, and of this one (the load generator)."""
    snapshot = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own = os.times()
    snapshot["load generator"] = own.user + own.system
    return snapshot


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
