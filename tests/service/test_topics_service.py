"""The topics service in a real container (real RabbitMQ vhost, real PostgreSQL): it learns people and
forums from registration's events (published here as the registration relay would), takes proposals and
their moderation, runs prioritisation rounds and closes each exactly once, even with two replicas."""

import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from psycopg.rows import dict_row

from harness.testing import wait_until
from kit import tokens
from services.registration.events import catalog
from services.topics.rules import GROUPS
from services.topics.service import TopicsService

from .registration_support import Bus
from .test_notification_emails import forum_block, someone


@pytest.fixture
def topics_config(service_config):
    return service_config


@pytest.fixture
def topics(container_factory, topics_config):
    container_factory(TopicsService, topics_config).start()
    with ServiceRpcProxy("topics", topics_config, timeout=30) as proxy:
        yield proxy


@pytest.fixture
def topics_bus(service_config):
    listener = Bus(service_config["AMQP_URI"], "topics")
    yield listener
    listener.close()


def query(config, sql, *params):
    with psycopg.connect(config["DATABASE_URL"], options="-c search_path=topics", row_factory=dict_row) as c:
        return c.execute(sql, params).fetchall()


def failure(call, *args, **kwargs):
    with pytest.raises(RemoteError) as raised:
        call(*args, **kwargs)
    return raised.value.exc_type


class Series:
    """A forum and its people, made known to the topics service by registration's events."""

    def __init__(self, publish, config):
        self.publish, self.config = publish, config
        self.forum = forum_block()
        publish(catalog.envelope("forum_scheduled", {"forum": self.forum}))

    def registrant(self, group="citizen", version=2):
        person = someone() | {"token_version": version}
        data = {"registration_id": uuid.uuid4(), "forum": self.forum, "person": person}
        data |= {"organisation": "", "stakeholder_group": group, "status": "confirmed"}
        self.publish(catalog.envelope("registration_confirmed", data))
        return person

    def subscriber(self, version=0):
        person = someone() | {"token_version": version}
        self.publish(
            catalog.envelope("subscription_confirmed", {"subscription_id": uuid.uuid4(), "person": person})
        )
        return person

    def token(self, person, version=None):
        version = person["token_version"] if version is None else version
        return tokens.mint(self.config["SECRET_KEY"], "manage", str(person["person_id"]), version)

    def known(self, *people):
        ids = [person["person_id"] for person in people]
        wait_until(
            lambda: (
                len(query(self.config, "SELECT 1 FROM people WHERE person_id = ANY(%s)", ids)) == len(ids)
                and query(self.config, "SELECT 1 FROM forums WHERE id = %s", self.forum["id"])
            ),
            message="the people and the forum known",
        )


@pytest.fixture
def series(topics, publish, topics_config):
    return Series(publish, topics_config)


def topic(title="Open data"):
    return {"title": title, "description": f"{title}: what it is about"}


def later(seconds):
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_participants_proposal_waits_for_moderation_an_organisers_is_published(topics, series, topics_bus):
    ana = series.registrant()
    series.known(ana)
    forum_id = str(series.forum["id"])
    proposed = topics.propose(forum_id, topic("Budget participatif"), series.token(ana))
    assert proposed["status"] == "proposed"
    by_organiser = topics.propose(forum_id, topic("Données ouvertes"))
    assert by_organiser["status"] == "published"
    assert [t["id"] for t in topics.list_topics(forum_id)["items"]] == [by_organiser["id"]]
    assert [t["id"] for t in topics.moderation_queue(forum_id)["items"]] == [proposed["id"]]

    topics.publish_topic(proposed["id"])
    assert [t["id"] for t in topics.list_topics(forum_id)["items"]] == [by_organiser["id"], proposed["id"]]
    rejected = topics.propose(forum_id, topic("Hors sujet"), series.token(ana))
    assert topics.reject_topic(rejected["id"], "Not a matter for this forum")["rejection_reason"]
    assert failure(topics.publish_topic, rejected["id"]) == "InvalidTransition"
    kinds = [event["type"] for event in topics_bus.drain()]
    assert kinds.count("topic_proposed") == 2 and kinds.count("topic_published") == 2
    assert kinds.count("topic_rejected") == 1


