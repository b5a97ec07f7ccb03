"""The topics rules on plain values: which ballots, paper tallies and round parameters are taken, and the
results of a round (scores, by group, cross-group consensus, the agenda) for each of the three methods."""

import uuid
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.topics import rules
from services.topics.errors import BallotInvalid, RoundInvalid, TopicsError

T = [str(uuid.UUID(int=n)) for n in range(1, 9)]  # topic ids, in publication order
APPROVAL = {"max_choices": 3}
DOTS = {"budget": 10, "max_per_topic": 5}
RANKED = {"max_choices": 3}


def errors_of(call, *args):
    with pytest.raises(BallotInvalid) as caught:
        call(*args)
    return caught.value.errors


def round_errors(method, params):
    with pytest.raises(RoundInvalid) as caught:
        rules.check_round(method, params)
    return caught.value.errors


def scores(rows):
    return [(row["topic_id"], row["score"]) for row in rows]


# round parameters


def test_a_round_takes_its_method_parameters_and_the_agenda_defaults():
    assert rules.check_round("approval", {"max_choices": 3}) == {
        "max_choices": 3,
        "agenda_size": 3,
        "agenda_from": "overall",
    }
    assert rules.check_round("dots", {"budget": 10, "max_per_topic": 10, "agenda_from": "consensus"}) == {
        "budget": 10,
        "max_per_topic": 10,
        "agenda_size": 3,
        "agenda_from": "consensus",
    }
    assert rules.check_round("ranked", {"max_choices": 1, "agenda_size": 1})["agenda_size"] == 1


def test_a_round_has_one_of_three_methods():
    assert round_errors("borda", {}) == {"method": ["one of approval, dots, ranked"]}


@pytest.mark.parametrize("value", [0, -2, 1.5, True, "3", None])
def test_round_parameters_are_whole_numbers_of_at_least_1(value):
    assert round_errors("approval", {"max_choices": value}) == {"max_choices": ["a whole number, at least 1"]}
    assert round_errors("dots", {"budget": 10, "max_per_topic": value, "agenda_size": value}) == {
        "max_per_topic": ["a whole number, at least 1"],
        "agenda_size": ["a whole number, at least 1"],
    }


def test_a_round_refuses_missing_and_foreign_parameters():
    assert round_errors("dots", {"max_choices": 3, "agenda_from": "loudest"}) == {
        "max_choices": ["not a parameter of dots rounds"],
        "budget": ["missing"],
        "max_per_topic": ["missing"],
        "agenda_from": ["one of overall, consensus"],
    }


def test_a_dot_cap_per_topic_is_within_the_budget():
    assert round_errors("dots", {"budget": 5, "max_per_topic": 6}) == {
        "max_per_topic": ["at most the budget of 5"]
    }


def topic_errors(published, named):
    with pytest.raises(RoundInvalid) as caught:
        rules.round_topics(published, named)
    return caught.value.errors


def test_a_round_is_over_every_published_topic_unless_the_organiser_names_some():
    assert rules.round_topics(T[:4]) == T[:4]
    assert rules.round_topics(T[:4], None) == T[:4]
    ids = [uuid.UUID(topic) for topic in T[:3]]  # as the store gives them
    assert rules.round_topics(ids, [T[2], str(ids[0])]) == [ids[0], ids[2]]


def test_the_named_topics_are_kept_in_publication_order_whatever_order_they_are_named_in():
    assert rules.round_topics(T[:5], [T[4], T[1], T[3]]) == [T[1], T[3], T[4]]
    assert rules.round_topics(T[:5], [T[3].upper()]) == [T[3]]  # an id is an id, in either case
    assert rules.round_topics(T[:2], [T[1]]) == [T[1]]  # one topic, as a forum with one published topic


def test_a_named_topic_is_a_published_topic_of_the_forum_and_every_wrong_one_is_named():
    assert topic_errors(T[:3], [T[0], T[5], "nope", T[6], T[5], 7]) == {
        "topic_ids": [f"not a published topic of this forum: {T[5]}, nope, {T[6]}, 7"]
    }


