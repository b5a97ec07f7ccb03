"""A forum's restitution, from outside: after the forum (registrations, a check-in, a closed round), the
organiser gets a draft prefilled from the round's agenda, saves and publishes it; anyone reads the version
with attendance by group, the round's results and its commitments, then the next version, the earlier one
still there (publishing names the draft's version read: a draft saved since is a 409, nothing published);
commitments change with a public history, and the open data round-trips as CSV."""

import csv
import io
import uuid

from harness.testing import wait_until

from .client import person, problem
from .test_checkin import check_in
from .test_topics import approval, ballot, participants

SCRIPT = "Ce qui a été dit.\n\n<script>alert('x')</script>"


def rows(response):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def closed_round(api, forum, token):
    """An organiser's topic, a round over it with one ballot, closed: its agenda is that topic."""
    topic = api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": "Données ouvertes"})
    assert topic.status_code == 201, topic.text
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    assert opened.status_code == 201, opened.text
    assert ballot(api, opened.json()["id"], token, {"choices": [topic.json()["id"]]}).status_code == 200
    closed = api.organiser("POST", f"/rounds/{opened.json()['id']}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["results"]["agenda"] == [topic.json()["id"]]
    return topic.json(), closed.json()


def prefilled_draft(api, path):
    """The draft once the restitution service has learnt of the closed round (from the topics events)."""
    found = {}

    def prefilled():
        response = api.organiser("GET", f"{path}/draft")
        found["draft"] = response.json()
        return response.status_code == 200 and response.json()["sections"]

    wait_until(prefilled, 30, message="a draft prefilled from the closed round")
    return found["draft"]


def test_a_restitution_drafted_published_revised_and_followed(api, mail):
    forum = api.create_forum()
    path = f"/forums/{forum['id']}/restitution"
    came = api.registered(forum["id"], person(stakeholder_group="citizen"))
    assert check_in(api, forum, came["attendee_code"]).status_code == 200
    alice, _ = participants(api, mail, forum, "civil_society", "company")
    topic, closed = closed_round(api, forum, alice)
    problem(api.call("GET", path), 404)  # nothing published yet

    draft = prefilled_draft(api, path)
    assert draft["version"] == 0
    assert [(s["title"], s["topic_id"]) for s in draft["sections"]] == [("Données ouvertes", topic["id"])]
    draft["sections"][0]["body"] = SCRIPT
    content = {
        "version": 0,
        "summary": "Un **forum** utile.",
        "sections": draft["sections"],
        "decisions": ["Publier les données", ""],
        "commitments": [
            {"title": "Ouvrir le jeu", "owner": "DINUM", "due_on": "2027-06-30", "status": "planned"}
        ],
    }
    saved = api.organiser("PUT", path, json=content)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.json()["decisions"]) == (1, ["Publier les données"])
    assert saved.json()["sections"][0]["body"] == SCRIPT.strip()

    published = api.organiser("POST", f"{path}/publish", json={})
    assert (published.status_code, published.json()["version"]) == (201, 1), published.text
    assert published.headers["Location"] == f"/api/v1{path}/versions/1"
    first = api.call("GET", path)
    assert first.status_code == 200, first.text
    version = first.json()
    assert (version["version"], version["summary"]) == (1, "Un **forum** utile.")
    attendance = {row["stakeholder_group"]: row for row in version["attendance"]}
    assert {
        g: (attendance[g]["registered"], attendance[g]["checked_in"]) for g in ("citizen", "company")
    } == {
        "citizen": (1, 1),
        "company": (1, 0),
    }
    assert attendance["civil_society"]["registered"] == 1
    assert version["results"]["agenda"] == closed["results"]["agenda"]
    assert version["results"]["ranking"] == closed["results"]["ranking"]
    html = version["sections"][0]["html"]
    assert "<script" not in html.lower() and "Ce qui a été dit." in html
    (commitment,) = version["commitments"]
    assert (commitment["title"], commitment["status"], commitment["forum_id"]) == (
        "Ouvrir le jeu",
        "planned",
        forum["id"],
    )
    assert commitment["id"]
    listed = api.call("GET", "/restitutions").json()["items"]
    assert [item["version"] for item in listed if item["forum_id"] == forum["id"]] == [1]

    # another organiser's save, made on the version before: refused, nothing overwritten
    problem(api.organiser("PUT", path, json=content | {"summary": "Écrasé"}), 409)
    current = api.organiser("GET", f"{path}/draft").json()
    assert current["summary"] == "Un **forum** utile."
    assert current["commitments"][0]["id"] == commitment["id"]
    revised = {key: current[key] for key in ("version", "sections", "decisions", "commitments")}
    saved = api.organiser("PUT", path, json=revised | {"summary": "Un forum **très** utile."})
    assert saved.status_code == 200, saved.text
    assert "note" in problem(api.organiser("POST", f"{path}/publish", json={}), 422)["errors"]
    second = api.organiser("POST", f"{path}/publish", json={"note": "Résumé précisé"})
    assert (second.status_code, second.json()["version"]) == (201, 2), second.text
    assert api.call("GET", path).json()["version"] == 2
    earlier = api.call("GET", f"{path}/versions/1")
    assert (earlier.status_code, earlier.json()["summary"]) == (200, "Un **forum** utile.")
    assert [c["id"] for c in api.call("GET", path).json()["commitments"]] == [commitment["id"]]
    problem(api.call("GET", f"{path}/versions/3"), 404)

    changed = api.organiser(
        "PATCH", f"/commitments/{commitment['id']}", json={"status": "in_progress", "note": "Jeu en cours"}
    )
    assert (changed.status_code, changed.json()["status"]) == (200, "in_progress"), changed.text
    assert [(h["from"], h["to"], h["note"]) for h in changed.json()["history"]] == [
        ("planned", "in_progress", "Jeu en cours")
    ]
    register = {c["id"]: c for c in api.call("GET", "/commitments").json()["items"]}
    assert register[commitment["id"]]["history"] == changed.json()["history"]

    line = {row["id"]: row for row in rows(api.call("GET", "/commitments.csv"))}[commitment["id"]]
    assert (line["title"], line["status"], line["due_on"]) == ("Ouvrir le jeu", "in_progress", "2027-06-30")
    assert "Jeu en cours" in line["last_change"]
    counts = {
        row["stakeholder_group"]: row
        for row in rows(api.call("GET", f"/forums/{forum['id']}/attendance.csv"))
    }
    assert (counts["citizen"]["registered"], counts["citizen"]["checked_in"]) == ("1", "1")


