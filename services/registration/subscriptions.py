"""'Keep me informed': a subscription is pending until its emailed link is followed (double opt-in)."""

import uuid

from kit.serial import jsonable
from services.registration.errors import InvalidToken
from services.registration.people import person_for, token_subject

COLUMNS = "id, person_id, first_name, last_name, locale, stakeholder_group, status, created_at, confirmed_at, ended_at"


def view(row):
    return jsonable({"subscription_id": row["id"], "status": row["status"]})


def event(row, person):
    contact = {key: row[key] for key in ("first_name", "last_name", "locale")}
    contact |= {"person_id": person["id"], "token_version": person["token_version"], "email": person["email"]}
    return {"subscription_id": row["id"], "person": contact}


def subscribe(tx, data, person=None):
    """Pending (and the confirmation email asked for) unless already confirmed; asking again resends."""
    person = person or person_for(tx, data["email"])
    tx.cur.execute(
        f"SELECT {COLUMNS} FROM subscriptions WHERE person_id = %s AND status <> 'ended'", (person["id"],)
    )
    row = tx.cur.fetchone()
    if row is None:
        tx.cur.execute(
            "INSERT INTO subscriptions (id, person_id, first_name, last_name, locale, stakeholder_group, status)"
            f" VALUES (%s, %s, %s, %s, %s, %s, 'pending') RETURNING {COLUMNS}",
            (
                uuid.uuid4(), person["id"], data.get("first_name", ""), data.get("last_name", ""),
                data.get("locale", "fr"), data.get("stakeholder_group"),
            ),
        )  # fmt: skip
        row = tx.cur.fetchone()
    if row["status"] == "pending" and tx.may_email(person["email"], "subscription"):
        tx.emit("subscription_requested", event(row, person))
    return view(row)


def _load(tx, token, purpose):
    subscription_id = token_subject(tx, token, purpose)
    tx.cur.execute(
        f"SELECT {', '.join('s.' + c.strip() for c in COLUMNS.split(','))}, p.email, p.token_version"
        " FROM subscriptions s"
        " JOIN people p ON p.id = s.person_id WHERE s.id = %s FOR UPDATE OF s",
        (subscription_id,),
    )
    row = tx.cur.fetchone()
    if row is None:
        raise InvalidToken("this link is no longer valid")
    return row


def confirm(tx, token):
    row = _load(tx, token, "confirm_subscription")
    if row["status"] == "ended":
        raise InvalidToken("this subscription has ended; subscribe again")
    if row["status"] == "pending":
        tx.cur.execute(
            "UPDATE subscriptions SET status = 'confirmed', confirmed_at = %s WHERE id = %s",
            (tx.now, row["id"]),
        )
        person = {"id": row["person_id"], "email": row["email"], "token_version": row["token_version"]}
        tx.emit("subscription_confirmed", event(row, person))
    return {"subscription_id": str(row["id"]), "status": "confirmed"}


def unsubscribe(tx, token):
    row = _load(tx, token, "unsubscribe")
    end(tx, row, "unsubscribed")
    return {"subscription_id": str(row["id"]), "status": "ended"}


def end(tx, row, reason):
    if row["status"] == "ended":
        return
    tx.cur.execute(
        "UPDATE subscriptions SET status = 'ended', ended_at = %s WHERE id = %s", (tx.now, row["id"])
    )
    tx.emit(
        "subscription_ended",
        {
            "subscription_id": row["id"],
            "person_id": row["person_id"],
            "email": row["email"],
            "reason": reason,
        },
    )


def end_for_person(tx, person, reason):
    tx.cur.execute(
        f"SELECT {COLUMNS} FROM subscriptions WHERE person_id = %s AND status <> 'ended' FOR UPDATE",
        (person["id"],),
    )
    for row in tx.cur.fetchall():
        end(tx, row | {"email": person["email"]}, reason)
