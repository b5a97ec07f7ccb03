"""What registrants hear when organisers change a forum: a new date or venue, a cancellation with its
reason, more seats; and a change the forum cannot take is refused, changing nothing."""

from .client import attachments, inbox, parts, person, problem, stays_true, token_from, wait_for_mails

NEW_VENUE = {"name": "Salle Pleyel", "address": "252 rue du Faubourg Saint-Honoré", "city": "Paris"}


def full_forum(api, mail, capacity=1, waiting=1):
    """A forum with ``capacity`` people confirmed and ``waiting`` on the list, each told by email."""
    forum = api.create_forum(capacity=capacity)
    people = [api.registered(forum["id"], person()) for _ in range(capacity + waiting)]
    wait_for_mails(mail, {r["email"]: 1 for r in people})
    return forum, people


def count_stays(mail, expected):
    stays_true(
        lambda: {a: len(m) for a, m in inbox(mail, *expected).items()} == expected,
        2.0,
        f"not exactly these numbers of emails: {expected}",
    )


def test_a_new_date_or_venue_is_emailed_to_everyone_registered_and_a_new_title_is_not(api, mail, bus):
    forum, (seated, waiting) = full_forum(api, mail)
    path = f"/forums/{forum['id']}"
    retitled = api.organiser("PATCH", path, json={"title": forum["title"] + " (2e édition)"})
    assert retitled.status_code == 200, retitled.text
    title = retitled.json()["title"]
    moved = {"starts_at": "2027-03-02T10:00:00+01:00", "ends_at": "2027-03-02T18:00:00+01:00"}
    assert api.organiser("PATCH", path, json=moved).json()["starts_at"] == "2027-03-02T09:00:00+00:00"
    received = wait_for_mails(mail, {seated["email"]: 2, waiting["email"]: 2})
    for registration in (seated, waiting):
        message = received[registration["email"]][1]
        assert message["Subject"] == f"Forum changed: {title}"
        text = parts(message)[0]
        assert text.startswith("New date")
        assert (
            "Monday 1 March 2027, from 09:00 to 17:00 (Europe/Paris) → Tuesday 2 March 2027, from 10:00"
            in text
        )
    assert "for which you are registered" in parts(received[seated["email"]][1])[0]
    assert "for which you are on the waiting list" in parts(received[waiting["email"]][1])[0]
    assert set(attachments(received[seated["email"]][1])) == {"invitation.ics"}
    assert set(attachments(received[waiting["email"]][1])) == set()

    assert api.organiser("PATCH", path, json={"venue": NEW_VENUE}).status_code == 200
    received = wait_for_mails(mail, {seated["email"]: 3, waiting["email"]: 3})
    for registration in (seated, waiting):
        text = parts(received[registration["email"]][2])[0]
        assert text.startswith("Change of venue")
        assert "Hôtel de Ville, Place de l'Hôtel de Ville, Paris → Salle Pleyel, 252 rue" in text
    count_stays(mail, {seated["email"]: 3, waiting["email"]: 3})  # the new title alone sent nothing
    changes = [
        d.envelope["data"]["changes"]
        for d in bus.poll()
        if d.envelope["type"] == "forum_updated" and d.envelope["data"]["forum"]["id"] == forum["id"]
    ]
    # registration closes at the start by default: it moved with it
    assert changes == [["title"], ["ends_at", "registration_closes_at", "starts_at"], ["venue"]]


def test_cancelling_a_forum_tells_each_registrant_once_with_the_reason(api, mail):
    forum, people = full_forum(api, mail, capacity=2, waiting=1)
    path = f"/forums/{forum['id']}/cancel"
    problem(api.organiser("POST", path, json={}), 400)  # a reason is owed to those registered
    reason = "La salle est fermée pour travaux."
    cancelled = api.organiser("POST", path, json={"reason": reason})
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")

    received = wait_for_mails(mail, {r["email"]: 2 for r in people})
    for registration in people:
        message = received[registration["email"]][1]
        assert message["Subject"] == f"Forum cancelled: {forum['title']}"
        assert f"The organisers' reason: {reason}" in parts(message)[0]
        shown = api.organiser("GET", f"/registrations/{registration['id']}").json()
        assert (shown["status"], shown["cancelled_by"]) == ("cancelled", "forum_cancelled")
    count_stays(mail, {r["email"]: 2 for r in people})  # and nobody waiting was promoted


def test_capacity_cannot_drop_below_the_seats_taken_and_more_seats_promote(api, mail):
    forum, (first, second, waiting) = full_forum(api, mail, capacity=2, waiting=1)
    path = f"/forums/{forum['id']}"
    refused = problem(api.organiser("PATCH", path, json={"capacity": 1, "title": "Smaller"}), 409)
    assert refused["errors"]["capacity"] == ["2 seats are already taken: capacity cannot be 1"]
    shown = api.get_forum(forum["id"])
    assert (shown["capacity"], shown["title"], shown["waitlist_length"]) == (2, forum["title"], 1)

    raised = api.organiser("PATCH", path, json={"capacity": 3})
    assert (raised.json()["seats_left"], raised.json()["waitlist_length"]) == (0, 0)
    promoted = api.organiser("GET", f"/registrations/{waiting['id']}").json()
    assert promoted["status"] == "confirmed"
    assert promoted["promotion_reason"] == "more seats became available; first on the waiting list"
    message = wait_for_mails(mail, {waiting["email"]: 2})[waiting["email"]][1]
    assert message["Subject"] == f"A seat for you: {forum['title']}"
    assert "Why you: the forum gained seats; you were first on the waiting list." in parts(message)[0]
    assert promoted["attendee_code"] in parts(message)[0]
    assert set(attachments(message)) == {"invitation.ics", "attendee-code.png"}
    count_stays(mail, {first["email"]: 1, second["email"]: 1, waiting["email"]: 2})


def test_once_held_a_forum_keeps_its_registrations_as_they_were(api, mail):
    forum, (seated, waiting) = full_forum(api, mail)
    assert api.organiser("POST", f"/forums/{forum['id']}/hold").json()["status"] == "held"
    token = token_from(inbox(mail, seated["email"])[seated["email"]][0])
    # "Final: nothing changes after it" (forum_held): no cancellation, and so no promotion
    problem(api.call("DELETE", f"/registrations/{seated['id']}", token), 409)
    problem(api.organiser("DELETE", f"/registrations/{seated['id']}"), 409)
    statuses = [api.organiser("GET", f"/registrations/{r['id']}").json()["status"] for r in (seated, waiting)]
    assert statuses == ["confirmed", "waitlisted"]
    count_stays(mail, {seated["email"]: 1, waiting["email"]: 1})