def test_who_may_take_part(topics, series):
    ana, sub = series.registrant(version=3), series.subscriber()
    stranger = someone()
    series.known(ana, sub)
    forum_id = str(series.forum["id"])
    assert topics.propose(forum_id, topic(), series.token(sub))["status"] == "proposed"
    assert failure(topics.propose, forum_id, topic(), series.token(stranger)) == "NotAParticipant"
    assert (
        failure(topics.propose, forum_id, topic(), series.token(ana, version=2)) == "InvalidToken"
    )  # revoked
    assert topics.propose(forum_id, topic(), series.token(ana, version=4))["status"] == "proposed"  # newer
    assert failure(topics.propose, forum_id, topic(), series.token(ana, version=3)) == "InvalidToken"
    assert failure(topics.propose, str(uuid.uuid4()), topic()) == "ForumNotFound"


def test_an_approval_round_from_opening_to_results(topics, series, topics_bus, topics_config):
    voters = [series.registrant("citizen"), series.registrant("citizen"), series.registrant("company")]
    newcomer = series.subscriber()
    series.known(*voters, newcomer)
    forum_id = str(series.forum["id"])
    a, b, c = (topics.propose(forum_id, topic(title))["id"] for title in ("A", "B", "C"))
    opening = {"method": "approval", "max_choices": 2, "agenda_size": 2, "closes_at": later(3600)}
    round_ = topics.open_round(forum_id, opening)
    assert round_["status"] == "open" and round_["topic_ids"] == [a, b, c]
    assert failure(topics.open_round, forum_id, opening) == "RoundAlreadyOpen"

    first, second, third = (series.token(person) for person in voters)
    topics.cast_ballot(round_["id"], first, {"choices": [c]})
    assert topics.cast_ballot(round_["id"], first, {"choices": [a, b]})["replaced"] == 1  # replaces
    assert topics.cast_ballot(round_["id"], first, {"choices": [b, a]})["replaced"] == 1  # the same, again
    topics.cast_ballot(round_["id"], second, {"choices": [b]})
    topics.cast_ballot(round_["id"], third, {"choices": [b, c]})
    assert failure(topics.cast_ballot, round_["id"], third, {"choices": [a, b, c]}) == "BallotInvalid"
    assert (
        failure(topics.cast_ballot, round_["id"], third, {"choices": [str(uuid.uuid4())]}) == "BallotInvalid"
    )
    late = series.token(newcomer)
    assert failure(topics.cast_ballot, round_["id"], late, {"choices": [a]}) == "GroupRequired"
    topics.cast_ballot(round_["id"], late, {"choices": [a]}, "research_media")
    assert failure(topics.round_results, round_["id"]) == "ResultsNotYet"
    page = topics.round_page(round_["id"])  # the public page's one call: no results yet, every title
    assert (page["round"], page["results"]) == (topics.get_round(round_["id"]), None)
    assert page["titles"] == {a: "A", b: "B", c: "C"} and "participation" not in page["round"]
    assert list(topics.get_round(round_["id"], True)["participation"]) == [
        "citizen",
        "company",
        "research_media",
    ]
    assert topics.get_round(round_["id"], True)["participation"] == {
        "citizen": 2, "company": 1, "research_media": 1,
    }  # fmt: skip

    [listed] = topics.list_rounds(forum_id)["items"]  # the forum's rounds, as organisers see them
    assert (listed["id"], listed["status"]) == (round_["id"], "open") and sum(
        listed["participation"].values()
    ) == 4

    closed = topics.close_round(round_["id"])
    results = closed["results"]
    assert results["ballots"] == 4
    assert results["ranking"] == [
        {"topic_id": b, "score": 3}, {"topic_id": a, "score": 2}, {"topic_id": c, "score": 1},
    ]  # fmt: skip
    assert results["agenda"] == [b, a]
    assert topics.round_results(round_["id"]) == results
    assert topics.round_page(round_["id"])["results"] == results
    assert (
        list(results["by_group"])
        == list(topics.round_results(round_["id"])["by_group"])
        == [
            "company",
            "citizen",
            "research_media",
        ]
    )  # the groups in the tally's order (rules.GROUPS), not the database's
    lines = topics.round_results_csv(round_["id"]).splitlines()
    assert lines[0] == "ranking,rank,topic_id,title,score,on_agenda,final"
    assert lines[1] == f"overall,1,{b},B,3,yes,yes" and f"group:company,1,{b},B,1,yes,yes" in lines
    assert failure(topics.cast_ballot, round_["id"], first, {"choices": [a]}) == "RoundNotOpen"
    assert failure(topics.close_round, round_["id"]) == "RoundNotOpen"
    events = topics_bus.drain()
    [closing] = [event for event in events if event["type"] == "round_closed"]
    assert closing["data"]["results"] == results and closing["data"]["closed_by"] == "organiser"
    assert not any("choices" in str(event["data"]) for event in events)  # no ballot on the bus


