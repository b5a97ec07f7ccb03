"""'Keep me informed': a subscription is pending until its emailed link is followed (double opt-in)."""

from kit.serial import jsonable
from services.registration import store
from services.registration.errors import InvalidToken
from services.registration.people import token_subject


def view(row):
    return jsonable({"subscription_id": row["id"], "status": row["status"]})


def event(row, person):
    contact = {key: row[key] for key in ("first_name", "last_name", "locale")}
    contact |= {"person_id": person["id"], "token_version": person["token_version"], "email": person["email"]}
    return {"subscription_id": row["id"], "person": contact}


def subscribe(tx, data, person=None):
    """Pending (and the confirmation email asked for) unless already confirmed; asking again resends."""
    person = person or store.people.find_or_create(tx.cur, data["email"])
    row = store.subscriptions.active_of_person(tx.cur, person["id"])
    if row is None:
        row = store.subscriptions.insert_pending(tx.cur, person["id"], data)
    if row["status"] == "pending" and tx.may_email(person["email"], "subscription"):
        tx.emit("subscription_requested", event(row, person))
    return view(row)


def _load(tx, token, purpose):
    row = store.subscriptions.lock_with_person(tx.cur, token_subject(tx, token, purpose))
    if row is None:
        raise InvalidToken("this link is no longer valid")
    return row


def confirm(tx, token):
    row = _load(tx, token, "confirm_subscription")
    if row["status"] == "ended":
        raise InvalidToken("this subscription has ended; subscribe again")
    if row["status"] == "pending":
        store.subscriptions.mark_confirmed(tx.cur, row["id"], tx.now)
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
    store.subscriptions.mark_ended(tx.cur, row["id"], tx.now)
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
    for row in store.subscriptions.lock_active_of_person(tx.cur, person["id"]):
        end(tx, row | {"email": person["email"]}, reason)
