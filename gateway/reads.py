"""The public reads a page shows, kept a moment in the gateway: a page view during a registration burst
should not wait behind the registrations queued in the registration service.

Only the public pages ask through here (``self.registration.kept.get_forum(...)``); the JSON API and every
page that depends on who asks call the services directly, as before. An answer is:

- served as it is while younger than ``PUBLIC_READ_FRESH`` seconds (default 1);
- served as it is, and asked again in the background (once, whoever else asks meanwhile), while younger
  than ``PUBLIC_READ_STALE`` seconds (default 10): a page viewed at least that often never waits for a
  service, and shows data at most that old;
- asked now when absent or older: every visitor asking the same thing meanwhile waits for that one call.

An error is never kept, the next view asks again, except a service's "not found" (``…NotFound``), which is
an answer like any other (a forum with no restitution yet): it is kept, and raised again to each asker. What
this gateway itself changes is never shown stale: a call that changes a service's data forgets what was kept
of that service before it answers, and a fetch begun before the change is neither kept nor shared with a
visitor who asks after it. A registration (or its cancellation) forgets only its own forum's page, and not
the list of forums: the home page's seat counts may lag the registrations made meanwhile, as any kept answer
may (the registration's own answer, not a page, says whether a seat was taken). Another gateway's changes
and the changes the services make among themselves through events show within ``PUBLIC_READ_STALE`` seconds
at most.
``PUBLIC_READ_FRESH=0`` keeps nothing. A kept answer is shared by every page that shows it: never change
one.
"""

import itertools
import logging
import time
from collections import OrderedDict, namedtuple

from eventlet.event import Event
from nameko.exceptions import RemoteError
from nameko.extensions import SharedExtension

log = logging.getLogger(__name__)

ENTRIES = 2048  # at most: the least recently used answer goes first
# Calls that change nothing: reads (``get_…``, ``list_…`` and these) and checks; they never forget. A call
# not known as a read forgets, which is the safe side: a new read named otherwise costs kept answers only.
READS = frozenset({
    "ping", "health", "organiser_for_digest", "me", "my_data", "my_comments", "registration_summary",
    "registrations_csv", "participants", "attendance", "moderation_queue", "round_results",
    "round_results_csv", "round_page", "latest", "version", "page", "index", "commitments", "commitments_page", "feed",
    "commitments_csv", "attendance_csv", "comment_settings", "comments", "pending_comments",
    "delivery_summary",
})  # fmt: skip
# Calls that change only one forum's counts: what the call names as its forum (argument or answer).
FORUM_COUNTS = {
    ("registration", "register"): lambda args, answer: args[0] if args else None,
    ("registration", "cancel_registration"): lambda args, answer: (answer or {}).get("forum_id"),
}
# Reads whose answer is one forum's: forgotten when that forum's counts change.
ABOUT_A_FORUM = frozenset({("registration", "get_forum")})

Kept = namedtuple("Kept", "value at forum missing")
Flight = namedtuple("Flight", "event begun")


class PublicReads(SharedExtension):
    """One per gateway process: what the public pages read, by (service, method, arguments)."""

    def setup(self):
        config = self.container.config
        self.fresh = float(config.get("PUBLIC_READ_FRESH", 1))
        self.stale = max(self.fresh, float(config.get("PUBLIC_READ_STALE", 10)))
        self.kept = OrderedDict()
        self.flights = {}
        self.changes = itertools.count(1)  # each change takes the next number
        self.changed = {}  # service -> number of its last change; (service, forum id) -> idem

    def read(self, service, method, args, call):
        """``call()``'s answer, kept or asked (see the module)."""
        if self.fresh <= 0:
            return call()
        key = (service, method, args)
        kept = self.kept.get(key)
        if kept is not None:
            age = time.monotonic() - kept.at
            if age < self.stale:
                self.kept.move_to_end(key)
                if age >= self.fresh and key not in self.flights:
                    self._fly(key, call, background=True)
                if kept.missing:
                    raise RemoteError(kept.value.exc_type, kept.value.value)
                return kept.value
        flight = self.flights.get(key)
        if flight is not None and not self._changed_since(service, method, flight.begun):
            return flight.event.wait()
        return self._fly(key, call, background=False)

    def changing(self, service, method, args, answer):
        """After (or instead of) a call that may have changed ``service``'s data: forget what it made
        stale. Called whether the call answered or not (a timed-out command may still have acted)."""
        if method in READS or method.startswith(("get_", "list_")):
            return
        number = next(self.changes)
        counts = FORUM_COUNTS.get((service, method))
        forum_id = counts(args, answer) if counts else None
        if forum_id is None:  # not a count, or its forum unknown (no answer): all of the service
            self.changed[service] = number
            for key in [key for key in self.kept if key[0] == service]:
                del self.kept[key]
            return
        self.changed[(service, str(forum_id))] = number
        self.changed[(service, "a forum")] = number
        for key in [
            key for key, kept in self.kept.items() if key[0] == service and kept.forum == str(forum_id)
        ]:
            del self.kept[key]

    def _changed_since(self, service, method, begun, forum_id=None):
        if self.changed.get(service, 0) > begun:
            return True
        if (service, method) not in ABOUT_A_FORUM:
            return False
        if forum_id is None:  # not known before the answer: any forum's change counts
            return self.changed.get((service, "a forum"), 0) > begun
        return self.changed.get((service, forum_id), 0) > begun

    def _fly(self, key, call, background):
        flight = Flight(Event(), next(self.changes))
        self.flights[key] = flight
        if background:
            self.container.spawn_managed_thread(
                lambda: self._land(key, call, flight), identifier="public read"
            )
            return None
        return self._land(key, call, flight, raising=True)

    def _land(self, key, call, flight, raising=False):
        service, method, _ = key
        try:
            value = call()
        except Exception as exc:  # noqa: BLE001 - the asker (if any) is told; only a "not found" kept
            if self.flights.get(key) is flight:
                del self.flights[key]
            if missing(exc):
                self._keep(key, flight, exc, None, missing=True)
            flight.event.send_exception(exc)
            if raising:
                raise
            log.debug("refreshing %s.%s failed: %s", service, method, exc)
            return None
        if self.flights.get(key) is flight:
            del self.flights[key]
        forum = str(value["id"]) if (service, method) in ABOUT_A_FORUM and isinstance(value, dict) else None
        self._keep(key, flight, value, forum)
        flight.event.send(value)
        return value

    def _keep(self, key, flight, value, forum, missing=False):
        service, method, _ = key
        if self._changed_since(service, method, flight.begun, forum):
            return  # begun before a change: already stale
        self.kept[key] = Kept(value, time.monotonic(), forum, missing)
        self.kept.move_to_end(key)
        while len(self.kept) > ENTRIES:
            self.kept.popitem(last=False)


def missing(exc):
    return isinstance(exc, RemoteError) and str(exc.exc_type).endswith("NotFound")