def test_a_topic_is_named_once():
    assert topic_errors(T[:3], [T[0], T[1], T[0], T[1].upper()]) == {
        "topic_ids": [f"named more than once: {T[0]}, {T[1]}"]
    }


def test_a_round_is_over_at_least_one_topic_and_at_most_as_many_as_a_ballot_names():
    assert topic_errors(T[:3], []) == {"topic_ids": ["at least one topic"]}
    published = [str(uuid.UUID(int=n)) for n in range(1, rules.MOST_TOPICS + 2)]
    assert rules.round_topics(published, published[: rules.MOST_TOPICS]) == published[: rules.MOST_TOPICS]
    assert topic_errors(published, published) == {"topic_ids": [f"at most {rules.MOST_TOPICS} topics"]}
    assert topic_errors(T[:3], T[0]) == {"topic_ids": ["a list of topic ids"]}


def test_every_problem_of_the_named_topics_is_told_at_once_and_reads_as_one_line():
    error = RoundInvalid(topic_errors(T[:2], [T[0], T[0], T[7]]))
    assert str(error) == (
        f"topic_ids: not a published topic of this forum: {T[7]}, named more than once: {T[0]}"
    )


# ballots


def test_an_approval_ballot_is_kept_in_publication_order():
    ballot = rules.check_ballot("approval", APPROVAL, T[:4], {"choices": [T[3], T[0]]})
    assert ballot == {"choices": [T[0], T[3]]}


def test_an_approval_ballot_chooses_at_most_max_choices_topics_each_once():
    topics = T[:5]
    assert errors_of(rules.check_ballot, "approval", APPROVAL, topics, {"choices": T[:4]}) == {
        "choices": ["at most 3 topics"]
    }
    assert errors_of(rules.check_ballot, "approval", APPROVAL, topics, {"choices": [T[1], T[1]]}) == {
        "choices": ["a topic is chosen twice"]
    }


def test_a_ballot_names_only_the_rounds_topics():
    topics = T[:2]
    assert errors_of(rules.check_ballot, "approval", APPROVAL, topics, {"choices": [T[5], 7, T[5]]}) == {
        "choices": [f"unknown topic {T[5]}", "unknown topic 7"]
    }
    assert errors_of(rules.check_ballot, "ranked", RANKED, topics, {"ranking": [T[6]]}) == {
        "ranking": [f"unknown topic {T[6]}"]
    }
    assert errors_of(rules.check_ballot, "dots", DOTS, topics, {"points": {T[6]: 2}}) == {
        "points": [f"unknown topic {T[6]}"]
    }


def test_every_problem_of_a_ballot_is_told_at_once():
    ballot = {"choices": [T[0], T[0], T[1], "nope"]}
    assert errors_of(rules.check_ballot, "approval", APPROVAL, T[:3], ballot) == {
        "choices": ["unknown topic nope", "a topic is chosen twice", "at most 3 topics"]
    }


def test_a_ballot_has_its_methods_one_field():
    assert errors_of(rules.check_ballot, "approval", APPROVAL, T[:2], {"points": {T[0]: 1}}) == {
        "points": ["not a field of approval ballots"],
        "choices": ["topic ids"],
    }
    assert errors_of(rules.check_ballot, "ranked", RANKED, T[:2], {"ranking": T[0]}) == {
        "ranking": ["topic ids"]
    }
    assert errors_of(rules.check_ballot, "dots", DOTS, T[:2], {"points": [T[0]]}) == {
        "points": ["points by topic id"]
    }
    assert errors_of(rules.check_ballot, "dots", DOTS, T[:2], None) == {"points": ["points by topic id"]}


@pytest.mark.parametrize(
    ("method", "empty"),
    [("approval", {"choices": []}), ("dots", {"points": {}}), ("ranked", {"ranking": []})],
)
def test_an_empty_ballot_withdraws_all_support(method, empty):
    params = {"approval": APPROVAL, "dots": DOTS, "ranked": RANKED}[method]
    assert rules.check_ballot(method, params, T[:3], empty) == empty


