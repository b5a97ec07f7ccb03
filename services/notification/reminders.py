"""Reminders before each forum, kept in the database so that they survive restarts.

One row per forum (``reminders``) says when it starts and whether its reminder went out. The forum
events keep the row in step with the newest copy of the forum: a new date moves it (and a reminder
already sent for the old date is owed again), a cancelled or held forum drops it. A timer picks the due
rows (``REMINDER_LEAD_HOURS`` before the start, 48 by default), each locked and skipped by the other
replicas (``store.reminders``), so two replicas never take the same forum, and in the same transaction
writes one message per confirmed registrant to the delivery log and marks the row sent. The messages'
event id is derived from the forum and its start (``rules.reminder_event_id``), so the log's uniqueness
stops any second copy of one reminder.

Who gets one: the registrants confirmed when the reminder goes out. A registrant cancelled or erased
before then gets none; one confirmed or promoted after it gets none either, since the confirmation
they just received carries the same date, venue and attendee code.
"""

import uuid

from nameko.extensions import DependencyProvider

from services.notification import deliveries, rules, store
from services.notification.incoming import FORUM
from services.notification.rendering import one_line

DEFAULT_LEAD_HOURS = 48
BATCH = 500
TEMPLATE = "forum_reminder"


def plan(cur, copy):
    """Keep the forum's reminder in step with its newest copy (``roster.ForumCopy``)."""
    if rules.is_final(copy.status):
        store.reminders.drop(cur, copy.forum["id"])
    else:
        store.reminders.plan(cur, copy.forum["id"], copy.forum["starts_at"])


def send_next(cur, renderer, links, lead_hours):
    """Write the next due forum's reminders; None when none is due, else how many were logged."""
    due = store.reminders.next_due(cur, lead_hours * 3600)
    if due is None:
        return None
    forum = FORUM.load(due["forum"])
    envelope = {"id": rules.reminder_event_id(due["forum_id"], due["starts_at"])}
    logged, after = 0, uuid.UUID(int=0)
    while True:
        batch = store.roster.confirmed_after(cur, due["forum_id"], after, BATCH)
        for registrant in batch:
            logged += remind(cur, renderer, links, envelope, forum, registrant)
        if len(batch) < BATCH:
            break
        after = batch[-1]["registration_id"]
    store.reminders.mark_sent(cur, due["forum_id"], logged)
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
