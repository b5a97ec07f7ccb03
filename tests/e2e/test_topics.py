"""Topics and their prioritisation, from outside: registrants propose with the token of their emailed
link, the organiser moderates, edits, merges and carries topics over, and opens a round, participants vote
(and change their mind), and once the round is closed anyone reads the ranking and the agenda, as JSON or
CSV. What each may not do is refused as documented."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from harness.testing import wait_until

from .client import LINK_SUBJECT, inbox, person, problem, token_from, wait_for_mails


def known_to_topics(api, token):
    """The topics service learns registrants from registration's events: wait until it knows this one."""
    wait_until(
        lambda: api.call("GET", "/people/me/topics", token).status_code == 200,
        30,
        message="the registrant known to the topics service",
    )


def participants(api, mail, forum, *groups):
    """A registrant of the forum per group, each with the token their confirmation email carried."""
    people = [api.registered(forum["id"], person(stakeholder_group=group)) for group in groups]
    received = wait_for_mails(mail, {someone["email"]: 1 for someone in people})
    tokens = [token_from(received[someone["email"]][0]) for someone in people]
    for token in tokens:
        known_to_topics(api, token)
    return tokens


def later(**delta):
    return (datetime.now(UTC) + timedelta(**delta)).isoformat(timespec="seconds")


def approval(max_choices=1, agenda_size=1):
    return {
        "method": "approval",
        "max_choices": max_choices,
        "agenda_size": agenda_size,
        "closes_at": later(hours=1),
    }


def ballot(api, round_id, token, body):
    return api.call("PUT", f"/rounds/{round_id}/ballot", token, json=body)


def test_proposals_moderation_a_round_and_its_public_results(api, mail):
    forum = api.create_forum()
    alice, bob = participants(api, mail, forum, "civil_society", "company")
    topics_of_forum = f"/forums/{forum['id']}/topics"

    proposed = api.call(
        "POST", topics_of_forum, alice, json={"title": "Open data", "description": "Why\nand how"}
    )
    assert (proposed.status_code, proposed.json()["status"]) == (201, "proposed"), proposed.text
    topic = proposed.json()
    assert api.call("GET", topics_of_forum).json()["items"] == []  # awaiting moderation
    queue = api.organiser("GET", "/topics", params={"forum_id": forum["id"]})
    assert [t["id"] for t in queue.json()["items"]] == [topic["id"]]

    published = api.organiser("POST", f"/topics/{topic['id']}/publish")
    assert (published.status_code, published.json()["status"]) == (200, "published"), published.text
    problem(api.organiser("POST", f"/topics/{topic['id']}/publish"), 409)  # published already
    own = api.organiser("POST", topics_of_forum, json={"title": "Participation budgets", "description": ""})
    assert (own.status_code, own.json()["status"]) == (201, "published"), own.text
    listed = api.call("GET", topics_of_forum)
    assert listed.status_code == 200
    first, second = topic["id"], own.json()["id"]
    assert [(t["id"], t["title"], t["status"]) for t in listed.json()["items"]] == [
        (first, "Open data", "published"),
        (second, "Participation budgets", "published"),
    ]

    mine = api.call("GET", "/people/me/topics", alice)
    assert (mine.status_code, mine.headers["Cache-Control"]) == (200, "no-store"), mine.text
    assert (mine.json()["stakeholder_group"], mine.json()["ballots"]) == ("civil_society", [])
    assert [(p["id"], p["status"]) for p in mine.json()["proposals"]] == [(first, "published")]
    assert api.call("GET", "/people/me/topics", bob).json()["proposals"] == []

    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    assert (opened.status_code, opened.json()["status"]) == (201, "open"), opened.text
    round_id = opened.json()["id"]
    assert opened.headers["Location"] == f"/api/v1/rounds/{round_id}"
    problem(api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval()), 409)
    problem(api.call("GET", f"/rounds/{round_id}/results"), 409)

    cast = ballot(api, round_id, alice, {"choices": [first]})
    assert (cast.status_code, cast.json()["replaced"]) == (200, 0), cast.text
    assert cast.json()["stakeholder_group"] == "civil_society"
    changed = ballot(api, round_id, alice, {"choices": [second.upper()]})  # any case: the same id
    assert (changed.status_code, changed.json()["replaced"]) == (200, 1), changed.text
    assert changed.json()["ballot"] == {"choices": [second]}
    assert ballot(api, round_id, bob, {"choices": [second]}).status_code == 200

    seen = api.organiser("GET", f"/rounds/{round_id}")
    assert seen.json()["participation"] == {"civil_society": 1, "company": 1}
    assert "participation" not in api.call("GET", f"/rounds/{round_id}").json()

    closed = api.organiser("POST", f"/rounds/{round_id}/close")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed"), closed.text
    problem(ballot(api, round_id, bob, {"choices": [first]}), 409)  # too late
    results = api.call("GET", f"/rounds/{round_id}/results")
    assert results.status_code == 200, results.text
    assert results.json()["ballots"] == 2
    assert results.json()["ranking"] == [{"topic_id": second, "score": 2}, {"topic_id": first, "score": 0}]
    assert results.json()["by_group"]["company"][0] == {"topic_id": second, "score": 1}
    assert results.json()["consensus"][0] == {"topic_id": second, "score": 1.0}
    assert results.json()["agenda"] == [second]
    assert closed.json()["results"] == results.json()


