"""What organisers see of a forum's registrations (filtered, a page at a time, counted, as CSV), what
the public sees (only those who agreed), and who may see what."""

import csv
import io

from .client import person, problem, token_from, wait_for_mails

GROUPS = ["civil_society", "company", "civil_society", "citizen", "civil_society", "company"]
FORMULA = '=HYPERLINK("http://example.com/x","clic")'


def page_by_page(api, forum, **filters):
    """Every page of the listing with this filter, two at a time: (ids in order, page sizes)."""
    ids, sizes, cursor = [], [], None
    while True:
        asked = filters | {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.organiser("GET", f"/forums/{forum['id']}/registrations", params=asked).json()
        ids += [r["id"] for r in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, sizes


def test_organisers_list_count_and_export_the_registrations(api):
    forum = api.create_forum(capacity=3)
    people = [person(stakeholder_group=group) for group in GROUPS]
    people[0]["first_name"], people[1]["organisation"] = FORMULA, "@SUM(A1:A9)"
    registrations = [api.registered(forum["id"], someone) for someone in people]
    ids = [r["id"] for r in registrations]

    assert page_by_page(api, forum) == (ids, [2, 2, 2])
    assert page_by_page(api, forum, status="waitlisted")[0] == ids[3:]
    assert page_by_page(api, forum, group="civil_society") == ([ids[0], ids[2], ids[4]], [2, 1])
    assert page_by_page(api, forum, status="confirmed", group="company")[0] == [ids[1]]
    waiting = api.registrations(forum["id"], status="waitlisted")
    assert [r["waitlist_position"] for r in waiting] == [1, 2, 3]
    for bad in ({"status": "maybe"}, {"group": "aliens"}, {"limit": 0}, {"limit": 101}, {"colour": "red"}):
        problem(api.organiser("GET", f"/forums/{forum['id']}/registrations", params=bad), 400)

    summary = api.organiser("GET", f"/forums/{forum['id']}/registrations/summary").json()
    assert summary["totals"] == {
        "reserved": 0,
        "confirmed": 3,
        "waitlisted": 3,
        "cancelled": 0,
        "checked_in": 0,
    }
    assert {g: (c["confirmed"], c["waitlisted"]) for g, c in summary["by_group"].items()} == {
        "citizen": (0, 1),
        "civil_society": (2, 1),
        "company": (1, 1),
    }

    exported = api.organiser("GET", f"/forums/{forum['id']}/registrations.csv")
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["id"] for row in rows] == ids
    assert {"email", "first_name", "last_name", "stakeholder_group", "status"} <= set(rows[0])
    assert rows[0]["first_name"] == "'" + FORMULA  # a spreadsheet shows it as text, never runs it
    assert rows[1]["organisation"] == "'@SUM(A1:A9)"
    assert [row["status"] for row in rows] == ["confirmed"] * 3 + ["waitlisted"] * 3
    assert rows[2]["email"] == people[2]["email"]


def test_the_public_list_shows_only_those_who_agreed(api):
    forum = api.create_forum(capacity=2)
    shown = person(organisation="Mairie de Lyon", consent_public_list=True)
    hidden = person()
    waiting = person(consent_public_list=True)  # agreed, but has no seat
    for someone in (shown, hidden, waiting):
        api.registered(forum["id"], someone)
    participants = api.call("GET", f"/forums/{forum['id']}/participants").json()
    assert participants == [
        {key: shown[key] for key in ("first_name", "last_name", "organisation", "stakeholder_group")}
    ]


def test_organiser_routes_refuse_participants_and_strangers(api, mail):
    forum = api.create_forum(capacity=2)
    someone = api.registered(forum["id"], person())
    token = token_from(wait_for_mails(mail, {someone["email"]: 1})[someone["email"]][0])
    base = f"/forums/{forum['id']}"
    for method, path, body in [
        ("GET", f"{base}/registrations", None),
        ("GET", f"{base}/registrations.csv", None),
        ("GET", f"{base}/registrations/summary", None),
        ("GET", f"{base}/attendance", None),
        ("PATCH", base, {"capacity": 100}),
        ("POST", f"{base}/close", None),
        ("POST", "/forums", {"title": "Mine"}),
    ]:
        problem(api.call(method, path, token, json=body), 403)
        problem(api.call(method, path, json=body), 401)
    problem(api.call("GET", f"/registrations/{someone['id']}"), 401)
    assert api.get_forum(forum["id"])["capacity"] == 2
