"""A bounded HTTP load generator: threads, each with its own keep-alive connection to 127.0.0.1.

Threads rather than a green pool: this process is not eventlet-patched, and http.client releases the
GIL while it waits on the socket, so 16 threads cost little CPU beside the services they measure.
"""

import http.client
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Outcome:
    name: str
    sent: int = 0
    elapsed: float = 0.0
    latencies: list = field(default_factory=list)  # seconds, successful (2xx) answers only
    labelled: dict = field(default_factory=dict)  # label -> its latencies, for requests made with one
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # exceptions, by type
    stopped_by_deadline: bool = False

    @property
    def ok(self):
        return len(self.latencies)

    @property
    def errors(self):
        return self.sent - self.ok

    @property
    def throughput(self):
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction, label=None):
        ordered = sorted(self.latencies if label is None else self.labelled.get(label, ()))
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(name, port, make_request, total, concurrency, time_limit, stop=None):
    """Send ``total`` requests (``make_request(i)`` -> (method, path, body or None[, headers[, label]]))
    over ``concurrency`` keep-alive connections; stop early when ``time_limit`` seconds have passed, or
    once ``stop`` (an Event, perhaps another process's) is set. Latencies are also kept by label, for the
    requests that have one."""
    outcome = Outcome(name)
    numbers = itertools.count()
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + time_limit

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies, statuses, failures, labelled = [], Counter(), Counter(), {}
        try:
            while True:
                with lock:
                    number = next(numbers)
                if number >= total or (stop is not None and stop.is_set()):
                    break
                if time.monotonic() > deadline:
                    outcome.stopped_by_deadline = True
                    break
                method, path, body, *extra = make_request(number)
                payload = None if body is None else json.dumps(body).encode()
                headers = ({"Content-Type": "application/json"} if payload else {}) | (
                    extra[0] if extra else {}
                )
                label = extra[1] if len(extra) > 1 else None
                begun = time.perf_counter()
                try:
                    connection.request(method, path, body=payload, headers=headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as exc:
                    failures[type(exc).__name__] += 1
                    connection.close()  # the next request opens a fresh connection
                    continue
                took = time.perf_counter() - begun
                statuses[response.status] += 1
                if 200 <= response.status < 300:
                    latencies.append(took)
                    if label is not None:
                        labelled.setdefault(label, []).append(took)
        finally:
            connection.close()
            with lock:
                outcome.latencies.extend(latencies)
                outcome.statuses.update(statuses)
                outcome.failures.update(failures)
                for label, taken in labelled.items():
                    outcome.labelled.setdefault(label, []).extend(taken)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(time_limit + 60)  # a worker is bounded by its deadline plus one request timeout
    outcome.elapsed = time.monotonic() - started
    outcome.sent = sum(outcome.statuses.values()) + sum(outcome.failures.values())
    return outcome
