"""The topics routes of the gateway over real HTTP, in front of fake registration and topics services:
what reaches the topics service, what is refused before it, and the export that asks every service."""

import uuid

import pytest

from .gateway_support import FAKE, ORGANISER, TOKEN, Api, Fake, fake_service, running_gateway

TOPIC_ID, OTHER_ID, ROUND_ID = (str(uuid.uuid4()) for _ in range(3))
TOPIC = {"id": TOPIC_ID, "forum_id": None, "title": "Open data", "status": "published"}
MINE = {"stakeholder_group": "citizen", "proposals": [], "ballots": []}
TOPICS = Fake(
    {
        "propose": lambda forum_id, data, token: TOPIC | data | {"forum_id": forum_id},
        "list_topics": {"items": [TOPIC]},
        "get_topic": TOPIC | {"changes": [], "history": []},
        "edit_topic": TOPIC | {"changes": [], "history": []},
        "merge_topic": TOPIC | {"status": "merged", "merged_into": OTHER_ID},
        "carry_over_topic": TOPIC,
        "open_round": lambda forum_id, data: {"id": ROUND_ID, "forum_id": forum_id, "status": "open"},
        "round_results_csv": "ranking,rank,topic_id,title,score,on_agenda\r\noverall,1,x,Écologie,2,yes\r\n",
        "my_data": MINE,
        "health": "ok",
    }
)
FakeTopics = fake_service("topics", TOPICS)
COMMENTS = {"comments": [{"id": str(uuid.uuid4()), "body": "Merci", "status": "published"}]}
RESTITUTION = Fake({"my_comments": COMMENTS, "health": "ok"})
FakeRestitution = fake_service("restitution", RESTITUTION)
FakeRegistration = fake_service("registration", FAKE)


@pytest.fixture(scope="module")
def gateway_url(rabbit_server, vhosts):
    with running_gateway(rabbit_server, vhosts, FakeRegistration, FakeTopics, FakeRestitution) as url:
        yield url


@pytest.fixture
def api(gateway_url):
    FAKE.reset()
    TOPICS.reset()
    RESTITUTION.reset()
    return Api(gateway_url)


def test_a_topic_is_read_by_anyone_and_organisers_may_see_a_proposed_one(api):
    read = api("GET", f"/api/v1/topics/{TOPIC_ID.upper()}")
    assert read.status_code == 200 and read.json()["history"] == []
    assert TOPICS.args("get_topic") == [TOPIC_ID, False]
    api("GET", f"/api/v1/topics/{TOPIC_ID}", token=TOKEN)  # a participant is the public here
    assert TOPICS.args("get_topic") == [TOPIC_ID, False]
    api("GET", f"/api/v1/topics/{TOPIC_ID}", token=ORGANISER)
    assert TOPICS.args("get_topic") == [TOPIC_ID, True]
    TOPICS.failure = ("TopicNotFound", "no topic")
    assert api("GET", f"/api/v1/topics/{TOPIC_ID}").status_code == 404
    assert api("GET", "/api/v1/topics/not-a-uuid").status_code == 404


def test_proposals_answer_where_the_topic_is_and_the_backlog_takes_them(api):
    made = api("POST", "/api/v1/topics", token=TOKEN, json={"title": "Open data"})
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"/api/v1/topics/{TOPIC_ID}"
    assert TOPICS.args("propose") == [None, {"title": "Open data", "description": ""}, TOKEN]
    api("POST", "/api/v1/topics", token=ORGANISER, json={"title": "Lobbying", "commitment_ref": "FRA0042"})
    assert TOPICS.args("propose")[2] is None
    forum_id = str(uuid.uuid4())
    for_forum = api("POST", f"/api/v1/forums/{forum_id}/topics", token=TOKEN, json={"title": "x"})
    assert for_forum.headers["Location"] == f"/api/v1/topics/{TOPIC_ID}"
    assert TOPICS.args("propose")[0] == forum_id
    assert api("GET", "/api/v1/topics/backlog").json() == {"items": [TOPIC]}
    assert TOPICS.args("list_topics") == [None]
    assert api("POST", "/api/v1/topics", json={"title": "x"}).status_code == 401
    assert api("POST", "/api/v1/topics", token=TOKEN, json={"title": ""}).status_code == 400


def test_organisers_edit_merge_and_carry_over_topics(api):
    path = f"/api/v1/topics/{TOPIC_ID}"
    edited = api("PATCH", path, token=ORGANISER, json={"title": "Données ouvertes", "note": "In French"})
    assert edited.status_code == 200, edited.text
    assert TOPICS.args("edit_topic") == [TOPIC_ID, {"title": "Données ouvertes"}, "In French"]
    api("PATCH", path, token=ORGANISER, json={"commitment_ref": None, "note": "Not that one"})
    assert TOPICS.args("edit_topic") == [TOPIC_ID, {"commitment_ref": None}, "Not that one"]
    merged = api("POST", f"{path}/merge", token=ORGANISER, json={"into": OTHER_ID.upper()})
    assert merged.json()["merged_into"] == OTHER_ID and TOPICS.args("merge_topic") == [TOPIC_ID, OTHER_ID]
    forum_id = str(uuid.uuid4())
    api("POST", f"{path}/carry-over", token=ORGANISER, json={"why": "Next time", "forum_id": forum_id})
    assert TOPICS.args("carry_over_topic") == [TOPIC_ID, "Next time", forum_id]
    for body in ({"why": "Backlog"}, {"why": "Backlog", "forum_id": None}):
        assert api("POST", f"{path}/carry-over", token=ORGANISER, json=body).status_code == 200
        assert TOPICS.args("carry_over_topic") == [TOPIC_ID, "Backlog", None]
    TOPICS.failure = ("InvalidTransition", "this topic is merged")
    assert api("PATCH", path, token=ORGANISER, json={"title": "x", "note": "y"}).status_code == 409