def test_publishing_names_the_draft_version_read_and_a_draft_saved_since_is_not_published(api):
    forum = api.create_forum()
    path = f"/forums/{forum['id']}/restitution"
    wait_until(
        lambda: api.organiser("GET", f"{path}/draft").status_code == 200, 30, message="the forum known"
    )
    read = api.organiser("PUT", path, json={"version": 0, "summary": "Lu par Alice"})
    assert read.status_code == 200, read.text  # what Alice reads before publishing it
    saved = api.organiser(
        "PUT", path, json={"version": read.json()["version"], "summary": "Enregistré par Bob"}
    )
    assert (saved.status_code, saved.json()["version"]) == (200, 2), saved.text  # she never saw it

    stale = {"note": "", "draft_version": read.json()["version"]}
    refused = problem(api.organiser("POST", f"{path}/publish", json=stale), 409)
    assert "changed since version 1" in refused["detail"] and "at version 2 now" in refused["detail"]
    as_text = api.organiser("POST", f"{path}/publish", json={"draft_version": "2"})
    assert "draft_version" in problem(as_text, 400)["errors"]  # a JSON integer, not its text
    problem(api.call("GET", path), 404)  # nothing published
    assert api.organiser("GET", f"{path}/draft").json()["summary"] == "Enregistré par Bob"

    key = {"Idempotency-Key": f"publish-{uuid.uuid4()}"}
    published = api.organiser("POST", f"{path}/publish", json={"draft_version": 2}, headers=key)
    assert (published.status_code, published.json()["version"]) == (201, 1), published.text
    assert api.call("GET", path).json()["summary"] == "Enregistré par Bob"

    # the draft changes after; the publishing sent again with its key answers what it first answered
    current = api.organiser("GET", f"{path}/draft").json()
    revised = {k: current[k] for k in ("version", "sections", "decisions", "commitments")}
    revised["summary"] = "Plus tard"
    assert api.organiser("PUT", path, json=revised).status_code == 200
    again = api.organiser("POST", f"{path}/publish", json={"draft_version": 2}, headers=key)
    assert (again.status_code, again.json()) == (201, published.json())
    assert again.headers["Location"] == published.headers["Location"]
    assert [v["version"] for v in api.call("GET", path).json()["versions"]] == [1]  # nothing published twice
    problem(api.organiser("POST", f"{path}/publish", json={"draft_version": 2, "note": "Plus tard"}), 409)


