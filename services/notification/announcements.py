"""Subscribers, and the announcement of a forum opening for registration to every one of them.

Each announcement carries the subscriber's own unsubscribe link, in the body and in the
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058 one-click). The handler of
``forum_opened`` only renders the announcement once per locale (a bulk message, see ``bulk``) and records
it in ``announcements``; the ``AnnouncementWriter`` then logs it for the subscribers in batches by key, one
transaction each, waking the sender after each: memory stays bounded however many there are, the first
emails leave while later batches are written, and ``announcements.queued`` shows the progress.
A round's opening and its last call (``rounds``), and a restitution published (``restitutions``), are
told to the forum's registrants first, one message each, then go to the subscribers the same way
(``tell_forum``): one announcement per event, whose batches skip whoever already has that event's message
(a registrant of the forum) and whoever voted; a round's carries the subscriber's own link to the round,
minted when sent. Transactional messages (confirmations, promotions) do not look at
subscriptions at all. The subscribers' statements are in ``store.roster``, the announcements' and the
batch's in ``store.announcements``.
"""

from kit.drainer import TableDrainer, notify
from services.notification import bulk, deliveries, mailer, roster, rules, store
from services.notification.rendering import named

CHANNEL = "notification_announcements"


def subscribed(cur, renderer, links, envelope, data):
    person = data["person"]
    keys = ("person_id", "email", "first_name", "last_name", "locale", "token_version")
    contact = {key: person[key] for key in keys}
    if not roster.erased(cur, person, envelope["time"]):
        state = {"subscription_id": data["subscription_id"], "status": "confirmed", "as_of": envelope["time"]}
        store.roster.keep_subscriber(cur, contact | state)
    return 0


def unsubscribed(cur, renderer, links, envelope, data):
    contact = {"person_id": data["person_id"], "email": data["email"], "first_name": "", "last_name": ""}
    contact["token_version"] = 0  # not told: the version known stays
    state = {"subscription_id": data["subscription_id"], "locale": "fr", "status": "ended"}
    store.roster.keep_subscriber(cur, contact | state | {"as_of": envelope["time"]})
    return 0


def announce(cur, renderer, links, envelope, forum):
    """Prepare the forum's announcement, once per forum; the writer then logs it for every subscriber."""
    if not store.announcements.start(cur, forum["id"], envelope["id"]):
        return 0  # announced already (this forum was opened before)
    context = {"forum": forum, "links": {"register": links.home()}}
    bulk_id = bulk.prepare(cur, renderer, "forum_announced", context, headers=unsubscribe_headers)
    store.announcements.set_bulk_message(cur, forum["id"], bulk_id)
    notify(cur, CHANNEL)
    return 0  # nothing for the sender yet: the writer wakes it batch by batch


def tell_forum(
    cur, renderer, envelope, forum_id, context, excluded=(), personal_links=None, marked_links=None
):
    """Tell the event (its type names the message) to the forum's confirmed and waitlisted registrants not
    in ``excluded``, one message each, then announce it to the subscribers not told yet; ``personal_links``
    gives a registrant's own links, ``marked_links`` a subscriber's (``bulk.prepare``). How many
    registrants' messages were logged (the subscribers' are the writer's)."""
    template, logged = envelope["type"], 0
    for registrant in rules.forum_audience(store.roster.registrants_of(cur, forum_id), excluded):
        person = named(registrant)
        own = context.get("links", {}) | (personal_links(person) if personal_links else {})
        rendered = renderer.render(template, person["locale"], context | {"person": person, "links": own})
        logged += deliveries.log_message(cur, envelope, template, person, rendered, forum_id)
    announce_event(cur, renderer, envelope, forum_id, template, context, excluded, marked_links)
    return logged


def announce_event(cur, renderer, envelope, forum_id, template, context, excluded=(), marked_links=None):
    """Prepare the announcement of a forum's event to the subscribers (less ``excluded``, and less those
    the event already has a message for); ``marked_links`` gives the links made of the recipient's
    markers (``bulk.prepare``)."""
    if not store.announcements.start_event(cur, forum_id, envelope["id"], template, excluded):
        return 0
    bulk_id = bulk.prepare(
        cur, renderer, template, context, headers=unsubscribe_headers, marked_links=marked_links
    )
    store.announcements.set_bulk_message(cur, envelope["id"], bulk_id)
    notify(cur, CHANNEL)
    return 0


def unsubscribe_headers(mark):
    """RFC 8058 one-click unsubscribe: the link (filled in per recipient) and the one-click promise."""
    return {
        "List-Unsubscribe": f"<{mark['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def write_batch(cur, batch_size):
    """Log the next batch of one announcement in progress; how many subscribers it covered (None: no
    announcement is in progress, or the ones in progress are being written by another replica)."""
    announcement = store.announcements.next_in_progress(cur)
    if announcement is None:
        return None
    done = store.announcements.write_batch(cur, announcement, batch_size)
    finished = done["covered"] < batch_size
    store.announcements.advance(cur, announcement["id"], done["logged"], done["reached"], finished)
    return done["covered"]


def progress(cur, forum_id):
    """The forum's announcement as it goes: subscribers logged so far, and when it started and finished."""
    row = store.announcements.progress(cur, forum_id)
    if row is None:
        return None
    return {
        "queued": row["queued"],
        "started_at": row["started_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
    }


class AnnouncementWriter(TableDrainer):
    """Writes the announcements in progress to the delivery log, a batch of subscribers per transaction:
    memory stays bounded however many subscribers there are, the sender starts on the first batch, and
    a restart goes on from the last batch written."""

    channel = CHANNEL
    batch_size = 2000

    def __init__(self):
        super().__init__("notification")

    def drain_once(self, conn):
        with conn.transaction():
            covered = write_batch(conn.cursor(), self.batch_size)
            if covered:
                notify(conn, mailer.CHANNEL)
        return self.batch_size if covered is not None else 0  # an announcement not finished: go on
