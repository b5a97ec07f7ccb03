"""The discussion of a restitution, from outside: participants (by their emailed link's token) comment on
the published restitution and on a commitment, reply once; the organiser moderates (pre-moderation by
default, then post), hides with a public reason; everyone reads the published comments; an integrator's
pika consumer sees comment_published and comment_hidden; every refusal is problem+json and changes
nothing."""

import uuid

import pytest
import requests

from harness.testing import wait_until

from .client import Bus, parts, problem, wait_until_mail
from .test_restitution_outputs import page
from .test_topics import participants

HOSTILE = "<script>window.__pwned=1</script> <img src=x onerror=alert(1)>"
MODERATOR = f"moderation-{uuid.uuid4().hex[:8]}@example.org"
STACK_SETTINGS = {"ORGANISER_EMAILS": MODERATOR, "MODERATION_DIGEST_SECONDS": 0}


@pytest.fixture
def restitution_bus(module_amqp_uri):
    bus = Bus(module_amqp_uri, "restitution.events")
    yield bus
    bus.close()


def published(api, forum):
    path = f"/forums/{forum['id']}/restitution"
    content = {"summary": "Un forum utile.", "sections": [], "decisions": [],
               "commitments": [{"title": "Ouvrir le jeu", "owner": "DINUM", "due_on": "2027-06-30"}]}  # fmt: skip
    assert api.organiser("PUT", path, json=content).status_code == 200
    answer = api.organiser("POST", f"{path}/publish", json={})
    assert answer.status_code == 201, answer.text
    return answer.json()


def known_to_restitution(api, forum, token):
    """The restitution service has learnt of the person (from the registration events): before anything is
    published, their comment is refused for that (409), not for who they are (403)."""
    comments = f"/forums/{forum['id']}/restitution/comments"
    wait_until(
        lambda: api.call("POST", comments, token, json={"body": "tôt"}).status_code == 409,
        30,
        message="the participant known to the restitution service",
    )


def test_a_discussion_moderated_before_then_after_publication(api, mail, restitution_bus):
    forum = api.create_forum()
    comments = f"/forums/{forum['id']}/restitution/comments"
    alice, bob = participants(api, mail, forum, "civil_society", "company")
    known_to_restitution(api, forum, alice)
    problem(api.call("GET", comments), 404)  # nothing published, nothing to discuss
    version = published(api, forum)
    commitment_id = version["commitments"][0]["id"]

    first = api.call(
        "POST", comments, alice, json={"body": HOSTILE, "author_name": "Alice", "notify_replies": True}
    )
    assert first.status_code == 201, first.text
    assert first.headers["Cache-Control"] == "no-store"
    assert (first.json()["status"], first.json()["body"]) == ("pending", HOSTILE)  # kept as typed: text
    assert api.call("GET", comments).json()["items"] == []
    waiting = api.organiser("GET", "/comments/pending", params={"forum_id": forum["id"]})
    assert [c["id"] for c in waiting.json()["items"]] == [first.json()["id"]]
    assert api.organiser("POST", f"/comments/{first.json()['id']}/publish").status_code == 200

    moderation = f"/forums/{forum['id']}/restitution/moderation"
    assert api.organiser("PUT", moderation, json={"moderation": "post"}).json()["moderation"] == "post"
    reply = api.call("POST", comments, bob, json={"body": "D'accord", "parent_id": first.json()["id"]})
    assert (reply.status_code, reply.json()["status"]) == (201, "published"), reply.text
    on_commitment = api.call("POST", comments, bob, json={"body": "Quand ?", "commitment_id": commitment_id})
    assert on_commitment.status_code == 201, on_commitment.text
    hidden = api.organiser(
        "POST", f"/comments/{on_commitment.json()['id']}/hide", json={"reason": "Hors sujet"}
    )
    assert hidden.status_code == 200, hidden.text

    shown = api.call("GET", comments).json()["items"]
    assert [(c["id"], c["status"]) for c in shown] == [
        (first.json()["id"], "published"), (reply.json()["id"], "published"),
        (on_commitment.json()["id"], "hidden")]  # fmt: skip
    assert shown[0]["body"] == HOSTILE and shown[0]["author_name"] == "Alice"
    assert (shown[2]["body"], shown[2]["hidden_reason"], shown[2]["commitment_id"]) == (
        None, "Hors sujet", commitment_id)  # fmt: skip

    at_once = api.call("POST", comments, alice, json={"body": "Publié aussitôt"})  # post-moderation
    api.organiser("PUT", moderation, json={"moderation": "pre"})
    waiting = api.call("POST", comments, alice, json={"body": "En attente <b>de</b> lecture"})
    assert (at_once.json()["status"], waiting.json()["status"]) == ("published", "pending")
    shown_page = page(requests.get(f"{api.base_url}/restitutions/{forum['id']}", timeout=30))
    ids = {value for name, value in shown_page.attributes if name == "id"}
    assert {f"comment-{first.json()['id']}", f"comment-{reply.json()['id']}", "comments"} <= ids
    assert f"comment-{waiting.json()['id']}" not in ids and "En attente" not in shown_page.text
    assert HOSTILE in shown_page.text and "Alice" in shown_page.text  # the tags typed, shown as typed
    assert "Hors sujet" in shown_page.text and "Quand ?" not in shown_page.text  # the reason, not the text
    assert (
        "D'accord" in shown_page.text
        and "société civile" in shown_page.text
        and "Publié aussitôt" in shown_page.text
    )
    raw = requests.get(f"{api.base_url}/restitutions/{forum['id']}", timeout=30).text
    replies = raw.index('class="replies"')
    assert raw.index(f"comment-{first.json()['id']}") < replies < raw.index(f"comment-{reply.json()['id']}")
    assert raw.index(f"commitment-{commitment_id}") < raw.index(f"comment-{on_commitment.json()['id']}")

    alice_email = api.call("GET", "/people/me", alice).json()["person"]["email"]
    [told_alice] = wait_until_mail(mail, alice_email, "A reply to your comment")  # she asked to be told
    text, html = parts(told_alice)
    assert (
        "D'accord" in text and f"/en/restitutions/{forum['id']}#comment-{reply.json()['id']}" in text
    )  # English
    assert "<script" not in html
    [digest] = wait_until_mail(mail, MODERATOR, "Modération", 45)  # the timer passes every 30 s
    text, _ = parts(digest)
    assert f"/restitutions/{forum['id']}#comments" in text and "/api/v1/comments/pending?forum_id=" in text
    assert "En attente" not in text and "Alice" not in text  # no comment's text, nobody's name

    mine = api.call("GET", "/people/me", bob).json()["restitution"]["comments"]
    assert [(c["id"], c["body"]) for c in mine] == [
        (reply.json()["id"], "D'accord"), (on_commitment.json()["id"], "Quand ?")]  # fmt: skip

    told = restitution_bus.wait_for(
        lambda e: e["type"] == "comment_published" and e["data"]["comment"]["id"] == reply.json()["id"],
        message="the reply published",
    )
    assert told.envelope["data"]["notify_person_id"]  # Alice asked to be told of replies
    restitution_bus.wait_for(
        lambda e: e["type"] == "comment_hidden" and e["data"]["reason"] == "Hors sujet", message="the hiding"
    )