def test_a_round_over_the_topics_the_organiser_names_once_whatever_the_retries(
    topics, series, publish, topics_bus, topics_config
):
    forum_id = str(series.forum["id"])
    a, b, c = (topics.propose(forum_id, topic(title))["id"] for title in ("A", "B", "C"))
    voter = series.registrant()
    series.known(voter)
    proposed = topics.propose(forum_id, topic("Not yet moderated"), series.token(voter))["id"]
    elsewhere = Series(publish, topics_config)
    elsewhere.known()
    foreign = topics.propose(str(elsewhere.forum["id"]), topic("Another forum's"))["id"]
    unknown = str(uuid.uuid4())
    opening = {"method": "approval", "max_choices": 1, "agenda_size": 1, "closes_at": later(3600)}

    with pytest.raises(RemoteError) as refused:
        topics.open_round(forum_id, opening | {"topic_ids": [a, proposed, foreign, unknown]})
    assert refused.value.exc_type == "RoundInvalid"
    assert (
        refused.value.value
        == f"topic_ids: not a published topic of this forum: {proposed}, {foreign}, {unknown}"
    )
    assert failure(topics.open_round, forum_id, opening | {"topic_ids": [a, c, a]}) == "RoundInvalid"
    assert failure(topics.open_round, forum_id, opening | {"topic_ids": []}) == "RoundInvalid"
    assert topics.list_rounds(forum_id)["items"] == []  # nothing opened

    key, chosen = str(uuid.uuid4()), opening | {"topic_ids": [c.upper(), a]}  # named in any order and case
    with ServiceRpcProxy("topics", topics_config, context_data={"idempotency_key": key}, timeout=30) as keyed:
        opened = keyed.open_round(forum_id, chosen)
        assert keyed.open_round(forum_id, chosen) == opened  # a retry: the first answer, no second round
        assert failure(keyed.open_round, forum_id, opening | {"topic_ids": [a]}) == "IdempotencyKeyReused"
    assert opened["topic_ids"] == [a, c]  # in publication order
    assert failure(topics.open_round, forum_id, chosen) == "RoundAlreadyOpen"  # another key: another round
    assert [listed["id"] for listed in topics.list_rounds(forum_id)["items"]] == [opened["id"]]
    [announced] = [event for event in topics_bus.drain() if event["type"] == "round_opened"]
    assert [block["id"] for block in announced["data"]["topics"]] == [a, c]

    token = series.token(voter)
    assert failure(topics.cast_ballot, opened["id"], token, {"choices": [b]}) == "BallotInvalid"  # not in it
    topics.cast_ballot(opened["id"], token, {"choices": [c]})
    results = topics.close_round(opened["id"])["results"]
    assert results["ranking"] == [{"topic_id": c, "score": 1}, {"topic_id": a, "score": 0}]