def test_dots_are_kept_without_zeros_in_publication_order():
    ballot = rules.check_ballot("dots", DOTS, T[:4], {"points": {T[3]: 4, T[1]: 0, T[0]: 5}})
    assert ballot == {"points": {T[0]: 5, T[3]: 4}}
    assert list(ballot["points"]) == [T[0], T[3]]
    assert rules.check_ballot("dots", DOTS, T[:4], {"points": {T[1]: 0}}) == {"points": {}}


def test_dots_stay_within_the_budget_and_the_cap_per_topic():
    topics = T[:4]
    assert errors_of(rules.check_ballot, "dots", DOTS, topics, {"points": {T[0]: 5, T[1]: 4, T[2]: 3}}) == {
        "points": ["12 points exceed the budget of 10"]
    }
    assert errors_of(rules.check_ballot, "dots", DOTS, topics, {"points": {T[0]: 6}}) == {
        "points": [f"6 points on topic {T[0]} exceed the limit of 5 per topic"]
    }
    assert rules.check_ballot("dots", DOTS, topics, {"points": {T[0]: 5, T[1]: 5}})["points"][T[1]] == 5


@pytest.mark.parametrize("points", [-1, 1.0, 0.0, True, False, "2", None])
def test_dots_are_whole_numbers(points):
    assert errors_of(rules.check_ballot, "dots", DOTS, T[:2], {"points": {T[0]: points, T[1]: 2}}) == {
        "points": [f"points on topic {T[0]} must be a whole number, 0 or more"]
    }


def test_a_ranking_keeps_its_order_and_ranks_a_topic_once_within_max_choices():
    assert rules.check_ballot("ranked", RANKED, T[:5], {"ranking": [T[4], T[0], T[2]]}) == {
        "ranking": [T[4], T[0], T[2]]
    }
    assert errors_of(rules.check_ballot, "ranked", RANKED, T[:5], {"ranking": [T[4], T[0], T[4]]}) == {
        "ranking": ["a topic is ranked twice"]
    }
    assert errors_of(rules.check_ballot, "ranked", RANKED, T[:5], {"ranking": T[:4]}) == {
        "ranking": ["at most 3 topics"]
    }


def test_a_ballot_error_carries_its_fields_across_rpc_and_reads_as_one_line():
    error = BallotInvalid({"choices": ["at most 3 topics", "a topic is chosen twice"], "points": ["x"]})
    assert isinstance(error, TopicsError)
    assert error.args == (error.errors,)  # nameko sends exc_args: the dict itself
    assert str(error) == "choices: at most 3 topics, a topic is chosen twice; points: x"
    assert isinstance(RoundInvalid({}), TopicsError)


# paper tallies


def test_a_paper_tally_is_kept_without_zeros_in_publication_order():
    tally = {"ballots": 4, "scores": {T[2]: 4, T[0]: 1, T[1]: 0}}
    assert rules.check_paper("approval", APPROVAL, T[:3], tally) == {
        "ballots": 4,
        "scores": {T[0]: 1, T[2]: 4},
    }
    tally = {"ballots": 2, "scores": {T[1]: 10, T[0]: 7}}
    assert rules.check_paper("dots", DOTS, T[:3], tally) == {"ballots": 2, "scores": {T[0]: 7, T[1]: 10}}


def test_a_ranked_round_takes_no_paper_tally():
    assert errors_of(rules.check_paper, "ranked", RANKED, T[:3], {"ballots": 3, "scores": {}}) == {
        "_schema": ["a ranked round takes no paper tally: dots on paper do not make a ranking"]
    }


@pytest.mark.parametrize("ballots", [0, -1, 2.0, True, None])
def test_a_paper_tally_counts_at_least_one_ballot(ballots):
    assert errors_of(rules.check_paper, "approval", APPROVAL, T[:3], {"ballots": ballots, "scores": {}}) == {
        "ballots": ["a whole number, at least 1"]
    }