def test_what_the_discussion_refuses_is_problem_json_and_changes_nothing(api, mail):
    forum = api.create_forum()
    comments = f"/forums/{forum['id']}/restitution/comments"
    (alice,) = participants(api, mail, forum, "citizen")
    known_to_restitution(api, forum, alice)
    problem(api.call("POST", comments, alice, json={"body": "Avant"}), 409)  # not published yet
    published(api, forum)
    api.organiser("PUT", f"/forums/{forum['id']}/restitution/moderation", json={"moderation": "post"})
    first = api.call("POST", comments, alice, json={"body": "Premier"}).json()
    reply = api.call("POST", comments, alice, json={"body": "Second", "parent_id": first["id"]}).json()

    problem(api.call("POST", comments, json={"body": "Anonyme"}), 401)
    problem(api.call("POST", comments, "forged-token", json={"body": "x"}), 401)
    problem(
        api.call("POST", comments, alice, json={"body": "x", "parent_id": reply["id"]}), 409
    )  # reply to a reply
    assert "body" in problem(api.call("POST", comments, alice, json={"body": ""}), 400)["errors"]
    assert "body" in problem(api.call("POST", comments, alice, json={"body": "a\u0000b"}), 400)["errors"]
    assert "body" in problem(api.call("POST", comments, alice, json={"body": "x" * 5001}), 400)["errors"]
    assert (
        "parent_id"
        in problem(api.call("POST", comments, alice, json={"body": "x", "parent_id": "1"}), 400)["errors"]
    )
    unknown_parent = {"body": "x", "parent_id": str(uuid.uuid4())}
    assert "parent_id" in problem(api.call("POST", comments, alice, json=unknown_parent), 422)["errors"]
    assert (
        "notify_replies"
        in problem(api.call("POST", comments, alice, json={"body": "x", "notify_replies": "yes"}), 400)[
            "errors"
        ]
    )
    problem(api.call("POST", f"/forums/{uuid.uuid4()}/restitution/comments", alice, json={"body": "x"}), 404)

    hide = f"/comments/{first['id']}/hide"
    problem(api.call("POST", hide, json={"reason": "x"}), 401)
    problem(api.call("POST", hide, alice, json={"reason": "x"}), 403)
    problem(
        api.call("PUT", f"/forums/{forum['id']}/restitution/moderation", alice, json={"moderation": "pre"}),
        403,
    )
    problem(api.call("GET", "/comments/pending", alice), 403)
    assert "reason" in problem(api.organiser("POST", hide, json={}), 400)["errors"]
    problem(api.organiser("POST", f"/comments/{uuid.uuid4()}/hide", json={"reason": "x"}), 404)
    problem(api.organiser("POST", f"/comments/{first['id']}/publish"), 409)  # published already
    moderation = api.organiser(
        "PUT", f"/forums/{forum['id']}/restitution/moderation", json={"moderation": "x"}
    )
    assert "moderation" in problem(moderation, 400)["errors"]

    shown = api.call("GET", comments).json()["items"]
    assert [(c["id"], c["status"], c["body"]) for c in shown] == [
        (first["id"], "published", "Premier"), (reply["id"], "published", "Second")]  # fmt: skip
    assert (
        api.organiser("GET", f"/forums/{forum['id']}/restitution/moderation").json()["moderation"] == "post"
    )


def test_a_comment_sent_twice_with_one_idempotency_key_is_made_once(api, mail):
    forum = api.create_forum()
    comments = f"/forums/{forum['id']}/restitution/comments"
    (alice,) = participants(api, mail, forum, "citizen")
    known_to_restitution(api, forum, alice)
    published(api, forum)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    answers = [api.call("POST", comments, alice, json={"body": "Une fois"}, headers=key) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    waiting = api.organiser("GET", "/comments/pending", params={"forum_id": forum["id"]}).json()["items"]
    assert [c["body"] for c in waiting] == ["Une fois"]
