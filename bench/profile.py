"""Where each process spends its time during a phase: py-spy samples it, and the top frames are printed.

``Profiles(pids, seconds, directory)`` starts one ``py-spy record`` per Python process when py-spy is
installed (``pip install py-spy``; the benchmark goes on without it and says so), sampling 100 times a
second without pausing the process (``--nonblocking``), for at most ``seconds``; ``stop()`` ends them
sooner (SIGINT: py-spy writes what it has). ``finish()`` waits for them and answers, per process, the
samples' count and the frames that took the most of them:
- ``own``: the line running when sampled (``function (path:line)``: where the CPU goes);
- ``within``: our code's functions (gateway/, kit/, services/) on the stack when sampled, by function and
  file (``function (path)``, every line of it together, counted once per sample however often it recurs):
  which use case or handler the time belongs to.
Idle samples (py-spy leaves out threads waiting in the kernel) are not counted: the shares are of the
time the process was busy. ``cpu_seconds`` is what the py-spy processes themselves used (their overhead).
"""

import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

OURS = ("gateway/", "kit/", "services/")
ROOT = Path(__file__).resolve().parent.parent
# a path is cut to what follows a package directory, else the project's root, else the standard library's
PLACES = (
    re.compile(r"^.*?site-packages/"),
    re.compile(rf"^.*?{re.escape(str(ROOT))}/"),
    re.compile(r"^.*?lib/python3\.\d+/"),
)
RATE = 100


def available():
    return shutil.which("py-spy") or _beside_python()


def _beside_python():
    import sys

    candidate = Path(sys.executable).with_name("py-spy")
    return str(candidate) if candidate.exists() else None


class Profiles:
    def __init__(self, pids, seconds, directory):
        """``pids``: {name: pid} of the Python processes to sample."""
        self.pids, self.seconds, self.directory = pids, seconds, Path(directory)
        self.runs = {}
        self.started = time.monotonic()
        self.stopped = None  # when stop() or finish() found the sampling over
        self.cpu_seconds = 0.0
        tool = available()
        if tool is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            output = self.directory / f"{name.replace(' ', '-').replace('#', '-')}.txt"
            command = [tool, "record", "--pid", str(pid), "--rate", str(RATE), "--duration", str(seconds)]
            command += ["--format", "raw", "--nonblocking", "--full-filenames", "--output", str(output)]
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.runs[name] = (process, output)

    @property
    def active(self):
        return bool(self.runs)

    def stop(self):
        """End the sampling now (py-spy writes its output on SIGINT); finish() collects it."""
        if self.stopped is None:
            self.stopped = min(time.monotonic(), self.started + self.seconds)
        for process, _ in self.runs.values():
            if process.returncode is None:  # not reaped yet: its pid is still its own, a zombie's included
                # os.kill, not send_signal(): that would reap an ended one, and _reap() its CPU figure with it
                os.kill(process.pid, signal.SIGINT)

    def finish(self, top=6):
        """{name: {"samples": n, "own": [(frame, share)], "within": [(frame, share)]}} (shares 0..1)."""
        found = {}
        for name, (process, output) in self.runs.items():
            self.cpu_seconds += _reap(process, self.seconds + 30)
            if output.exists():
                found[name] = summarise(output.read_text(errors="replace"), top)
        if self.stopped is None:
            self.stopped = min(time.monotonic(), self.started + self.seconds)
        return found


def _reap(process, timeout):
    """Wait for a py-spy process (killing it after ``timeout`` s); the CPU seconds it used, from wait4."""
    if process.returncode is not None:
        return 0.0
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            process.kill()
            deadline = float("inf")  # a SIGKILLed process ends: wait for it
        time.sleep(0.05)


def frame_name(frame, line=True):
    """``function (path:line)`` from py-spy's ``function (path:line)``, the path cut to ours or a package;
    ``function (path)`` without the line number when ``line`` is false."""
    function, _, where = frame.rpartition(" (") if frame.endswith(")") else (frame, "", "")
    if not function:
        function, where = frame, ""
    where = where.rstrip(")")
    path, _, number = where.rpartition(":")
    if not number.isdigit():
        path, number = where, ""
    for place in PLACES:
        path, found = place.subn("", path, count=1)
        if found:
            break
    if not path:
        return function
    return f"{function} ({path}:{number})" if line and number else f"{function} ({path})"


def ours(frame):
    return any(f"({prefix}" in frame for prefix in OURS)


def summarise(raw, top):
    """Collapsed stacks (``frame;frame;... count`` per line, outermost first) -> the top frames."""
    own, within, total = Counter(), Counter(), 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        count = int(count)
        frames = [frame for frame in stack.split(";") if not frame.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frame_name(frames[-1])] += count
        functions = (frame_name(frame, line=False) for frame in frames)
        for function in dict.fromkeys(function for function in functions if ours(function)):
            within[function] += count
    share = (lambda n: n / total) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "own": [(frame, share(n)) for frame, n in own.most_common(top)],
        "within": [(frame, share(n)) for frame, n in within.most_common(top)],
    }


def print_profiles(profiles, heading, missing="py-spy is not installed: pip install py-spy", least=20):
    """Each process's top frames; a process with fewer than ``least`` busy samples gets its count only."""
    if not profiles:
        print(f"\n{heading}: no profile ({missing})")
        return
    print(f"\n{heading} (py-spy, {RATE} Hz; shares of each process's busy samples):")
    for name, found in profiles.items():
        if found["samples"] < least:
            print(f"  {name}: {found['samples']} samples (too few to rank)")
            continue
        print(f"  {name}: {found['samples']} samples")
        for kind in ("own", "within"):
            for frame, part in found[kind]:
                print(f"    {kind:<6} {part * 100:5.1f} %  {frame}")