def test_two_replicas_close_a_due_round_exactly_once(container_factory, topics_config, publish, topics_bus):
    for _ in range(2):
        container_factory(TopicsService, topics_config).start()
    series = Series(publish, topics_config)
    voter = series.registrant()
    series.known(voter)
    forum_id = str(series.forum["id"])
    with ServiceRpcProxy("topics", topics_config, timeout=30) as topics:
        ids = [topics.propose(forum_id, topic(title))["id"] for title in ("A", "B")]
        opening = {"method": "dots", "budget": 5, "max_per_topic": 3, "agenda_size": 1, "closes_at": later(3)}
        round_ = topics.open_round(forum_id, opening)
        topics.cast_ballot(round_["id"], series.token(voter), {"points": {ids[1]: 3, ids[0]: 2}})
        wait_until(
            lambda: topics.get_round(round_["id"])["status"] == "closed", 20, message="closed by the timer"
        )
        assert topics.round_results(round_["id"])["agenda"] == [ids[1]]
    closings = [event for event in topics_bus.drain(quiet=6) if event["type"] == "round_closed"]
    assert len(closings) == 1 and closings[0]["data"]["closed_by"] == "timer"


def test_an_erased_person_is_detached_and_their_ballot_still_counts(topics, series, publish, topics_config):
    ana = series.registrant()
    series.known(ana)
    forum_id = str(series.forum["id"])
    mine = topics.propose(forum_id, topic(), series.token(ana))
    topics.publish_topic(mine["id"])
    round_ = topics.open_round(forum_id, {"method": "approval", "max_choices": 1, "agenda_size": 1,
                                          "closes_at": later(3600)})  # fmt: skip
    topics.cast_ballot(round_["id"], series.token(ana), {"choices": [mine["id"]]})
    assert [p["id"] for p in topics.my_data(series.token(ana))["proposals"]] == [mine["id"]]
    publish(catalog.envelope("person_erased", {"person_id": ana["person_id"], "email": ana["email"],
                                               "erased_by": "person"}))  # fmt: skip
    wait_until(
        lambda: query(topics_config, "SELECT erased_at FROM people WHERE person_id = %s", ana["person_id"])[
            0
        ]["erased_at"],
        message="the erasure",
    )
    assert query(topics_config, "SELECT proposer_id FROM topics WHERE id = %s", mine["id"]) == [
        {"proposer_id": None}
    ]
    assert failure(topics.my_data, series.token(ana)) == "InvalidToken"
    assert topics.close_round(round_["id"])["results"]["ranking"][0] == {"topic_id": mine["id"], "score": 1}


def test_an_edit_keeps_its_note_and_what_the_topic_said_before(topics, series, topics_bus):
    forum_id = str(series.forum["id"])
    series.known()
    mine = topics.propose(forum_id, topic("Open data"))
    edited = topics.edit_topic(mine["id"], {"title": "Open data in ministries"}, "Narrowed after the forum")
    assert edited["title"] == "Open data in ministries"
    [change] = edited["changes"]
    assert (change["note"], change["previous"]) == ("Narrowed after the forum", {"title": "Open data"})
    assert (
        failure(topics.edit_topic, mine["id"], {"title": "Open data in ministries"}, "again")
        == "NothingToChange"
    )
    assert topics.get_topic(mine["id"])["changes"] == [change]
    [event] = [e for e in topics_bus.drain() if e["type"] == "topic_edited"]
    assert event["data"]["changes"] == ["title"]


def test_a_merged_duplicates_ballots_follow_it(topics, series):
    voters = [series.registrant(), series.registrant("company")]
    series.known(*voters)
    forum_id = str(series.forum["id"])
    a, b, c = (topics.propose(forum_id, topic(title))["id"] for title in ("A", "B", "C"))
    round_ = topics.open_round(forum_id, {"method": "approval", "max_choices": 2, "agenda_size": 1,
                                          "closes_at": later(3600)})  # fmt: skip
    topics.cast_ballot(round_["id"], series.token(voters[0]), {"choices": [a, b]})
    topics.cast_ballot(round_["id"], series.token(voters[1]), {"choices": [b]})
    assert topics.merge_topic(b, c)["status"] == "merged"
    assert topics.get_round(round_["id"])["topic_ids"] == [a, c]
    assert failure(topics.merge_topic, b, a) == "InvalidTransition"  # merged already
    results = topics.close_round(round_["id"])["results"]
    assert results["ranking"] == [{"topic_id": c, "score": 2}, {"topic_id": a, "score": 1}]