def test_my_topics_lists_my_proposals_and_ballots(api, mail):
    forum = api.create_forum()
    (dana,) = participants(api, mail, forum, "research_media")
    proposed = api.call("POST", f"/forums/{forum['id']}/topics", dana, json={"title": "Algorithmes publics"})
    assert proposed.status_code == 201, proposed.text
    topic_id = proposed.json()["id"]
    mine = api.call("GET", "/people/me/topics", dana)
    assert (mine.status_code, mine.headers["Cache-Control"]) == (200, "no-store"), mine.text
    assert (mine.json()["stakeholder_group"], mine.json()["ballots"]) == ("research_media", [])
    assert [(p["id"], p["status"]) for p in mine.json()["proposals"]] == [(topic_id, "proposed")]

    assert api.organiser("POST", f"/topics/{topic_id}/publish").status_code == 200
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    assert opened.status_code == 201, opened.text
    assert ballot(api, opened.json()["id"], dana, {"choices": [topic_id]}).status_code == 200
    mine = api.call("GET", "/people/me/topics", dana)
    assert mine.status_code == 200, mine.text
    assert [(b["round_id"], b["content"]) for b in mine.json()["ballots"]] == [
        (opened.json()["id"], {"choices": [topic_id]})
    ]


def test_ballots_and_rounds_the_rules_refuse(api, mail, stack):
    forum = api.create_forum()
    (carol,) = participants(api, mail, forum, "citizen")
    ids = []
    for title in ("Transparence", "Lobbying"):
        made = api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": title})
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["id"]

    over = problem(ballot(api, round_id, carol, {"choices": ids}), 422)  # max_choices is 1
    assert over["errors"]["choices"] == ["at most 1 topic"]
    unknown = str(uuid.uuid4())
    stranger = problem(ballot(api, round_id, carol, {"choices": [unknown]}), 422)
    assert stranger["errors"]["choices"] == [f"unknown topic {unknown}"]
    wrong_method = problem(ballot(api, round_id, carol, {"points": {ids[0]: 1}}), 422)
    assert set(wrong_method["errors"]) == {"points", "choices"}

    malformed = problem(ballot(api, round_id, carol, {"choices": "all of them"}), 400)
    assert "choices" in malformed["errors"]
    not_ids = problem(ballot(api, round_id, carol, {"points": {"topic-1": 2}}), 400)
    assert "points" in not_ids["errors"]
    too_many = problem(ballot(api, round_id, carol, {"choices": [ids[0]] * 101}), 400)
    assert "choices" in too_many["errors"]
    not_json = api.call(
        "PUT", f"/rounds/{round_id}/ballot", carol, data="{", headers={"Content-Type": "application/json"}
    )
    problem(not_json, 400)
    problem(ballot(api, str(uuid.uuid4()), carol, {"choices": []}), 404)

    rounds = f"/forums/{forum['id']}/rounds"
    dots = {"method": "dots", "agenda_size": 1, "closes_at": later(hours=1)}
    assert set(problem(api.organiser("POST", rounds, json=dots), 422)["errors"]) == {
        "budget",
        "max_per_topic",
    }
    past = approval() | {"closes_at": later(hours=-1)}
    assert set(problem(api.organiser("POST", rounds, json=past), 422)["errors"]) == {"closes_at"}
    other_forum = api.create_forum()
    wait_until(
        lambda: api.call("GET", f"/forums/{other_forum['id']}/topics").status_code == 200,
        30,
        message="the forum known to the topics service",
    )
    problem(api.organiser("POST", f"/forums/{other_forum['id']}/rounds", json=approval()), 422)  # no topic
    problem(api.organiser("POST", rounds, json=past | {"method": "vote"}), 400)

    close = f"/rounds/{round_id}/close"
    problem(api.call("POST", close), 401)
    problem(api.call("POST", close, carol), 403)
    problem(api.call("POST", rounds, carol, json=approval()), 403)
    problem(api.call("GET", "/topics", carol), 403)
    problem(
        api.call("PUT", f"/rounds/{round_id}/paper-tallies/citizen", json={"ballots": 1, "scores": {}}), 401
    )
    problem(ballot(api, round_id, api.token, {"choices": []}), 403)  # an organiser is not a person
    problem(ballot(api, round_id, None, {"choices": []}), 401)
    problem(api.call("POST", f"/forums/{forum['id']}/topics", json={"title": "x"}), 401)
    problem(api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": "a\nb"}), 400)
    problem(api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": "x" * 201}), 400)

    tally = api.organiser(
        "PUT", f"/rounds/{round_id}/paper-tallies/citizen", json={"ballots": 3, "scores": {ids[1]: 2}}
    )
    assert tally.status_code == 200, tally.text
    problem(
        api.organiser("PUT", f"/rounds/{round_id}/paper-tallies/lobby", json={"ballots": 3, "scores": {}}),
        404,
    )
    assert api.organiser("POST", close).status_code == 200
    results = api.call("GET", f"/rounds/{round_id}/results").json()
    assert results["ranking"][0] == {"topic_id": ids[1], "score": 2} and results["ballots"] == 3
    problem(api.organiser("POST", close), 409)
    for name in ("gateway", "topics"):  # the token went by RPC, refused and taken: never into a log
        assert carol.split(".")[0] not in stack.log_path(name).read_text(errors="replace"), name


def test_an_organiser_opens_a_round_over_the_published_topics_they_name_once(api):
    forum = api.create_forum()
    wait_until(
        lambda: api.call("GET", f"/forums/{forum['id']}/topics").status_code == 200,
        30,
        message="the forum known to the topics service",
    )
    ids = []
    for title in ("Transparence", "Lobbying", "Open data"):
        made = api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": title})
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    rounds = f"/forums/{forum['id']}/rounds"
    stranger = str(uuid.uuid4())
    refused = problem(api.organiser("POST", rounds, json=approval() | {"topic_ids": [ids[0], stranger]}), 422)
    assert refused["errors"] == {"topic_ids": [f"not a published topic of this forum: {stranger}"]}
    problem(api.organiser("POST", rounds, json=approval() | {"topic_ids": [ids[0], ids[0]]}), 400)

    key, body = str(uuid.uuid4()), approval() | {"topic_ids": [ids[2], ids[0]]}
    opened = api.organiser("POST", rounds, json=body, headers={"Idempotency-Key": key})
    again = api.organiser("POST", rounds, json=body, headers={"Idempotency-Key": key})  # a retry
    assert (opened.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == opened.json() and opened.json()["topic_ids"] == [ids[0], ids[2]]
    held = api.call("GET", f"/rounds/{opened.json()['id']}").json()
    assert held["topic_ids"] == [ids[0], ids[2]]  # in publication order, without the topic left out
    problem(api.organiser("POST", rounds, json=body), 409)  # a new request: one open round per forum


def test_a_topic_is_read_edited_merged_and_carried_over_with_its_public_history(api, mail):
    forum = api.create_forum()
    (alice,) = participants(api, mail, forum, "civil_society")
    topics_of_forum = f"/forums/{forum['id']}/topics"
    proposed = api.call(
        "POST", topics_of_forum, alice, json={"title": "Open data", "commitment_ref": "FRA0042"}
    )
    assert proposed.status_code == 201, proposed.text
    first = proposed.json()["id"]
    assert proposed.headers["Location"] == f"/api/v1/topics/{first}"
    problem(api.call("GET", f"/topics/{first}"), 404)  # awaiting moderation: the organisers' to see
    problem(api.call("GET", f"/topics/{first}", alice), 404)
    assert api.organiser("GET", f"/topics/{first}").json()["status"] == "proposed"
    assert api.organiser("POST", f"/topics/{first}/publish").status_code == 200

    edit = {"title": "Open data for all", "commitment_ref": None, "note": "A clearer title"}
    edited = api.organiser("PATCH", f"/topics/{first}", json=edit)
    assert edited.status_code == 200, edited.text
    read = api.call("GET", f"/topics/{first}")
    assert read.status_code == 200, read.text
    assert (read.json()["title"], read.json()["commitment_ref"]) == ("Open data for all", None)
    [change] = read.json()["changes"]
    assert change["note"] == "A clearer title"
    assert change["previous"] == {"title": "Open data", "commitment_ref": "FRA0042"}
    assert set(problem(api.organiser("PATCH", f"/topics/{first}", json={"note": "x"}), 400)["errors"]) == {
        "_schema"
    }
    problem(api.call("PATCH", f"/topics/{first}", alice, json=edit), 403)
    problem(api.organiser("PATCH", f"/topics/{uuid.uuid4()}", json=edit), 404)

    ids = [first]
    for title in ("Données ouvertes", "Lobbying"):
        made = api.organiser("POST", topics_of_forum, json={"title": title})
        assert made.status_code == 201 and made.headers["Location"] == f"/api/v1/topics/{made.json()['id']}"
        ids.append(made.json()["id"])
    _, duplicate, lobbying = ids
    merged = api.organiser("POST", f"/topics/{duplicate}/merge", json={"into": first})
    assert merged.status_code == 200, merged.text
    assert (merged.json()["status"], merged.json()["merged_into"]) == ("merged", first)
    assert api.call("GET", f"/topics/{duplicate}").json()["status"] == "merged"  # public, as merged
    problem(api.organiser("POST", f"/topics/{duplicate}/merge", json={"into": first}), 409)
    problem(api.organiser("POST", f"/topics/{first}/merge", json={"into": first}), 409)
    problem(api.organiser("POST", f"/topics/{first}/merge", json={"into": "the other"}), 400)

    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["id"]
    problem(api.call("GET", f"/rounds/{round_id}/results.csv"), 409)  # not while open
    assert ballot(api, round_id, alice, {"choices": [lobbying]}).status_code == 200
    assert api.organiser("POST", f"/rounds/{round_id}/close").status_code == 200
    sheet = api.call("GET", f"/rounds/{round_id}/results.csv")
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert sheet.headers["Content-Disposition"] == f'attachment; filename="round-{round_id}-results.csv"'
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8"))))
    overall = [row for row in rows if row["ranking"] == "overall"]
    assert [(row["topic_id"], row["title"], row["score"], row["on_agenda"]) for row in overall] == [
        (lobbying, "Lobbying", "1", "yes"),
        (first, "Open data for all", "0", "no"),
    ]

    problem(api.organiser("POST", f"/topics/{lobbying}/carry-over", json={"why": "On the agenda?"}), 409)
    problem(api.organiser("POST", f"/topics/{first}/carry-over", json={"forum_id": None}), 400)
    carried = api.organiser("POST", f"/topics/{first}/carry-over", json={"why": "One vote short"})
    assert carried.status_code == 200, carried.text
    [stop] = api.call("GET", f"/topics/{first}").json()["history"]
    assert (stop["forum_id"], stop["round_id"], stop["rank"]) == (forum["id"], round_id, 2)
    assert (stop["why"], stop["to_forum_id"]) == ("One vote short", None)
    assert [t["id"] for t in api.call("GET", topics_of_forum).json()["items"]] == [lobbying]
    backlog = api.call("GET", "/topics/backlog")
    assert backlog.status_code == 200, backlog.text
    assert first in [t["id"] for t in backlog.json()["items"]]


def test_a_participant_proposes_for_the_backlog_and_finds_it_in_their_export(api, mail):
    forum = api.create_forum()
    (erin,) = participants(api, mail, forum, "citizen")
    proposed = api.call("POST", "/topics", erin, json={"title": "Un registre des lobbies"})
    assert (proposed.status_code, proposed.json()["status"]) == (201, "proposed"), proposed.text
    topic = proposed.json()
    assert (topic["forum_id"], proposed.headers["Location"]) == (None, f"/api/v1/topics/{topic['id']}")
    assert topic["id"] not in [t["id"] for t in api.call("GET", "/topics/backlog").json()["items"]]
    assert topic["id"] in [t["id"] for t in api.organiser("GET", "/topics").json()["items"]]
    assert api.organiser("POST", f"/topics/{topic['id']}/publish").status_code == 200
    assert topic["id"] in [t["id"] for t in api.call("GET", "/topics/backlog").json()["items"]]
    own = api.organiser("POST", "/topics", json={"title": "Budget participatif national"})
    assert (own.status_code, own.json()["status"]) == (201, "published"), own.text
    problem(api.call("POST", "/topics", json={"title": "x"}), 401)
    problem(api.call("POST", "/topics", erin, json={"title": "x", "forum_id": forum["id"]}), 400)

    export = api.call("GET", "/people/me", erin)
    assert export.status_code == 200, export.text
    assert export.json()["topics"]["stakeholder_group"] == "citizen"
    assert [p["id"] for p in export.json()["topics"]["proposals"]] == [topic["id"]]
    assert export.json()["registrations"][0]["forum_id"] == forum["id"]


def test_the_export_is_refused_while_the_topics_service_is_down(api, mail, stack):
    forum = api.create_forum()
    (fay,) = participants(api, mail, forum, "company")
    stack.kill("topics")
    try:
        refused = problem(api.call("GET", "/people/me", fay), 503)  # after RPC_TIMEOUT
        assert "topics" in refused["detail"]
    finally:
        stack.start("topics").wait_ready()
    assert api.call("GET", "/people/me", fay).json()["topics"]["stakeholder_group"] == "company"


def test_the_documents_describe_topics(api):
    document = api.call("GET", "/openapi.json").json()
    for path, method in [
        ("/api/v1/forums/{forum_id}/topics", "post"),
        ("/api/v1/forums/{forum_id}/rounds", "post"),
        ("/api/v1/rounds/{round_id}/ballot", "put"),
        ("/api/v1/rounds/{round_id}/results", "get"),
        ("/api/v1/people/me/topics", "get"),
        ("/api/v1/topics/{topic_id}", "get"),
        ("/api/v1/topics/{topic_id}", "patch"),
        ("/api/v1/topics/{topic_id}/merge", "post"),
        ("/api/v1/topics/{topic_id}/carry-over", "post"),
        ("/api/v1/topics", "post"),
        ("/api/v1/topics/backlog", "get"),
        ("/api/v1/rounds/{round_id}/results.csv", "get"),
    ]:
        assert method in document["paths"][path], path
    events = api.call("GET", "/asyncapi.json").json()
    assert "round_closed" in events["channels"]["topics.events"]["messages"]
    assert "topics.round_closed.v1" in events["components"]["schemas"]


def test_taking_part_goes_on_while_the_registration_service_is_down(api, mail, stack):
    """The topics service knows its people from the events it kept: with registration killed, a registrant
    still proposes and votes, and the organiser (a configured token) still moderates and closes."""
    forum = api.create_forum()
    (erin,) = participants(api, mail, forum, "other")
    made = api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": "Participation"})
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    assert (made.status_code, opened.status_code) == (201, 201), (made.text, opened.text)
    stack.kill("registration")
    try:
        proposed = api.call("POST", f"/forums/{forum['id']}/topics", erin, json={"title": "Open budgets"})
        assert proposed.status_code == 201, proposed.text
        assert api.organiser("POST", f"/topics/{proposed.json()['id']}/publish").status_code == 200
        assert ballot(api, opened.json()["id"], erin, {"choices": [made.json()["id"]]}).status_code == 200
        closed = api.organiser("POST", f"/rounds/{opened.json()['id']}/close")
        assert closed.status_code == 200 and closed.json()["results"]["ballots"] == 1, closed.text
        assert api.call("GET", f"/forums/{forum['id']}").status_code == 503  # registration's own route
    finally:
        stack.start("registration")
        stack.wait_ready()


def test_a_revoked_link_no_longer_votes_and_the_new_one_does(api, mail):
    """Revoking one's links (registration) reaches the topics service by the event that emails the new
    link: the old token is refused (401) once it has arrived, the new one votes."""
    forum = api.create_forum()
    someone = api.registered(forum["id"], person(stakeholder_group="citizen"))
    old = token_from(wait_for_mails(mail, {someone["email"]: 1})[someone["email"]][0])
    known_to_topics(api, old)
    made = api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": "Revocation"})
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    assert ballot(api, opened.json()["id"], old, {"choices": [made.json()["id"]]}).status_code == 200
    assert api.call("POST", "/people/me/revoke-links", old).status_code == 202
    link = wait_until(
        lambda: next(
            (m for m in inbox(mail, someone["email"])[someone["email"]] if m["Subject"] == LINK_SUBJECT), None
        ),
        30,
        message="the new link",
    )
    new = token_from(link)
    wait_until(
        lambda: ballot(api, opened.json()["id"], old, {"choices": []}).status_code == 401,
        30,
        message="the old link refused by the topics service",
    )
    assert ballot(api, opened.json()["id"], new, {"choices": [made.json()["id"]]}).json()["replaced"] == 0
    results = api.organiser("POST", f"/rounds/{opened.json()['id']}/close").json()["results"]
    assert (
        results["ballots"] == 1 and results["ranking"][0]["score"] == 1
    )  # the old link's last try never counted
