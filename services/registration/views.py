"""Rows as the outside world sees them (RPC answers), and the blocks events are made of."""

from kit.serial import jsonable


def venue(row):
    return {
        "name": row["venue_name"],
        "address": row["venue_address"],
        "city": row["venue_city"],
        "accessibility": row["venue_accessibility"],
    }


def forum_event_block(row):
    """The forum as events carry it (services.registration.events.Forum)."""
    keys = ("id", "slug", "title", "starts_at", "ends_at", "timezone", "capacity", "status")
    return {key: row[key] for key in keys} | {"venue": venue(row)}


def forum_view(row, quotas, now):
    closes_at = row["registration_closes_at"] or row["starts_at"]
    opens_at = row["registration_opens_at"]
    return jsonable(
        forum_event_block(row)
        | {
            "description": row["description"],
            "seats_left": row["capacity"] - row["confirmed_count"],
            "waitlist_length": row["waiting_count"],
            "registration_opens_at": opens_at,
            "registration_closes_at": closes_at,
            "registration_open": row["status"] == "open"
            and (opens_at is None or opens_at <= now)
            and now < closes_at,
            "quotas": {group: seats for group, seats in sorted(quotas.items()) if seats},
            "quota_release_at": row["quota_release_at"],
            "cancellation_reason": row["cancellation_reason"],
            "agenda": row["agenda"],
            "documents": row["documents"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def registration_view(row, waitlist_position=None):
    keys = (
        "id", "forum_id", "status", "email", "first_name", "last_name", "organisation", "stakeholder_group",
        "locale", "accessibility_needs", "attendee_code", "checked_in_at", "promoted_at", "promotion_reason",
        "cancelled_at", "cancelled_by", "created_at",
    )  # fmt: skip
    consents = {
        "attend": row["consent_attend"],
        "updates": row["consent_updates"],
        "public_list": row["consent_public_list"],
    }
    return jsonable(
        {key: row[key] for key in keys} | {"waitlist_position": waitlist_position, "consents": consents}
    )


def person_block(row, token_version):
    """The person as events carry it: contact details and what a magic link is minted from."""
    return {
        "person_id": row["person_id"],
        "token_version": token_version,
        "email": row["email"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "locale": row["locale"],
    }


def registration_event(registration, forum_row, token_version, **extra):
    return {
        "registration_id": registration["id"],
        "forum": forum_event_block(forum_row),
        "person": person_block(registration, token_version),
        "organisation": registration["organisation"],
        "stakeholder_group": registration["stakeholder_group"],
        "status": registration["status"],
    } | extra