def test_a_topic_not_on_the_agenda_carries_over_with_its_standing_and_why(
    topics, series, publish, topics_bus
):
    voter = series.registrant()
    series.known(voter)
    forum_id = str(series.forum["id"])
    later_forum = forum_block(title="Forum de juin")
    publish(catalog.envelope("forum_scheduled", {"forum": later_forum}))
    a, b = (topics.propose(forum_id, topic(title))["id"] for title in ("A", "B"))
    round_ = topics.open_round(forum_id, {"method": "approval", "max_choices": 1, "agenda_size": 1,
                                          "closes_at": later(3600)})  # fmt: skip
    topics.cast_ballot(round_["id"], series.token(voter), {"choices": [a]})
    topics.close_round(round_["id"])
    assert failure(topics.carry_over_topic, a, "Chosen") == "InvalidTransition"  # on the agenda
    wait_until(
        lambda: query(series.config, "SELECT 1 FROM forums WHERE id = %s", later_forum["id"]), message="June"
    )
    carried = topics.carry_over_topic(b, "Not enough time in May", str(later_forum["id"]))
    assert carried["forum_id"] == str(later_forum["id"])
    [step] = carried["history"]
    assert (step["why"], step["rank"], step["score"], step["forum_id"]) == (
        "Not enough time in May",
        2,
        0,
        forum_id,
    )
    assert [t["id"] for t in topics.list_topics(str(later_forum["id"]))["items"]] == [b]
    topics.carry_over_topic(b, "Kept for later", None)
    in_backlog = [t["id"] for t in topics.list_topics(None)["items"]]  # the series' (other tests' too)
    assert b in in_backlog and a not in in_backlog
    backlog = topics.propose(None, topic("For the series"))
    in_backlog = [t["id"] for t in topics.list_topics()["items"]]
    assert in_backlog.index(b) < in_backlog.index(backlog["id"]) == len(in_backlog) - 1  # publication order
    to_june, to_backlog = [e["data"] for e in topics_bus.drain() if e["type"] == "topic_carried_over"]
    assert to_june["standing"]["rank"] == 2 and to_june["why"] == "Not enough time in May"
    assert (to_backlog["to_forum_id"], to_backlog["standing"]) == (None, {})  # June had no round
    page = topics.round_page(round_["id"])  # the carried-over topic is named still, with its title
    assert page["titles"] == {a: "A", b: "B"} and [r["topic_id"] for r in page["results"]["ranking"]] == [
        a,
        b,
    ]
    assert failure(topics.round_page, str(uuid.uuid4())) == "RoundNotFound"


def test_a_round_closing_soon_is_announced_once_with_who_voted(
    container_factory, topics_config, publish, topics_bus
):
    config = topics_config | {"ROUND_REMINDER_HOURS": 6 / 3600}  # "soon": 6 s before it closes
    for _ in range(2):  # two replicas: one announcement
        container_factory(TopicsService, config).start()
    series = Series(publish, config)
    voter, other = series.registrant(), series.registrant()
    series.known(voter, other)
    forum_id = str(series.forum["id"])
    with ServiceRpcProxy("topics", config, timeout=30) as topics:
        a = topics.propose(forum_id, topic("A"))["id"]
        round_ = topics.open_round(forum_id, {"method": "approval", "max_choices": 1, "agenda_size": 1,
                                              "closes_at": later(10)})  # fmt: skip
        topics.cast_ballot(round_["id"], series.token(voter), {"choices": [a]})  # within the first 4 s
        wait_until(lambda: topics.get_round(round_["id"])["status"] == "closed", 30, message="closed")
    events = topics_bus.drain(quiet=6)
    [soon] = [event for event in events if event["type"] == "round_closing_soon"]
    [closed] = [event for event in events if event["type"] == "round_closed"]
    assert soon["data"]["round_id"] == closed["data"]["round_id"] == round_["id"]
    assert soon["data"]["voters"] == closed["data"]["voters"] == [str(voter["person_id"])]
    assert "choices" not in str(closed["data"]) and "choices" not in str(soon["data"])