def test_a_paper_tally_has_ballots_and_scores_by_topic():
    assert errors_of(rules.check_paper, "dots", DOTS, T[:3], {"ballots": 2, "scores": [T[0]], "by": "x"}) == {
        "by": ["not a field of paper tallies"],
        "scores": ["scores by topic id"],
    }
    tally = {"ballots": 2, "scores": {T[0]: -1, "nope": 1, T[1]: 1.5}}
    assert errors_of(rules.check_paper, "dots", DOTS, T[:3], tally) == {
        "scores": [
            "unknown topic nope",
            f"the score of topic {T[0]} must be a whole number, 0 or more",
            f"the score of topic {T[1]} must be a whole number, 0 or more",
        ]
    }


def test_an_approval_paper_tally_claims_no_more_than_its_ballots_could_hold():
    tally = {"ballots": 5, "scores": {T[0]: 6, T[1]: 5}}
    assert errors_of(rules.check_paper, "approval", APPROVAL, T[:4], tally) == {
        "scores": [f"6 choices of topic {T[0]} exceed the 5 paper ballots"]
    }
    tally = {"ballots": 2, "scores": {T[0]: 2, T[1]: 2, T[2]: 2, T[3]: 1}}  # 3 choices a ballot at most
    assert errors_of(rules.check_paper, "approval", APPROVAL, T[:4], tally) == {
        "scores": ["7 choices exceed 2 paper ballots of at most 3 topics"]
    }


def test_a_dots_paper_tally_claims_no_more_than_its_voters_could_give():
    tally = {"ballots": 2, "scores": {T[0]: 11}}
    assert errors_of(rules.check_paper, "dots", DOTS, T[:4], tally) == {
        "scores": [f"11 points on topic {T[0]} exceed 2 paper ballots of at most 5 per topic"]
    }
    tally = {"ballots": 2, "scores": {T[0]: 10, T[1]: 10, T[2]: 1}}
    assert errors_of(rules.check_paper, "dots", DOTS, T[:4], tally) == {
        "scores": ["21 points exceed 2 paper ballots of 10 points"]
    }


# tallies


def test_approval_counts_the_ballots_choosing_each_topic_online_and_on_paper():
    ballots = [
        ("citizen", {"choices": [T[0], T[1]]}),
        ("citizen", {"choices": [T[1]]}),
        ("company", {"choices": [T[2]]}),
    ]
    paper = [("civil_society", {"ballots": 4, "scores": {T[2]: 3, T[1]: 1}})]
    results = rules.tally("approval", T[:4], ballots, paper, agenda_size=2)
    assert results["ballots"] == 7
    assert scores(results["ranking"]) == [(T[2], 4), (T[1], 3), (T[0], 1), (T[3], 0)]
    assert list(results["by_group"]) == ["civil_society", "company", "citizen"]
    assert scores(results["by_group"]["citizen"]) == [(T[1], 2), (T[0], 1), (T[2], 0), (T[3], 0)]
    assert scores(results["by_group"]["civil_society"]) == [(T[2], 3), (T[1], 1), (T[0], 0), (T[3], 0)]
    assert results["paper"] == {"civil_society": 4}
    assert results["agenda"] == [T[2], T[1]]


def test_dots_add_up_the_points():
    ballots = [("citizen", {"points": {T[0]: 3, T[1]: 7}}), ("company", {"points": {T[1]: 2, T[2]: 8}})]
    paper = [("company", {"ballots": 2, "scores": {T[0]: 10}})]
    results = rules.tally("dots", T[:3], ballots, paper)
    assert results["ballots"] == 4
    assert scores(results["ranking"]) == [(T[0], 13), (T[1], 9), (T[2], 8)]
    assert scores(results["by_group"]["company"]) == [(T[0], 10), (T[2], 8), (T[1], 2)]
    assert results["paper"] == {"company": 2}


def test_a_round_without_ballots_ranks_every_topic_at_zero_in_publication_order():
    results = rules.tally("approval", T[:4], [], agenda_size=2, agenda_from="consensus")
    assert results == {
        "ballots": 0,
        "ranking": [{"topic_id": topic, "score": 0} for topic in T[:4]],
        "by_group": {},
        "consensus": [{"topic_id": topic, "score": 0.0} for topic in T[:4]],
        "paper": {},
        "agenda": T[:2],
    }


