"""One claimed batch of the delivery log, sent on the mail sender's connections (see ``mailer``); its
statements (renewing the lease, giving rows back) are in ``store.deliveries``."""

import logging
import smtplib
import time
from collections import deque
from functools import partial

from eventlet.event import Event
from eventlet.queue import Empty, LightQueue

from services.notification import rules, store

log = logging.getLogger(__name__)


class Batch:
    """One claimed batch: workers send, this greenlet commits each outcome as soon as it comes.

    A worker waits for its outcome's commit before it writes anything more on its connection: that is
    what bounds a crash's repeats to one message per connection. When a commit fails (the database went
    away), nothing more is sent: the outcomes and the rows not sent stay with the sender (``settle``).
    """

    FINISHED = object()

    def __init__(self, sender, conn, rows, bulk):
        self.sender, self.conn, self.rows, self.bulk = sender, conn, rows, bulk
        self.todo = deque(rows)
        self.outcomes = LightQueue()  # (outcomes, Event sent True once committed) from the workers
        self.halted = None  # the row whose failure showed the server out of reach
        self.lost = None  # the database error that stopped recording
        self.unsent = []  # rows the workers had in hand when recording stopped

    def send(self):
        """Send the batch; return how many rows were handled (0 when the server is out of reach)."""
        workers = min(self.sender.connections, len(self.rows))
        for slot in range(workers):  # managed: a container that is killed kills them too
            self.sender.container.spawn_managed_thread(
                partial(self.work, slot), identifier=f"mail worker {slot}"
            )
        self.collect(workers)
        if self.lost is not None:
            self.sender.unsent += [*self.unsent, *self.todo]
            self.todo.clear()
            raise self.lost
        if self.todo:  # stopping, or the server is out of reach: the rest goes back, without an attempt
            delay = self.sender.delay(self.halted["attempts"]) if self.halted else 0
            store.deliveries.release(self.conn, [row["id"] for row in self.todo], self.sender.claim, delay)
            self.conn.commit()
        return 0 if self.halted else len(self.rows)

    def collect(self, running):
        renewed_at = time.monotonic()
        while running:
            try:
                handed = [self.outcomes.get(timeout=self.sender.lease / 4)]
            except Empty:
                handed = []
            while self.outcomes.qsize():  # everything that came in during the last commit
                handed.append(self.outcomes.get_nowait())
            running -= sum(1 for item in handed if item is self.FINISHED)
            self.record([item for item in handed if item is not self.FINISHED])
            if self.lost is None and time.monotonic() - renewed_at > self.sender.lease / 2:
                self.commit(self.renew)  # a slow server: keep the rest ours
                renewed_at = time.monotonic()

    def record(self, handed):
        if not handed:
            return
        outcomes = [outcome for batch, _ in handed for outcome in batch]
        recorded = self.lost is None and self.commit(partial(self.sender.record, self.conn, outcomes))
        if not recorded:
            self.sender.unrecorded += outcomes
        for _, done in handed:
            done.send(recorded)

    def renew(self):
        store.deliveries.renew(
            self.conn, [row["id"] for row in self.rows], self.sender.claim, self.sender.lease
        )

    def commit(self, work):
        """Run ``work`` and commit; False (and the batch stops sending) if the database failed us."""
        try:
            # Not in a psycopg pipeline: a connection cut in the middle of one left a stray wake-up from
            # its green select() behind, which later woke this greenlet out of its queue (the outcomes it
            # then held were neither recorded nor kept). Two round trips, with no wait for the disk.
            work()
            self.conn.commit()
            return True
        except Exception as exc:  # noqa: BLE001 - raised again once the workers have stopped
            log.warning("mail sender: recording failed (%s); nothing more is sent until it is recorded", exc)
            self.lost = exc
            return False

    def work(self, slot):
        rows, retried = {}, False  # the rows this worker has in hand, by id
        try:
            while self.todo and self.sender.running and self.halted is None and self.lost is None:
                row = self.todo.popleft()
                rows[row["id"]] = row
                try:
                    message = self.sender.compose(row, self.bulk.get(row["bulk_id"]))
                    session = self.sender.session(slot)
                    outcomes = session.send(row["id"], row["recipient"], message)
                except Exception as exc:  # noqa: BLE001 - composing or connecting failed: this row only
                    outcomes = [(row["id"], exc)]
                    session = None
                if not retried and self.stale(session, outcomes, row):
                    retried = True  # an idle connection the server had closed: one fresh try
                    self.todo.appendleft(row)
                    continue
                if not self.report(rows, outcomes):
                    break
            self.finish(slot, rows)
        finally:
            self.outcomes.put(self.FINISHED)

    def finish(self, slot, rows):
        """End the message in hand; or, if nothing can be recorded, drop it unsent with the connection."""
        if self.lost is not None:
            self.sender.abort(slot)
            self.unsent += rows.values()
        elif self.sender.smtp.get(slot) is not None:
            self.report(rows, self.sender.smtp[slot].finish())

    def stale(self, session, outcomes, row):
        """True if the connection turned out closed at this row, the first of a session, nothing else lost."""
        return (
            session is not None
            and session.broken
            and len(outcomes) == 1
            and outcomes[0][0] == row["id"]
            and isinstance(outcomes[0][1], smtplib.SMTPServerDisconnected | ConnectionResetError)
        )

    def report(self, rows, outcomes):
        """Hand the outcomes to the recording greenlet and wait for their commit; False if it failed.
        (A broken session is replaced at the next row.)"""
        if not outcomes:
            return True
        handed = []
        for row_id, exc in outcomes:
            row = rows.pop(row_id)
            if exc is not None and rules.unreachable(exc) and self.halted is None:
                self.halted = row
            handed.append((row, exc))
        done = Event()
        self.outcomes.put((handed, done))
        return done.wait()
