"""The ballot burst: ``--ballots`` people (5,000) each put their ballot in one approval round, through the
gateway, over ``--concurrency`` keep-alive connections, beside GET /api/v1/ping (gateway -> RPC -> reply,
the ceiling) measured in the same run on the same stack.

The people are seeded straight into the topics service's table (as verified registrants of the series,
spread over the stakeholder groups) and each gets the token of a management link minted with the stack's
key, as an email would carry it; the forum reaches the topics service the usual way (created through the
API, learnt from registration's events). Afterwards the round is closed and its results must count every
ballot: a fast burst that lost ballots would be no result.
"""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import requests

from bench.environment import TOKEN, open_forum
from bench.load import run
from kit import tokens

GROUPS = ("administration", "civil_society", "company", "citizen", "research_media", "other")
SECRET = "dev-only-secret-key"  # deploy/config.yaml's development default, which the bench's stack runs with
TOPICS = 12


def seed_people(database_url, count):
    """``count`` verified people, groups in turn; returns their ids."""
    people = [uuid.uuid4() for _ in range(count)]
    with psycopg.connect(database_url, options="-c search_path=topics") as conn:
        columns = "person_id, token_version, verified, stakeholder_group, group_as_of"
        with conn.cursor().copy(f"COPY people ({columns}) FROM STDIN") as copy:
            for n, person in enumerate(people):
                copy.write_row((person, 0, True, GROUPS[n % len(GROUPS)], "2026-01-01T00:00:00Z"))
    return people


def wait_for_forum(database_url, forum_id, timeout=60):
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, options="-c search_path=topics", autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT 1 FROM forums WHERE id = %s", (forum_id,)).fetchone():
                return
            time.sleep(0.2)
    raise RuntimeError("the topics service never learnt of the forum")


def prepare(stack, database_url, count):
    """A forum with TOPICS published topics and an open approval round; ``count`` people and their
    tokens. Returns (round id, topic ids, tokens)."""
    organiser = {"Authorization": f"Bearer {TOKEN}"}
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    forum_id = open_forum(stack)
    wait_for_forum(database_url, forum_id)
    topic_ids = []
    for n in range(TOPICS):
        answer = requests.post(
            f"{stack.base_url}/api/v1/forums/{forum_id}/topics",
            json={"title": f"Sujet {n}", "description": "Pour le benchmark"},
            headers=organiser,
            timeout=30,
        )
        answer.raise_for_status()
        topic_ids.append(answer.json()["id"])
    answer = requests.post(
        f"{stack.base_url}/api/v1/forums/{forum_id}/rounds",
        json={"method": "approval", "max_choices": 3, "agenda_size": 3, "closes_at": tomorrow.isoformat()},
        headers=organiser,
        timeout=30,
    )
    answer.raise_for_status()
    people = seed_people(database_url, count)
    minted = [tokens.mint(SECRET, "manage", str(person), 0) for person in people]
    return answer.json()["id"], topic_ids, minted


def burst(stack, database_url, args):
    """The ceiling, then the ballots; returns (ping outcome, ballot outcome, ballots counted at close)."""
    round_id, topic_ids, minted = prepare(stack, database_url, args.ballots)
    port = int(stack.env["GATEWAY_PORT"])
    pinging = lambda n: ("GET", "/api/v1/ping", None)  # noqa: E731
    run("warm-up", port, pinging, args.warmup, args.concurrency, args.time_limit)
    ping = run("GET /api/v1/ping (ceiling)", port, pinging, args.requests, args.concurrency, args.time_limit)
    choices = random.Random(7)

    def ballot(n):
        body = {"choices": choices.sample(topic_ids, 1 + n % 3)}
        return "PUT", f"/api/v1/rounds/{round_id}/ballot", body, {"Authorization": f"Bearer {minted[n]}"}

    ballots = run("PUT ballots", port, ballot, args.ballots, args.concurrency, args.time_limit)
    closed = requests.post(
        f"{stack.base_url}/api/v1/rounds/{round_id}/close",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    closed.raise_for_status()
    return ping, ballots, closed.json()["results"]["ballots"]


def report(ping, ballots, counted):
    """Print the burst's figures; return them (for the results file)."""
    ratio = ballots.throughput / ping.throughput if ping.throughput else float("nan")
    print(
        f"\nballots: {ballots.ok} of {ballots.sent} accepted ({ballots.throughput:.0f}/s,"
        f" p50 {ballots.percentile(0.5) * 1000:.0f} ms, p99 {ballots.percentile(0.99) * 1000:.0f} ms),"
        f" errors: {ballots.errors} {dict(ballots.statuses)}\n"
        f"         ceiling GET /api/v1/ping: {ping.throughput:.0f}/s (p99 {ping.percentile(0.99) * 1000:.0f} ms);"
        f" ballots/ceiling = {ratio:.2f}\n"
        f"         the closed round counted {counted} ballots"
    )
    return {
        "ballots": ballots.sent, "accepted": ballots.ok, "errors": ballots.errors,
        "req_s": round(ballots.throughput, 1), "p50_ms": round(ballots.percentile(0.5) * 1000, 1),
        "p99_ms": round(ballots.percentile(0.99) * 1000, 1), "ping_req_s": round(ping.throughput, 1),
        "ping_p99_ms": round(ping.percentile(0.99) * 1000, 1),
        "ratio": round(ratio, 3) if ping.throughput else None, "counted": counted,
    }  # fmt: skip
