"""The forum series: create, change, open, close, hold, cancel, list."""

import re
import secrets
import unicodedata
import uuid
from datetime import datetime

from psycopg.errors import UniqueViolation

from kit import paging
from kit.serial import jsonable
from services.registration import registrations, seats
from services.registration.errors import (
    CapacityBelowConfirmed,
    ForumNotFound,
    InvalidCursor,
    InvalidForumChange,
    InvalidTransition,
    QuotaInvalid,
    SlugTaken,
)
from services.registration.views import FORUM_COLUMNS, forum_event_block, forum_view

# status -> the statuses it may move to, and the event each move emits
TRANSITIONS = {
    "open": ({"draft", "closed"}, "forum_opened"),
    "closed": ({"open"}, "forum_closed"),
    "held": ({"open", "closed"}, "forum_held"),
    "cancelled": ({"draft", "open", "closed"}, "forum_cancelled"),
}
EDITABLE = {"draft", "open", "closed"}
COLUMN_OF = {"venue": None, "quotas": None}  # fields that are not one column
FIELDS = (
    "title", "description", "starts_at", "ends_at", "timezone", "venue", "capacity", "slug",
    "registration_opens_at", "registration_closes_at", "quotas", "quota_release_at",
)  # fmt: skip


def slugify(title):
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "forum"
    return f"{base}-{secrets.token_hex(3)}"


def view(tx, row):
    groups = seats.load_groups(tx.cur, row["id"])
    return forum_view(row, {group: reserved for group, (reserved, _) in groups.items()}, tx.now)


def set_quotas(tx, forum, quotas, groups):
    if sum(quotas.values()) > forum["capacity"]:
        raise QuotaInvalid(
            f"{sum(quotas.values())} reserved seats exceed the capacity of {forum['capacity']}"
        )
    for group, seats_reserved in quotas.items():
        reserved, confirmed = groups.get(group, (0, 0))
        if seats_reserved < reserved and seats_reserved < confirmed:
            raise QuotaInvalid(
                f"{confirmed} {group} registrations are confirmed: cannot reserve only {seats_reserved}"
            )
        tx.cur.execute(
            "INSERT INTO forum_groups (forum_id, stakeholder_group, reserved_seats) VALUES (%s, %s, %s)"
            " ON CONFLICT (forum_id, stakeholder_group) DO UPDATE SET reserved_seats = EXCLUDED.reserved_seats",
            (forum["id"], group, seats_reserved),
        )


def create(tx, data):
    venue = data["venue"]
    try:
        tx.cur.execute(
            "INSERT INTO forums (id, slug, title, description, starts_at, ends_at, timezone, venue_name,"
            " venue_address, venue_city, venue_accessibility, capacity, status, registration_opens_at,"
            " registration_closes_at, quota_release_at)"
            f" VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {FORUM_COLUMNS}",
            (
                uuid.uuid4(), data.get("slug") or slugify(data["title"]), data["title"], data.get("description", ""),
                data["starts_at"], data["ends_at"], data.get("timezone", "Europe/Paris"), venue["name"],
                venue["address"], venue["city"], venue.get("accessibility", ""), data["capacity"],
                data.get("status", "open"), data.get("registration_opens_at"), data.get("registration_closes_at"),
                data.get("quota_release_at"),
            ),
        )  # fmt: skip
    except UniqueViolation:
        raise SlugTaken(f"the slug {data.get('slug')!r} is taken") from None
    forum = tx.cur.fetchone()
    set_quotas(tx, forum, data.get("quotas") or {}, {})
    tx.emit("forum_scheduled", {"forum": forum_event_block(forum)})
    if forum["status"] == "open":
        tx.emit("forum_opened", {"forum": forum_event_block(forum)})
    tx.record("forum_created", forum["id"], {"title": forum["title"], "status": forum["status"]})
    return view(tx, forum)


def get(tx, forum_ref, include_drafts=False):
    try:
        key, value = "id", uuid.UUID(str(forum_ref))
    except ValueError:
        key, value = "slug", forum_ref
    tx.cur.execute(f"SELECT {FORUM_COLUMNS} FROM forums WHERE {key} = %s", (value,))
    row = tx.cur.fetchone()
    if row is None or (row["status"] == "draft" and not include_drafts):
        raise ForumNotFound(f"no forum {forum_ref}")
    return view(tx, row)


