"""The forum series: create, change, open, close, hold, cancel, list.

A change reads the forum with its row locked, is checked by ``rules`` (the lifecycle, and the forum as it
will be), is written through ``store.forums``, then emitted and recorded in the audit trail. Seats a
change frees go to the people waiting (``registrations.promote``).
"""

import re
import secrets
import unicodedata

from kit import paging
from kit.serial import jsonable
from services.registration import registrations, rules, store
from services.registration.errors import ForumNotFound
from services.registration.views import forum_event_block, forum_view

COLUMN_OF = {"venue": None, "quotas": None}  # fields that are not one column
FIELDS = (
    "title", "description", "starts_at", "ends_at", "timezone", "venue", "capacity", "slug",
    "registration_opens_at", "registration_closes_at", "quotas", "quota_release_at", "agenda", "documents",
)  # fmt: skip


def slugify(title):
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "forum"
    return f"{base}-{secrets.token_hex(3)}"


def view(tx, row):
    groups = store.forums.groups(tx.cur, row["id"])
    return forum_view(row, {group: reserved for group, (reserved, _) in groups.items()}, tx.now)


def create(tx, data):
    forum = store.forums.insert_forum(tx.cur, data, data.get("slug") or slugify(data["title"]))
    quotas = data.get("quotas") or {}
    rules.check_quotas(quotas, forum["capacity"], {})
    store.forums.reserve_seats(tx.cur, forum["id"], quotas)
    tx.emit("forum_scheduled", {"forum": forum_event_block(forum)})
    if forum["status"] == "open":
        tx.emit("forum_opened", {"forum": forum_event_block(forum)})
    tx.record("forum_created", forum["id"], {"title": forum["title"], "status": forum["status"]})
    return view(tx, forum)


def get(tx, forum_ref, include_drafts=False):
    row = store.forums.find(tx.cur, forum_ref)
    if row is None or (row["status"] == "draft" and not include_drafts):
        raise ForumNotFound(f"no forum {forum_ref}")
    return view(tx, row)


def update(tx, forum_id, changes):
    forum = store.forums.lock(tx.cur, forum_id)
    groups = store.forums.groups(tx.cur, forum_id)
    rules.check_editable(forum)
    before = view(tx, forum)
    rules.check_consistent(forum, groups, changes)
    rules.check_capacity(forum, changes.get("capacity", forum["capacity"]))
    columns = {key: value for key, value in changes.items() if key not in COLUMN_OF}
    if "venue" in changes:
        columns |= {f"venue_{key}": value for key, value in changes["venue"].items()}
    if columns:
        forum = store.forums.update_forum(tx.cur, forum_id, columns)
    if "quotas" in changes:
        quotas = {group: changes["quotas"].get(group, 0) for group in set(groups) | set(changes["quotas"])}
        rules.check_quotas(quotas, forum["capacity"], groups)
        store.forums.reserve_seats(tx.cur, forum_id, quotas)
    after = view(tx, forum)
    changed = sorted(key for key in FIELDS if after[key] != before[key])
    if changed:
        tx.emit("forum_updated", {"forum": forum_event_block(forum), "changes": changed,
                                  "previous": {key: before[key] for key in changed}})  # fmt: skip
        registrations.promote(tx, forum_id, "seats_added")
    tx.record("forum_updated", forum_id, {"changes": changed})
    return get(tx, forum_id, include_drafts=True)


def transition(tx, forum_id, status, reason=None):
    """Move the forum to ``status``. A cancellation's reason is the forum's (told to everyone registered);
    any other move's, the organisers' own: kept in the audit trail with the move."""
    forum = store.forums.lock(tx.cur, forum_id)
    previous = forum["status"]
    event = rules.check_transition(previous, status)
    forum = store.forums.set_status(tx.cur, forum_id, status, reason if status == "cancelled" else None)
    if status == "cancelled":
        for registration_id in store.registrations.active_ids(tx.cur, forum_id):
            registrations.cancel(tx, registration_id, cancelled_by="forum_cancelled", reason=reason)
    tx.emit(
        event, {"forum": forum_event_block(forum)} | ({"reason": reason} if status == "cancelled" else {})
    )
    tx.record(event, forum_id, {"from": previous} | ({"reason": reason} if reason else {}))
    return get(tx, forum_id, include_drafts=True)


def release_quotas(tx, forum_id):
    """Reserved seats not taken by the release date become open seats; the waiting list moves up."""
    forum = store.forums.lock(tx.cur, forum_id)
    if forum["quotas_released"]:
        return 0
    store.forums.mark_quotas_released(tx.cur, forum_id)
    return registrations.promote(tx, forum_id, "quota_released")


def due_for_release(tx):
    return store.forums.due_for_release(tx.cur, tx.now)


def listing(tx, when="upcoming", limit=20, cursor=None, include_drafts=False):
    after = paging.FORUMS.read(cursor) if cursor else None
    rows = store.forums.page(tx.cur, when, tx.now, after, include_drafts, limit + 1)
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    next_cursor = paging.FORUMS.write(last["starts_at"], last["id"]) if last else None
    return jsonable({"items": [view(tx, row) for row in page], "next_cursor": next_cursor})