def test_equal_scores_follow_publication_order_whatever_the_order_of_arrival():
    ballots = [("citizen", {"choices": [T[3]]}), ("company", {"choices": [T[1]]})]
    for arrival in (ballots, ballots[::-1]):
        results = rules.tally("approval", T[:4], arrival)
        assert scores(results["ranking"]) == [(T[1], 1), (T[3], 1), (T[0], 0), (T[2], 0)]


def test_consensus_puts_a_topic_every_group_supports_above_one_a_group_ignores():
    # T0: every administration ballot, no citizen's; T1: 4 in 10 of each group
    ballots = [("administration", {"choices": [T[0], T[1]] if n < 4 else [T[0]]}) for n in range(10)]
    ballots += [("citizen", {"choices": [T[1]] if n < 4 else []}) for n in range(10)]
    results = rules.tally("approval", T[:3], ballots, agenda_size=1, agenda_from="consensus")
    assert scores(results["ranking"]) == [(T[0], 10), (T[1], 8), (T[2], 0)]
    assert scores(results["consensus"]) == [(T[1], 0.4), (T[0], 0.0), (T[2], 0.0)]
    assert results["agenda"] == [T[1]]
    assert rules.tally("approval", T[:3], ballots, agenda_size=1)["agenda"] == [T[0]]


def test_consensus_counts_paper_ballots_in_their_groups_share():
    ballots = [("citizen", {"choices": [T[0]]})]
    paper = [("citizen", {"ballots": 2, "scores": {T[1]: 2}})]
    results = rules.tally("approval", T[:2], ballots, paper)
    assert scores(results["consensus"]) == [(T[1], 0.6667), (T[0], 0.3333)]


def test_dots_consensus_is_a_share_of_the_groups_points_and_zero_for_a_group_that_gave_none():
    ballots = [("citizen", {"points": {T[0]: 1, T[1]: 2}}), ("company", {"points": {T[0]: 3, T[1]: 1}})]
    results = rules.tally("dots", T[:2], ballots)
    assert scores(results["consensus"]) == [(T[0], 0.3333), (T[1], 0.25)]
    results = rules.tally("dots", T[:2], [*ballots, ("other", {"points": {}})])
    assert scores(results["consensus"]) == [(T[0], 0.0), (T[1], 0.0)]  # ties: by overall score


def test_ranked_consensus_is_the_share_of_a_groups_ballots_ranking_the_topic_at_all():
    ballots = [
        ("citizen", {"ranking": [T[0], T[1]]}),
        ("citizen", {"ranking": [T[0]]}),
        ("company", {"ranking": [T[1]]}),
        ("company", {"ranking": [T[2], T[0]]}),
    ]
    results = rules.tally("ranked", T[:3], ballots)
    assert scores(results["consensus"]) == [(T[0], 0.5), (T[1], 0.5), (T[2], 0.0)]


def test_consensus_ties_break_by_overall_score_then_publication_order():
    ballots = [
        ("citizen", {"choices": [T[1]]}),
        ("citizen", {"choices": [T[0], T[1], T[3]]}),
        ("company", {"choices": [T[0], T[3]]}),
        ("company", {"choices": [T[1]]}),
    ]
    results = rules.tally("approval", T[:4], ballots)
    # T0, T1 and T3 each have half of one group's ballots; T1 has more in all; T0 was published first
    assert scores(results["ranking"]) == [(T[1], 3), (T[0], 2), (T[3], 2), (T[2], 0)]
    assert scores(results["consensus"]) == [(T[1], 0.5), (T[0], 0.5), (T[3], 0.5), (T[2], 0.0)]


def test_a_ranked_round_refuses_paper_tallies():
    with pytest.raises(BallotInvalid, match="takes no paper tally"):
        rules.tally("ranked", T[:2], [], [("citizen", {"ballots": 1, "scores": {}})])