def check_consistent(forum, groups, changes):
    """A change is checked against the forum as it will be, not only against itself."""
    after = {key: changes.get(key, forum[key]) for key in
             ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at", "capacity")}  # fmt: skip
    after = {key: parse(value) for key, value in after.items()}
    if after["ends_at"] <= after["starts_at"]:
        raise InvalidForumChange("the forum would end before it starts")
    closes = after["registration_closes_at"] or after["starts_at"]
    if after["registration_opens_at"] and after["registration_opens_at"] >= closes:
        raise InvalidForumChange("registration would open after it closes")
    reserved = changes.get("quotas") or {group: reserved for group, (reserved, _) in groups.items()}
    if sum(reserved.values()) > after["capacity"]:
        raise QuotaInvalid(
            f"{sum(reserved.values())} reserved seats exceed the capacity of {after['capacity']}"
        )


def parse(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def update(tx, forum_id, changes):
    forum, groups = seats.lock_forum(tx.cur, forum_id)
    if forum["status"] not in EDITABLE:
        raise InvalidTransition(f"a {forum['status']} forum cannot be changed")
    before = view(tx, forum)
    check_consistent(forum, groups, changes)
    capacity = changes.get("capacity", forum["capacity"])
    if capacity < forum["confirmed_count"]:
        raise CapacityBelowConfirmed(
            f"{forum['confirmed_count']} seats are already taken: capacity cannot be {capacity}"
        )
    columns = {key: value for key, value in changes.items() if key not in COLUMN_OF}
    if "venue" in changes:
        columns |= {f"venue_{key}": value for key, value in changes["venue"].items()}
    if columns:
        assignments = ", ".join(f"{column} = %({column})s" for column in columns)
        try:
            tx.cur.execute(
                f"UPDATE forums SET {assignments}, updated_at = now() WHERE id = %(id)s RETURNING {FORUM_COLUMNS}",
                columns | {"id": forum_id},
            )
        except UniqueViolation:
            raise SlugTaken(f"the slug {changes.get('slug')!r} is taken") from None
        forum = tx.cur.fetchone()
    if "quotas" in changes:
        set_quotas(
            tx,
            forum,
            {group: changes["quotas"].get(group, 0) for group in set(groups) | set(changes["quotas"])},
            groups,
        )
    after = view(tx, forum)
    changed = sorted(key for key in FIELDS if after[key] != before[key])
    if changed:
        tx.emit("forum_updated", {"forum": forum_event_block(forum), "changes": changed,
                                  "previous": {key: before[key] for key in changed}})  # fmt: skip
        registrations.promote(tx, forum_id, "seats_added")
    tx.record("forum_updated", forum_id, {"changes": changed})
    return get(tx, forum_id, include_drafts=True)


def transition(tx, forum_id, status, reason=None):
    forum, _ = seats.lock_forum(tx.cur, forum_id)
    allowed_from, event = TRANSITIONS[status]
    if forum["status"] not in allowed_from:
        raise InvalidTransition(f"a {forum['status']} forum cannot become {status}")
    previous = forum["status"]
    tx.cur.execute(
        "UPDATE forums SET status = %s, cancellation_reason = %s, updated_at = now()"
        f" WHERE id = %s RETURNING {FORUM_COLUMNS}",
        (status, reason, forum_id),
    )
    forum = tx.cur.fetchone()
    if status == "cancelled":
        tx.cur.execute(
            "SELECT id FROM registrations WHERE forum_id = %s AND status <> 'cancelled' ORDER BY created_at",
            (forum_id,),
        )
        for row in tx.cur.fetchall():
            registrations.cancel(tx, row["id"], cancelled_by="forum_cancelled", reason=reason)
    tx.emit(
        event, {"forum": forum_event_block(forum)} | ({"reason": reason} if status == "cancelled" else {})
    )
    tx.record(event, forum_id, {"from": previous} | ({"reason": reason} if reason else {}))
    return get(tx, forum_id, include_drafts=True)


def release_quotas(tx, forum_id):
    """Reserved seats not taken by the release date become open seats; the waiting list moves up."""
    forum, _ = seats.lock_forum(tx.cur, forum_id)
    if forum["quotas_released"]:
        return 0
    tx.cur.execute("UPDATE forums SET quotas_released = true WHERE id = %s", (forum_id,))
    return registrations.promote(tx, forum_id, "quota_released")


def due_for_release(tx):
    tx.cur.execute(
        "SELECT id FROM forums WHERE NOT quotas_released AND quota_release_at <= %s AND status IN ('open', 'closed')",
        (tx.now,),
    )
    return [row["id"] for row in tx.cur.fetchall()]


def listing(tx, when="upcoming", limit=20, cursor=None, include_drafts=False):
    where, params = ["true"], []
    if not include_drafts:
        where.append("status <> 'draft'")
    if when != "all":
        where.append("ends_at >= %s" if when == "upcoming" else "ends_at < %s")
        params.append(tx.now)
    descending = when == "past"
    if cursor:
        where.append("(starts_at, id) < (%s, %s)" if descending else "(starts_at, id) > (%s, %s)")
        params += paging.FORUMS.read(cursor, InvalidCursor)
    order = "DESC" if descending else "ASC"
    tx.cur.execute(
        f"SELECT {FORUM_COLUMNS} FROM forums WHERE {' AND '.join(where)}"
        f" ORDER BY starts_at {order}, id {order} LIMIT %s",
        (*params, limit + 1),
    )
    rows = tx.cur.fetchall()
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    next_cursor = paging.FORUMS.write(last["starts_at"], last["id"]) if last else None
    return jsonable({"items": [view(tx, row) for row in page], "next_cursor": next_cursor})
