"""A person's own data: see it all, change consents, get a new link, erase it."""

from kit.serial import jsonable
from services.registration import registrations, subscriptions
from services.registration.people import authenticate, find_person, revoke_links
from services.registration.views import REGISTRATION_COLUMNS, registration_view


def export(tx, token):
    """Everything held about the person whose link this is (the data-portability answer)."""
    person = authenticate(tx, token)
    tx.cur.execute("SELECT id, email, created_at FROM people WHERE id = %s", (person["id"],))
    held = tx.cur.fetchone()
    tx.cur.execute(
        f"SELECT {REGISTRATION_COLUMNS}, f.title AS forum_title, f.starts_at AS forum_starts_at"
        " FROM registrations r JOIN forums f ON f.id = r.forum_id WHERE r.person_id = %s ORDER BY r.created_at",
        (person["id"],),
    )
    rows = tx.cur.fetchall()
    tx.cur.execute(
        f"SELECT {subscriptions.COLUMNS} FROM subscriptions WHERE person_id = %s ORDER BY created_at",
        (person["id"],),
    )
    return jsonable(
        {
            "person": held,
            "registrations": [
                registration_view(row, registrations.waitlist_position(tx.cur, row))
                | {"forum": {"title": row["forum_title"], "starts_at": row["forum_starts_at"]}}
                for row in rows
            ],
            "subscriptions": tx.cur.fetchall(),
        }
    )


def update_consents(tx, token, registration_id, consents):
    registration = registrations.owned(tx, registration_id, token)
    updates = {key: consents[key] for key in ("consent_updates", "consent_public_list") if key in consents}
    if updates:
        assignments = ", ".join(f"{key} = %({key})s" for key in updates)
        tx.cur.execute(
            f"UPDATE registrations SET {assignments} WHERE id = %(id)s", updates | {"id": registration_id}
        )
    person = {"id": registration["person_id"], "email": registration["email"]}
    person["token_version"] = registration["token_version"]
    if updates.get("consent_updates") is True:
        subscriptions.subscribe(tx, registration, person=person)
    elif updates.get("consent_updates") is False:
        subscriptions.end_for_person(tx, person, "unsubscribed")
    return registrations.get(tx, registration_id)


def request_link(tx, email, asked_by_owner=False):
    """Email the person their management link; say nothing about whether the address is known. Asked by
    anyone, it is sent at most as often as the per-address limit allows; asked by its owner (who has
    just revoked their links), always."""
    person = find_person(tx, email)
    if person is None or not (asked_by_owner or tx.may_email(person["email"], "management_link")):
        return
    tx.cur.execute(
        "SELECT first_name, last_name, locale FROM registrations WHERE person_id = %s"
        " UNION ALL SELECT first_name, last_name, locale FROM subscriptions WHERE person_id = %s LIMIT 1",
        (person["id"], person["id"]),
    )
    names = tx.cur.fetchone() or {"first_name": "", "last_name": "", "locale": "fr"}
    contact = names | {
        "person_id": person["id"],
        "email": person["email"],
        "token_version": person["token_version"],
    }
    tx.emit("management_link_requested", {"person": contact, "forum": None})


def revoke(tx, token):
    """Every link of this person stops working; a fresh one is emailed."""
    person = authenticate(tx, token)
    revoke_links(tx, person["id"])
    request_link(tx, person["email"], asked_by_owner=True)


def erase_me(tx, token):
    return erase(tx, authenticate(tx, token), "person")


def erase_by_email(tx, email):
    person = find_person(tx, email)
    if person is None:
        return {"erased": False}
    tx.record("person_erased", person["id"])  # the id only: the trail outlives the erasure
    return erase(tx, person, "organiser")


def erase(tx, person, erased_by):
    """Anonymise every row about the person; seats of forums still to come are freed for others."""
    tx.cur.execute(
        "SELECT r.id FROM registrations r JOIN forums f ON f.id = r.forum_id WHERE r.person_id = %s"
        " AND r.status <> 'cancelled' AND f.status IN ('draft', 'open', 'closed')",
        (person["id"],),
    )
    for row in tx.cur.fetchall():
        registrations.cancel(tx, row["id"], cancelled_by="erased")
    subscriptions.end_for_person(tx, person, "erased")
    tx.cur.execute(
        "UPDATE registrations SET email = 'erased+' || id || '@erased.invalid', first_name = '', last_name = '',"
        " organisation = '', accessibility_needs = '', consent_public_list = false WHERE person_id = %s",
        (person["id"],),
    )
    tx.cur.execute(
        "UPDATE subscriptions SET first_name = '', last_name = '' WHERE person_id = %s", (person["id"],)
    )
    tx.cur.execute(
        "UPDATE people SET email = 'erased+' || id || '@erased.invalid', erased_at = %s,"
        " token_version = token_version + 1 WHERE id = %s",
        (tx.now, person["id"]),
    )
    # Published events about the person are history nobody needs any more; unpublished ones must still go.
    tx.cur.execute(
        "DELETE FROM outbox WHERE published_at IS NOT NULL AND envelope::text LIKE %s", (f"%{person['id']}%",)
    )
    # So are the answers kept for retries (kit.idempotency): some name the person.
    tx.cur.execute(
        "DELETE FROM idempotency_keys WHERE outcome::text LIKE %s OR outcome::text ILIKE %s",
        (f"%{person['id']}%", f"%{person['email']}%"),
    )
    tx.emit("person_erased", {"person_id": person["id"], "email": person["email"], "erased_by": erased_by})
    return {"erased": True}
