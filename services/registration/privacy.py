"""A person's own data: see it all, change consents, get a new link, erase it."""

from kit import idempotency, outbox
from kit.serial import jsonable
from services.registration import registrations, store, subscriptions
from services.registration.people import authenticate
from services.registration.views import registration_view


def export(tx, token):
    """Everything held about the person whose link this is (the data-portability answer)."""
    person = authenticate(tx, token)
    held = store.people.held(tx.cur, person["id"])
    rows = store.registrations.of_person(tx.cur, person["id"])
    return jsonable(
        {
            "person": held,
            "registrations": [
                registration_view(row, registrations.waitlist_position(tx, row))
                | {"forum": {"title": row["forum_title"], "starts_at": row["forum_starts_at"]}}
                for row in rows
            ],
            "subscriptions": store.subscriptions.of_person(tx.cur, person["id"]),
        }
    )


def update_consents(tx, token, registration_id, consents):
    registration = registrations.owned(tx, registration_id, token)
    updates = {key: consents[key] for key in ("consent_updates", "consent_public_list") if key in consents}
    if updates:
        store.registrations.set_consents(tx.cur, registration_id, updates)
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
    person = store.people.find(tx.cur, email)
    if person is None or not (asked_by_owner or tx.may_email(person["email"], "management_link")):
        return
    names = store.people.names(tx.cur, person["id"]) or {"first_name": "", "last_name": "", "locale": "fr"}
    contact = names | {
        "person_id": person["id"],
        "email": person["email"],
        "token_version": person["token_version"],
    }
    tx.emit("management_link_requested", {"person": contact, "forum": None})


def revoke(tx, token):
    """Every link of this person stops working; a fresh one is emailed."""
    person = authenticate(tx, token)
    store.people.bump_token_version(tx.cur, person["id"])
    request_link(tx, person["email"], asked_by_owner=True)


def erase_me(tx, token):
    return erase(tx, authenticate(tx, token), "person")


def erase_by_email(tx, email):
    person = store.people.find(tx.cur, email)
    if person is None:
        return {"erased": False}
    tx.record("person_erased", person["id"])  # the id only: the trail outlives the erasure
    return erase(tx, person, "organiser")


def erase(tx, person, erased_by):
    """Anonymise every row about the person; seats of forums still to come are freed for others."""
    # The person's row first, then the forums' (in cancel): the order a registration takes them in.
    store.people.lock(tx.cur, person["id"])
    for registration_id in store.registrations.to_free_on_erasure(tx.cur, person["id"]):
        registrations.cancel(tx, registration_id, cancelled_by="erased")
    subscriptions.end_for_person(tx, person, "erased")
    store.registrations.anonymise(tx.cur, person["id"])
    store.subscriptions.anonymise(tx.cur, person["id"])
    store.people.erase(tx.cur, person["id"], tx.now)
    # What was kept beside the tables: published events about the person are history nobody needs any
    # more (unpublished ones must still go), and some answers kept for retries name the person.
    outbox.forget_published(tx.cur, person["id"])
    idempotency.forget_answers(tx.cur, person["id"], person["email"])
    tx.emit("person_erased", {"person_id": person["id"], "email": person["email"], "erased_by": erased_by})
    return {"erased": True}
