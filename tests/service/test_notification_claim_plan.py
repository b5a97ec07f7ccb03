"""The mail sender's claim reads only the rows it takes, whatever the delivery log holds and whether or
not the table was ever analysed (PostgreSQL runs with autovacuum off on some machines): its plan walks the
partial index ``deliveries_due`` (pending and sending rows, in the claim's order)."""

import json
import uuid

from kit.db import connect
from kit.migrations import migrate
from services.notification.service import MIGRATIONS
from services.notification.store import deliveries

SENT, PENDING = 60_000, 40

ROWS = """
INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, message_id, subject,
    body_text, body_html, status, sent_at)
SELECT gen_random_uuid(), 'registration_confirmed', 'plan-' || %(kind)s || g || '@example.org', 'R', 'fr',
    '<plan-' || %(kind)s || g || '@opendetat>', 's', 'b', 'h', %(status)s,
    CASE WHEN %(status)s = 'sent' THEN now() END
FROM generate_series(1, %(count)s) AS g
"""


def explained_claim(database_url, schema):
    """EXPLAIN ANALYZE of the mail sender's claim over 60,000 sent rows and 40 due ones, never analysed."""
    with connect(database_url, schema) as conn:
        conn.execute(ROWS, {"kind": "sent", "status": "sent", "count": SENT})
        conn.execute(ROWS, {"kind": "due", "status": "pending", "count": PENDING})
        deliveries.hold_claim(conn, 4242)
        conn.execute(deliveries.IN_INDEX_ORDER)
        params = {"space": deliveries.CLAIM_SPACE, "claim": 4242, "lease": 60, "limit": 500}
        explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + deliveries.CLAIM
        plan = conn.execute(explain, params).fetchone()["QUERY PLAN"]
        conn.rollback()
    return plan if isinstance(plan, list) else json.loads(plan)


def plan_nodes(node):
    yield node
    for child in node.get("Plans", ()):
        yield from plan_nodes(child)


def test_the_claim_walks_the_due_index_among_many_sent_rows_without_statistics(database_url):
    # A schema of its own: the session's notification schema holds every other test's deliveries, and
    # the dead index entries of those sent meanwhile (autovacuum is off), which this walk would read too.
    schema = f"claim_plan_{uuid.uuid4().hex[:8]}"
    migrate(database_url, schema, MIGRATIONS)
    try:
        plan = explained_claim(database_url, schema)
    finally:
        with connect(database_url, schema, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    nodes = list(plan_nodes(plan[0]["Plan"]))
    scans = [n for n in nodes if n.get("Relation Name") == "deliveries" and "Scan" in n["Node Type"]]
    assert {n["Node Type"] for n in scans} == {"Index Scan"}, scans
    assert {n["Index Name"] for n in scans} == {"deliveries_due", "deliveries_pkey"}
    due = next(n for n in scans if n["Index Name"] == "deliveries_due")
    assert due["Actual Rows"] == PENDING
    assert due["Shared Hit Blocks"] + due.get("Shared Read Blocks", 0) < 50  # not the 60,000 sent rows
