"""What organisers see of a forum's registrations, the public participant list, and check-in."""

from kit import paging, spreadsheet
from kit.serial import jsonable
from services.registration import registrations, store
from services.registration.errors import ForumNotFound, UnknownAttendeeCode
from services.registration.views import registration_view

STATUSES = ("confirmed", "waitlisted", "cancelled")
CSV_FIELDS = (
    "id", "status", "waitlist_position", "first_name", "last_name", "email", "organisation", "stakeholder_group",
    "locale", "accessibility_needs", "attendee_code", "checked_in_at", "consents", "created_at",
)  # fmt: skip


def listing(tx, forum_id, status=None, group=None, limit=50, cursor=None):
    store.forums.read(tx.cur, forum_id)  # ForumNotFound for an unknown forum
    after = paging.REGISTRATIONS.read(cursor) if cursor else None
    rows = store.registrations.page(tx.cur, forum_id, status, group, after, limit + 1)
    page, positions = rows[:limit], store.registrations.waitlist_places(tx.cur, forum_id)
    items = [registration_view(row, positions.get(row["id"])) for row in page]
    last = page[-1] if len(rows) > limit else None
    return {
        "items": items,
        "next_cursor": paging.REGISTRATIONS.write(last["created_at"], last["id"]) if last else None,
    }


def summary(tx, forum_id):
    forum = store.forums.read(tx.cur, forum_id)
    groups = store.forums.groups(tx.cur, forum_id)
    by_group = {group: {"reserved": reserved} for group, (reserved, _) in groups.items()}
    for row in store.registrations.counts(tx.cur, forum_id):
        counts = by_group.setdefault(row["stakeholder_group"], {"reserved": 0})
        counts[row["status"]] = row["n"]
        counts["checked_in"] = counts.get("checked_in", 0) + row["checked_in"]
    keys = ("reserved", *STATUSES, "checked_in")
    by_group = {g: {key: counts.get(key, 0) for key in keys} for g, counts in sorted(by_group.items())}
    totals = {key: sum(counts[key] for counts in by_group.values()) for key in keys}
    return jsonable(
        {"forum_id": forum_id, "capacity": forum["capacity"], "by_group": by_group, "totals": totals}
    )


def as_csv(tx, forum_id):
    store.forums.read(tx.cur, forum_id)  # ForumNotFound for an unknown forum
    positions = store.registrations.waitlist_places(tx.cur, forum_id)
    rows = []
    for row in store.registrations.of_forum(tx.cur, forum_id):
        view = registration_view(row, positions.get(row["id"]))
        view["consents"] = ";".join(name for name, given in view["consents"].items() if given)
        rows.append([view[field] for field in CSV_FIELDS])
    return spreadsheet.as_csv(CSV_FIELDS, rows)


def participants(tx, forum_id):
    forum = store.forums.read(tx.cur, forum_id)
    if forum["status"] == "draft":  # a draft is not public, nor are its registrants
        raise ForumNotFound(f"no forum {forum_id}")
    return store.registrations.public_participants(tx.cur, forum_id)


def check_in(tx, forum_id, code):
    code = code.strip().upper()
    row = store.registrations.check_in(tx.cur, forum_id, code, tx.now)
    first_time = row is not None
    if first_time:
        tx.emit("attendee_checked_in", {"registration_id": row["id"], "forum_id": forum_id,
                                        "stakeholder_group": row["stakeholder_group"],
                                        "checked_in_at": row["checked_in_at"]})  # fmt: skip
        tx.record("attendee_checked_in", row["id"], {"forum_id": forum_id})
    else:
        row = store.registrations.confirmed_with_code(tx.cur, forum_id, code)
        if row is None:
            raise UnknownAttendeeCode("no confirmed registration has this code for this forum")
    return {"registration": registrations.get(tx, row["id"]), "already_checked_in": not first_time}


def attendance(tx, forum_id):
    result = summary(tx, forum_id)
    by_group = {
        g: {"confirmed": c["confirmed"], "checked_in": c["checked_in"]} for g, c in result["by_group"].items()
    }
    totals = {key: result["totals"][key] for key in ("confirmed", "checked_in")}
    return {"forum_id": result["forum_id"], "by_group": by_group, "totals": totals}
