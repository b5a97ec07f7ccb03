"""Reminders before each forum, kept in the database so that they survive restarts.

One row per forum (``reminders``) says when it starts and whether its reminder went out. The forum
events keep the row in step with the newest copy of the forum: a new date moves it (and a reminder
already sent for the old date is owed again), a cancelled or held forum drops it. A timer picks the due
rows (``REMINDER_LEAD_HOURS`` before the start, 48 by default) with ``FOR UPDATE SKIP LOCKED``, so two
replicas never take the same forum, and in the same transaction writes one message per confirmed
registrant to the delivery log and marks the row sent. The messages' event id is derived from the forum
and its start, so the log's uniqueness stops any second copy of one reminder.

Who gets one: the registrants confirmed when the reminder goes out. A registrant cancelled or erased
before then gets none; one confirmed or promoted after it gets none either, since the confirmation
they just received carries the same date, venue and attendee code.
"""

import uuid

from nameko.extensions import DependencyProvider

from services.notification import deliveries, roster
from services.notification.incoming import FORUM
from services.notification.rendering import one_line

REMINDER_NAMESPACE = uuid.UUID("b3d3a0a4-52a4-4f0e-9a57-4c1d2b7e8f61")
DEFAULT_LEAD_HOURS = 48
BATCH = 500
TEMPLATE = "forum_reminder"

PLAN = """
INSERT INTO reminders AS r (forum_id, starts_at) VALUES (%(forum_id)s, %(starts_at)s)
ON CONFLICT (forum_id) DO UPDATE SET starts_at = excluded.starts_at, sent_at = NULL, recipients = 0
WHERE r.starts_at <> excluded.starts_at
"""
NEXT_DUE = """
SELECT r.forum_id, r.starts_at, f.forum FROM reminders r JOIN roster_forums f ON f.id = r.forum_id
WHERE r.sent_at IS NULL AND r.starts_at > now()
  AND r.starts_at - make_interval(secs => %(lead)s) <= now()
  AND f.status NOT IN ('cancelled', 'held')
ORDER BY r.starts_at LIMIT 1 FOR UPDATE OF r SKIP LOCKED
"""
NEXT_BATCH = """
SELECT registration_id, person_id, token_version, email, first_name, last_name, locale, status
FROM roster_registrants
WHERE forum_id = %s AND status = 'confirmed' AND registration_id > %s
ORDER BY registration_id LIMIT %s
"""
DONE = "UPDATE reminders SET sent_at = now(), recipients = %s WHERE forum_id = %s"


def plan(cur, copy):
    """Keep the forum's reminder in step with its newest copy (``roster.ForumCopy``)."""
    if copy.status in roster.FINAL_FORUM_STATUSES:
        cur.execute("DELETE FROM reminders WHERE forum_id = %s", (copy.forum["id"],))
    else:
        cur.execute(PLAN, {"forum_id": copy.forum["id"], "starts_at": copy.forum["starts_at"]})


def batch_id(forum_id, starts_at):
    """The reminder's event id: the same for one forum and date, whoever sends it and however often."""
    return uuid.uuid5(REMINDER_NAMESPACE, f"{forum_id}/{starts_at.isoformat()}")


def send_next(cur, renderer, links, lead_hours):
    """Write the next due forum's reminders; None when none is due, else how many were logged."""
    due = cur.execute(NEXT_DUE, {"lead": lead_hours * 3600}).fetchone()
    if due is None:
        return None
    forum = FORUM.load(due["forum"])
    envelope = {"id": batch_id(due["forum_id"], due["starts_at"])}
    logged, after = 0, uuid.UUID(int=0)
    while True:
        batch = cur.execute(NEXT_BATCH, (due["forum_id"], after, BATCH)).fetchall()
        for registrant in batch:
            logged += remind(cur, renderer, links, envelope, forum, registrant)
        if len(batch) < BATCH:
            break
        after = batch[-1]["registration_id"]
    cur.execute(DONE, (logged, due["forum_id"]))
    return logged


def remind(cur, renderer, links, envelope, forum, registrant):
    person = dict(registrant)
    person |= {"first_name": one_line(person["first_name"]), "last_name": one_line(person["last_name"])}
    context = {
        "forum": forum,
        "person": person,
        "status": "confirmed",
        "links": {"manage": links.manage(person)},
    }
    rendered = renderer.render(TEMPLATE, person["locale"], context)
    return int(deliveries.log_message(cur, envelope, TEMPLATE, person, rendered, forum["id"]))


class ReminderLead(DependencyProvider):
    """How many hours before a forum its reminder goes out (``REMINDER_LEAD_HOURS``, 48 by default)."""

    def setup(self):
        self.hours = float(self.container.config.get("REMINDER_LEAD_HOURS", DEFAULT_LEAD_HOURS))

    def get_dependency(self, worker_ctx):
        return self.hours