def test_organiser_routes_refuse_others_and_bad_input(api, mail):
    forum = api.create_forum()
    path = f"/forums/{forum['id']}/restitution"
    (alice,) = participants(api, mail, forum, "research_media")
    change = {"status": "done", "note": "Fait"}
    calls = [
        ("GET", f"{path}/draft", None),
        ("PUT", path, {"summary": "x"}),
        ("POST", f"{path}/publish", {"note": "x"}),
        ("PATCH", "/commitments/00000000-0000-4000-8000-000000000000", change),
    ]
    for method, route, body in calls:
        problem(api.call(method, route, json=body), 401)
        problem(api.call(method, route, alice, json=body), 403)

    empty = api.organiser("POST", f"{path}/publish", json={})  # nothing saved: nothing to publish
    assert problem(empty, 422)["errors"]
    assert api.organiser("PUT", path, json={"summary": "Une synthèse"}).status_code == 200
    assert api.organiser("POST", f"{path}/publish", json={}).status_code == 201
    for method in ("PUT", "PATCH", "DELETE"):  # a published version is never edited
        refused = api.organiser(method, f"{path}/versions/1", json={"summary": "Réécrit"})
        assert problem(refused, 405)["status"] == 405 and "GET" in refused.headers["Allow"]
    assert api.call("GET", f"{path}/versions/1").json()["summary"] == "Une synthèse"

    too_long = {
        "sections": [{"title": "t" * 201, "body": "b"}],
        "commitments": [{"title": "c", "owner": "o"}],
    }
    errors = problem(api.organiser("PUT", path, json=too_long), 400)["errors"]
    assert errors["sections"]["0"]["title"] and errors["commitments"]["0"]["due_on"]
    long = {"sections": [{"title": f"Atelier {n}", "body": "é" * 19_000} for n in range(5)]}  # over 64 KiB
    saved = api.organiser("PUT", path, json=long)
    assert (saved.status_code, len(saved.json()["sections"])) == (200, 5), saved.text
    wrong = {"status": "finished", "note": "", "on": "2027-1-5"}
    errors = problem(
        api.organiser("PATCH", "/commitments/00000000-0000-4000-8000-000000000000", json=wrong), 400
    )
    assert set(errors["errors"]) == {"status", "note", "on"}
    problem(api.organiser("PATCH", "/commitments/00000000-0000-4000-8000-000000000000", json=change), 404)


def test_the_events_document_lists_the_restitution_events(api):
    document = api.call("GET", "/asyncapi.json")
    assert document.status_code == 200
    for event in ("restitution_published", "commitment_updated", "comment_submitted", "comment_published",
                  "comment_hidden"):  # fmt: skip
        assert event in document.text