def test_no_ballot_is_stored_after_the_tally(topics, series, topics_config):
    """Ballots race the closing: each either counts in the results or is refused; none is stored uncounted."""
    people = [series.registrant(GROUPS[n % len(GROUPS)]) for n in range(60)]
    series.known(*people)
    forum_id = str(series.forum["id"])
    ids = [topics.propose(forum_id, topic(title))["id"] for title in ("A", "B", "C")]
    round_ = topics.open_round(forum_id, {"method": "approval", "max_choices": 2, "agenda_size": 1,
                                          "closes_at": later(3600)})  # fmt: skip
    answers = Counter()

    def vote(share):
        with ServiceRpcProxy("topics", topics_config, timeout=30) as proxy:
            for person in share:
                try:
                    proxy.cast_ballot(round_["id"], series.token(person), {"choices": ids[:2]})
                    answers["taken"] += 1
                except RemoteError as exc:
                    answers[exc.exc_type] += 1

    threads = [threading.Thread(target=vote, args=(people[n::6],)) for n in range(6)]
    for thread in threads:
        thread.start()
    wait_until(lambda: answers["taken"] >= 10, message="ballots coming in")
    results = topics.close_round(round_["id"])["results"]
    for thread in threads:
        thread.join(60)
    stored = query(topics_config, "SELECT count(*) AS n FROM ballots WHERE round_id = %s", round_["id"])[0][
        "n"
    ]
    assert set(answers) <= {"taken", "RoundNotOpen"} and sum(answers.values()) == len(people)
    assert results["ballots"] == stored == answers["taken"]


@pytest.mark.parametrize("method", ["approval", "dots", "ranked"])
def test_the_results_depend_only_on_the_last_ballots_however_they_were_replaced(topics, series, method):
    """Three rounds get the same final ballots through different orders and replacement sequences (fixed
    seeds, so a failure can be replayed): their results are the same."""
    people = [series.registrant(GROUPS[n % 3]) for n in range(5)]
    series.known(*people)
    forum_id = str(series.forum["id"])
    ids = [topics.propose(forum_id, topic(title))["id"] for title in "ABCD"]
    params = {
        "approval": {"max_choices": 2},
        "ranked": {"max_choices": 3},
        "dots": {"budget": 5, "max_per_topic": 3},
    }
    chooser = random.Random(method)

    def some_ballot():
        if method == "dots":
            first, second = chooser.sample(ids, 2)
            return {"points": {first: chooser.randint(1, 3), second: chooser.randint(0, 2)}}
        return {
            "choices" if method == "approval" else "ranking": chooser.sample(
                ids, params[method]["max_choices"]
            )
        }

    final = {n: some_ballot() for n in range(len(people))}
    results = []
    for seed in range(3):
        shuffle = random.Random(seed)
        opening = {"method": method, "agenda_size": 2, "closes_at": later(3600)} | params[method]
        round_ = topics.open_round(forum_id, opening)
        casts = [(n, some_ballot()) for n in range(len(people)) for _ in range(shuffle.randint(0, 3))]
        shuffle.shuffle(casts)
        order = list(final)
        shuffle.shuffle(order)
        for n, content in casts + [(n, final[n]) for n in order]:
            topics.cast_ballot(round_["id"], series.token(people[n]), content)
        results.append(topics.close_round(round_["id"])["results"])
    assert results[0] == results[1] == results[2]
    assert results[0]["ballots"] == len(people)
