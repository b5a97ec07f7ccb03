"""A forum's life as the public and organisers see it: draft, open, closed, held or cancelled, the
registration window, and the public listing a page at a time."""

from datetime import UTC, datetime, timedelta

from .client import person, problem


def moment(days):
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def listed(api, token=None, when="upcoming", limit=100):
    """Every forum of the listing, walking its pages as a client would; and the pages' sizes."""
    ids, sizes, cursor = [], [], None
    while True:
        asked = {"when": when, "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = api.call("GET", "/forums", token, params=asked)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [forum["id"] for forum in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, sizes


def test_a_draft_is_hidden_from_the_public_until_it_opens(api):
    draft = api.create_forum(status="draft")
    assert draft["status"] == "draft"
    problem(api.call("GET", f"/forums/{draft['id']}"), 404)
    problem(api.call("GET", f"/forums/{draft['slug']}"), 404)
    assert api.organiser("GET", f"/forums/{draft['id']}").json()["status"] == "draft"
    assert draft["id"] not in listed(api)[0]
    assert draft["id"] in listed(api, api.token)[0]
    assert "draft" in problem(api.register(draft["id"], person()), 409)["detail"]

    opened = api.organiser("POST", f"/forums/{draft['id']}/open")
    assert (opened.status_code, opened.json()["status"]) == (200, "open")
    assert api.get_forum(draft["slug"])["id"] == draft["id"]
    assert draft["id"] in listed(api)[0]
    assert api.registered(draft["id"], person())["status"] == "confirmed"


def test_registration_is_taken_only_while_open_and_within_its_window(api):
    early = api.create_forum(registration_opens_at=moment(1))
    assert api.get_forum(early["id"])["registration_open"] is False
    assert "registration opens at" in problem(api.register(early["id"], person()), 409)["detail"]
    late = api.create_forum(registration_opens_at=moment(-3), registration_closes_at=moment(-1))
    assert "has closed" in problem(api.register(late["id"], person()), 409)["detail"]

    forum = api.create_forum(capacity=5)
    assert api.get_forum(forum["id"])["registration_open"] is True
    assert api.organiser("POST", f"/forums/{forum['id']}/close").json()["status"] == "closed"
    problem(api.register(forum["id"], person()), 409)
    bad = problem(api.organiser("POST", f"/forums/{forum['id']}/open", json={"reason": "x" * 1001}), 400)
    assert set(bad["errors"]) == {"reason"}  # a move's reason is checked; the forum did not move
    assert api.get_forum(forum["id"])["status"] == "closed"
    why = {"reason": "Dix places de plus"}
    assert api.organiser("POST", f"/forums/{forum['id']}/open", json=why).json()["status"] == "open"
    assert api.get_forum(forum["id"])["cancellation_reason"] is None  # the organisers' reason stays theirs
    api.registered(forum["id"], person())

    assert api.organiser("POST", f"/forums/{forum['id']}/hold").json()["status"] == "held"
    problem(api.register(forum["id"], person()), 409)
    for method, path, body in [
        ("PATCH", "", {"title": "Too late"}),
        ("POST", "/open", None),
        ("POST", "/close", None),
        ("POST", "/cancel", {"reason": "Too late"}),
    ]:
        problem(api.organiser(method, f"/forums/{forum['id']}{path}", json=body), 409)
    held = api.get_forum(forum["id"])
    assert (held["status"], held["title"], held["seats_left"]) == ("held", forum["title"], 4)


def test_a_cancelled_forum_takes_nothing_more(api):
    forum = api.create_forum(capacity=5)
    cancelled = api.organiser("POST", f"/forums/{forum['id']}/cancel", json={"reason": "Strike"})
    assert (cancelled.json()["status"], cancelled.json()["cancellation_reason"]) == ("cancelled", "Strike")
    problem(api.register(forum["id"], person()), 409)
    problem(api.organiser("PATCH", f"/forums/{forum['id']}", json={"capacity": 9}), 409)
    problem(api.organiser("POST", f"/forums/{forum['id']}/open"), 409)
    assert api.get_forum(forum["id"])["capacity"] == 5


def test_forums_are_listed_a_page_at_a_time_soonest_first(api):
    # Far in the future, a day apart: after every other upcoming forum, in this order.
    year = 2090 + datetime.now(UTC).microsecond % 9
    created = [
        api.create_forum(
            starts_at=f"{year}-05-0{day}T09:00:00+02:00", ends_at=f"{year}-05-0{day}T17:00:00+02:00"
        )
        for day in (3, 1, 2)
    ]
    past = api.create_forum(starts_at="2020-05-01T09:00:00+02:00", ends_at="2020-05-01T17:00:00+02:00")

    ids, sizes = listed(api, limit=2)
    assert len(ids) == len(set(ids)), "a forum shown on two pages"
    assert all(size == 2 for size in sizes[:-1]) and 1 <= sizes[-1] <= 2
    assert ids == listed(api)[0]  # the same list, whatever the page size
    mine = [forum_id for forum_id in ids if forum_id in {f["id"] for f in created}]
    assert mine == [created[1]["id"], created[2]["id"], created[0]["id"]]
    assert past["id"] not in ids
    assert past["id"] in listed(api, when="past", limit=3)[0]


def test_a_page_cursor_that_was_never_given_is_a_bad_request(api):
    forum = api.create_forum()
    problem(api.call("GET", "/forums", params={"cursor": "not-a-cursor"}), 400)
    asked = {"cursor": "not-a-cursor"}
    problem(api.organiser("GET", f"/forums/{forum['id']}/registrations", params=asked), 400)