@pytest.mark.parametrize(
    "path, body, fields",
    [
        ("", {"note": "Nothing else"}, {"_schema"}),
        ("", {"title": "x"}, {"note"}),
        ("", {"title": "x", "note": "y" * 1001}, {"note"}),
        ("", {"title": "x", "note": "y", "status": "published"}, {"status"}),
        ("", {"commitment_ref": "", "note": "y"}, {"commitment_ref"}),
        ("/merge", {}, {"into"}),
        ("/merge", {"into": "topic-2"}, {"into"}),
        ("/carry-over", {"forum_id": None}, {"why"}),
        ("/carry-over", {"why": "x" * 1001, "forum_id": "backlog"}, {"why", "forum_id"}),
    ],
)
def test_bad_input_is_refused_by_field_before_the_topics_service(api, path, body, fields):
    method = "PATCH" if path == "" else "POST"
    refused = api(method, f"/api/v1/topics/{TOPIC_ID}{path}", token=ORGANISER, json=body)
    assert refused.status_code == 400, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert set(refused.json()["errors"]) == fields
    assert TOPICS.calls == []


OPENING = {"method": "approval", "max_choices": 1, "agenda_size": 1, "closes_at": "2030-01-01T10:00:00Z"}


def test_an_organiser_opens_a_round_over_the_topics_named(api):
    forum_id = str(uuid.uuid4())
    opened = api("POST", f"/api/v1/forums/{forum_id}/rounds", token=ORGANISER,
                 json=OPENING | {"topic_ids": [OTHER_ID, TOPIC_ID.upper()]})  # fmt: skip
    assert opened.status_code == 201, opened.text
    assert opened.headers["Location"] == f"/api/v1/rounds/{ROUND_ID}"
    assert [str(topic_id) for topic_id in TOPICS.args("open_round")[1]["topic_ids"]] == [OTHER_ID, TOPIC_ID]
    api("POST", f"/api/v1/forums/{forum_id}/rounds", token=ORGANISER, json=OPENING)
    assert "topic_ids" not in TOPICS.args("open_round")[1]  # all the forum's published topics

    TOPICS.failure = ("RoundInvalid", f"topic_ids: not a published topic of this forum: {OTHER_ID}")
    refused = api("POST", f"/api/v1/forums/{forum_id}/rounds", token=ORGANISER,
                  json=OPENING | {"topic_ids": [OTHER_ID]})  # fmt: skip
    assert (refused.status_code, refused.headers["Content-Type"]) == (422, "application/problem+json")
    assert refused.json()["errors"] == {"topic_ids": [f"not a published topic of this forum: {OTHER_ID}"]}


@pytest.mark.parametrize(
    "topic_ids",
    [[], [TOPIC_ID, TOPIC_ID], ["topic-1"], TOPIC_ID, [str(uuid.uuid4()) for _ in range(101)], None],
)
def test_a_rounds_topics_are_refused_before_the_topics_service_when_malformed(api, topic_ids):
    refused = api("POST", f"/api/v1/forums/{uuid.uuid4()}/rounds", token=ORGANISER,
                  json=OPENING | {"topic_ids": topic_ids})  # fmt: skip
    assert refused.status_code == 400, refused.text
    assert set(refused.json()["errors"]) == {"topic_ids"}
    assert TOPICS.calls == []


def test_a_rounds_results_are_a_public_csv_file(api):
    csv = api("GET", f"/api/v1/rounds/{ROUND_ID}/results.csv")
    assert csv.status_code == 200, csv.text
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.headers["Content-Disposition"] == f'attachment; filename="round-{ROUND_ID}-results.csv"'
    assert csv.content.decode("utf-8") == TOPICS.replies["round_results_csv"]
    assert TOPICS.args("round_results_csv") == [ROUND_ID]
    TOPICS.failure = ("ResultsNotYet", "the results are shown once the round closes")
    refused = api("GET", f"/api/v1/rounds/{ROUND_ID}/results.csv")
    assert (refused.status_code, refused.headers["Content-Type"]) == (409, "application/problem+json")


def test_my_export_holds_what_every_service_holds(api):
    export = api("GET", "/api/v1/people/me", token=TOKEN)
    assert export.status_code == 200, export.text
    assert export.json()["registrations"] == FAKE.replies["me"]["registrations"]
    assert (export.json()["topics"], export.json()["restitution"]) == (MINE, COMMENTS)
    assert FAKE.args("me") == [TOKEN] and TOPICS.args("my_data") == [TOKEN]
    assert RESTITUTION.args("my_comments") == [TOKEN]
    TOPICS.failure = ("NotAParticipant", "not known here")
    RESTITUTION.failure = ("NotAParticipant", "not known here")
    unknown = api("GET", "/api/v1/people/me", token=TOKEN)
    assert (unknown.status_code, unknown.json()["topics"], unknown.json()["restitution"]) == (200, None, None)
    TOPICS.failure = None
    RESTITUTION.failure = ("DatabaseUnavailable", "restitution: PoolTimeout")
    outage = api("GET", "/api/v1/people/me", token=TOKEN)
    assert (outage.status_code, outage.headers["Retry-After"]) == (503, "5")  # not an export without it
    RESTITUTION.failure = None
    TOPICS.failure = ("DatabaseUnavailable", "topics: PoolTimeout")
    outage = api("GET", "/api/v1/people/me", token=TOKEN)
    assert (outage.status_code, outage.headers["Retry-After"]) == (503, "5")
    TOPICS.failure = None
    FAKE.failure = ("InvalidToken", "revoked")
    assert api("GET", "/api/v1/people/me", token=TOKEN).status_code == 401