def wikipedia(groups):
    """Ballots from ``(count, "ACBED")`` lines, candidates A-E as topic ids."""
    return [("citizen", {"ranking": list(order)}) for count, order in groups for _ in range(count)]


def test_schulze_on_the_45_voter_example_ranks_e_a_c_b_d():
    # https://en.wikipedia.org/wiki/Schulze_method#Example
    ballots = wikipedia([
        (5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"),
        (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"), (8, "EBADC"),
    ])  # fmt: skip
    results = rules.tally("ranked", "ABCDE", ballots)
    assert scores(results["ranking"]) == [("E", 4), ("A", 3), ("C", 2), ("B", 1), ("D", 0)]
    assert results["ballots"] == 45


def test_a_condorcet_winner_comes_first_even_with_fewer_first_choices():
    # Tennessee's capital: Memphis has the most first choices, Nashville beats every other city one to one
    ballots = wikipedia([(42, "MNCK"), (26, "NCKM"), (15, "CKNM"), (17, "KCNM")])
    results = rules.tally("ranked", "MNCK", ballots)
    assert scores(results["ranking"]) == [("N", 3), ("C", 2), ("K", 1), ("M", 0)]


def test_a_ranked_topic_is_preferred_to_every_unranked_one():
    ballots = [
        ("citizen", {"ranking": ["C"]}),
        ("citizen", {"ranking": ["C"]}),
        ("company", {"ranking": ["B"]}),
    ]
    results = rules.tally("ranked", "ABC", ballots)
    assert scores(results["ranking"]) == [("C", 2), ("B", 1), ("A", 0)]
    assert scores(results["by_group"]["company"]) == [("B", 2), ("A", 0), ("C", 0)]


# properties: random valid rounds

SETTINGS = settings(max_examples=150, deadline=None)
PARAMS = {
    "approval": {"max_choices": 3},
    "dots": {"budget": 6, "max_per_topic": 4},
    "ranked": {"max_choices": 3},
}


@st.composite
def counts(draw, topics, per_topic, total):
    """Counts by topic, at most ``per_topic`` each and ``total`` in all, in a random order."""
    chosen, left = {}, total
    for topic in draw(st.permutations(topics)):
        chosen[topic] = draw(st.integers(0, min(per_topic, left)))
        left -= chosen[topic]
    return chosen


@st.composite
def contents(draw, method, topics):
    params = PARAMS[method]
    if method == "dots":
        return {"points": draw(counts(topics, params["max_per_topic"], params["budget"]))}
    field = rules.FIELD[method]
    return {field: draw(st.lists(st.sampled_from(topics), unique=True, max_size=params["max_choices"]))}


@st.composite
def rounds(draw, method):
    topics = T[: draw(st.integers(1, 6))]
    groups = st.sampled_from(rules.GROUPS)
    ballots = draw(st.lists(st.tuples(groups, contents(method, topics)), max_size=12))
    paper = []
    if method != "ranked":
        for group in draw(st.lists(groups, unique=True, max_size=3)):
            n = draw(st.integers(1, 4))
            if method == "approval":
                per_topic, total = n, n * PARAMS[method]["max_choices"]
            else:
                per_topic, total = n * PARAMS[method]["max_per_topic"], n * PARAMS[method]["budget"]
            paper.append((group, {"ballots": n, "scores": draw(counts(topics, per_topic, total))}))
    checked = [(group, rules.check_ballot(method, PARAMS[method], topics, raw)) for group, raw in ballots]
    checked_paper = [(group, rules.check_paper(method, PARAMS[method], topics, raw)) for group, raw in paper]
    return topics, checked, checked_paper


METHODS = pytest.mark.parametrize("method", rules.METHODS)


def exact_shares(method, topics, ballots, paper):
    """group -> topic -> its share of the group's support, computed plainly."""
    shares = {}
    for group in {g for g, _ in ballots} | {g for g, _ in paper}:
        mine = [content for g, content in ballots if g == group]
        theirs = [tally for g, tally in paper if g == group]
        support = {t: sum(t in c[rules.FIELD[method]] for c in mine) for t in topics}
        if method == "dots":
            support = {t: sum(c["points"].get(t, 0) for c in mine) for t in topics}
        for tally in theirs:
            for t, n in tally["scores"].items():
                support[t] += n
        whole = sum(support.values()) if method == "dots" else len(mine) + sum(p["ballots"] for p in theirs)
        shares[group] = {t: Fraction(support[t], whole) if whole else Fraction(0) for t in topics}
    return shares


@METHODS
@SETTINGS
@given(data=st.data())
def test_results_do_not_depend_on_the_order_of_arrival(method, data):
    topics, ballots, paper = data.draw(rounds(method))
    results = rules.tally(method, topics, ballots, paper)
    again = rules.tally(
        method, topics, data.draw(st.permutations(ballots)), data.draw(st.permutations(paper))
    )
    assert again == results


@METHODS
@SETTINGS
@given(data=st.data())
def test_every_ranking_is_the_rounds_topics_with_ties_in_publication_order(method, data):
    topics, ballots, paper = data.draw(rounds(method))
    results = rules.tally(method, topics, ballots, paper, agenda_size=2)
    assert results["ballots"] == len(ballots) + sum(tally["ballots"] for _, tally in paper)
    assert results["agenda"] == [row["topic_id"] for row in results["ranking"][:2]]
    for rows in (results["ranking"], *results["by_group"].values()):
        assert sorted(row["topic_id"] for row in rows) == topics
        order = [(-row["score"], topics.index(row["topic_id"])) for row in rows]
        assert order == sorted(order)
    shares = exact_shares(method, topics, ballots, paper)
    overall = {row["topic_id"]: row["score"] for row in results["ranking"]}
    exact = {t: min((share[t] for share in shares.values()), default=0) for t in topics}
    order = [
        (-exact[t], -overall[t], topics.index(t)) for t in (row["topic_id"] for row in results["consensus"])
    ]
    assert order == sorted(order)
    assert [row["score"] for row in results["consensus"]] == [
        round(float(exact[row["topic_id"]]), 4) for row in results["consensus"]
    ]


@pytest.mark.parametrize("method", ["approval", "dots"])
@SETTINGS
@given(data=st.data())
def test_scores_add_up_to_the_ballots_and_the_groups_to_the_whole(method, data):
    topics, ballots, paper = data.draw(rounds(method))
    results = rules.tally(method, topics, ballots, paper)
    online = sum(
        len(content["choices"]) if method == "approval" else sum(content["points"].values())
        for _, content in ballots
    )
    on_paper = sum(sum(tally["scores"].values()) for _, tally in paper)
    assert sum(row["score"] for row in results["ranking"]) == online + on_paper
    overall = {row["topic_id"]: row["score"] for row in results["ranking"]}
    for topic in topics:
        assert overall[topic] == sum(
            row["score"] for rows in results["by_group"].values() for row in rows if row["topic_id"] == topic
        )
    assert set(results["by_group"]) == {group for group, _ in ballots} | {group for group, _ in paper}


@METHODS
@SETTINGS
@given(data=st.data())
def test_consensus_first_is_supported_by_every_group_whenever_some_topic_is(method, data):
    topics, ballots, paper = data.draw(rounds(method))
    results = rules.tally(method, topics, ballots, paper)
    shares = exact_shares(method, topics, ballots, paper)
    everywhere = [t for t in topics if shares and all(share[t] > 0 for share in shares.values())]
    if everywhere:
        assert results["consensus"][0]["topic_id"] in everywhere


@SETTINGS
@given(data=st.data())
def test_a_condorcet_winner_is_ranked_first(data):
    topics, ballots, _ = data.draw(rounds("ranked"))

    def prefer(a, b):
        count = 0
        for _, content in ballots:
            ranking = content["ranking"]
            if a in ranking and (b not in ranking or ranking.index(a) < ranking.index(b)):
                count += 1
        return count

    winners = [a for a in topics if all(prefer(a, b) > prefer(b, a) for b in topics if b != a)]
    results = rules.tally("ranked", topics, ballots)
    if winners:
        assert results["ranking"][0] == {"topic_id": winners[0], "score": len(topics) - 1}


@METHODS
@SETTINGS
@given(data=st.data())
def test_a_kept_ballot_is_taken_again_unchanged(method, data):
    topics = T[: data.draw(st.integers(1, 6))]
    kept = rules.check_ballot(method, PARAMS[method], topics, data.draw(contents(method, topics)))
    assert rules.check_ballot(method, PARAMS[method], topics, kept) == kept


# --- merges: the support given to a duplicate follows it ---------------------------------------------


def test_a_merged_topic_leaves_the_round_or_gives_its_place_to_the_one_it_joins():
    assert rules.merged_topics(["a", "b", "c"], "b", "c") == ["a", "c"]
    assert rules.merged_topics(["a", "b", "c"], "b", "z") == ["a", "z", "c"]
    assert rules.merged_topics(["a", "c"], "b", "c") == ["a", "c"]


def test_approval_support_follows_a_merge_once():
    follow = rules.follow_merge
    assert follow("approval", {"max_choices": 2}, {"choices": ["a", "b"]}, "b", "a") == {"choices": ["a"]}
    assert follow("approval", {"max_choices": 2}, {"choices": ["b", "c"]}, "b", "a") == {
        "choices": ["a", "c"]
    }
    assert follow("approval", {"max_choices": 2}, {"choices": ["c"]}, "b", "a") == {"choices": ["c"]}


def test_dots_follow_a_merge_within_the_limit_per_topic():
    params = {"budget": 10, "max_per_topic": 4}
    assert rules.follow_merge("dots", params, {"points": {"a": 3, "b": 2}}, "b", "a") == {"points": {"a": 4}}
    assert rules.follow_merge("dots", params, {"points": {"b": 2, "c": 1}}, "b", "a") == {
        "points": {"c": 1, "a": 2}
    }


def test_a_ranking_keeps_the_better_place_of_the_two():
    follow = rules.follow_merge
    assert follow("ranked", {"max_choices": 3}, {"ranking": ["c", "b", "a"]}, "a", "b") == {
        "ranking": ["c", "b"]
    }
    assert follow("ranked", {"max_choices": 3}, {"ranking": ["a", "c", "b"]}, "a", "b") == {
        "ranking": ["b", "c"]
    }


def test_a_paper_tally_follows_a_merge_within_what_its_ballots_could_hold():
    tally = {"ballots": 5, "scores": {"a": 4, "b": 3}}
    assert rules.follow_merge_paper("approval", {"max_choices": 2}, tally, "b", "a") == {
        "ballots": 5, "scores": {"a": 5},
    }  # fmt: skip
    assert rules.follow_merge_paper("dots", {"budget": 5, "max_per_topic": 2}, tally, "b", "a") == {
        "ballots": 5, "scores": {"a": 7},
    }  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_ballot_that_followed_a_merge_is_still_valid(data):
    method = data.draw(st.sampled_from(rules.METHODS))
    topics = ["t0", "t1", "t2", "t3"]
    params = {
        "approval": {"max_choices": 3},
        "ranked": {"max_choices": 3},
        "dots": {"budget": 6, "max_per_topic": 3},
    }
    params = params[method]
    if method == "dots":
        points = data.draw(st.dictionaries(st.sampled_from(topics), st.integers(1, 3), max_size=2))
        content = {"points": points}
    else:
        chosen = data.draw(st.lists(st.sampled_from(topics), unique=True, max_size=3))
        content = {rules.FIELD[method]: chosen}
    content = rules.check_ballot(method, params, topics, content)
    source, target = data.draw(st.lists(st.sampled_from(topics), unique=True, min_size=2, max_size=2))
    after = rules.merged_topics(topics, source, target)
    followed = rules.follow_merge(method, params, content, source, target)
    assert rules.check_ballot(method, params, after, followed)  # valid in the round as it now is
