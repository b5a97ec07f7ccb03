"""The topics rules, as decisions on plain values: no cursor, no SQL, no clock of their own.

Participants prioritise a forum's published topics in a round, by one of three methods; each person has
one ballot per round (the store keeps only the latest), and organisers may add one paper tally per
stakeholder group (dots or ticks on paper, counted in the room). ``topics`` is always the round's topic
ids in publication order.

A round's topics (``round_topics``): all the forum's published topics, or those the organiser names, each
a published topic of the forum, none named twice, at least one (as a round over all of them needs one)
and at most MOST_TOPICS (as many as a ballot may name); whatever order they are named in, the round keeps
them in publication order, the order ties are broken by.

Ballots (``check_ballot``; an empty ballot is valid: it withdraws all support, and still counts as a
ballot of its group)
- ``approval``: ``{"choices": [id, ...]}``, at most ``max_choices`` topics, none twice; kept in
  publication order.
- ``dots``: ``{"points": {id: n}}``, whole numbers (a 0, as a form may send for every topic, is
  dropped), at most ``max_per_topic`` on a topic and ``budget`` in all; kept in publication order.
- ``ranked``: ``{"ranking": [id, ...]}``, best first, at most ``max_choices`` topics, none twice.
A paper tally (``check_paper``) is ``{"ballots": n, "scores": {id: n}}``: how many paper ballots chose
each topic (approval) or the points it got (dots), never more than ``ballots`` paper ballots could hold.
Ranked rounds take none: dots on paper do not make a ranking.

Scores (``tally``), online ballots and paper tallies together
- approval: score(t) = the number of ballots choosing t.
- dots: score(t) = the sum of the points given to t.
- ranked, by the Schulze method: d[a][b] = the number of ballots that prefer a to b (a ranked topic is
  preferred to every topic ranked below it and to every unranked one); p[a][b] = d[a][b] if
  d[a][b] > d[b][a], else 0; then, for each i, for each j != i, for each k != i, j:
  p[j][k] = max(p[j][k], min(p[j][i], p[i][k])) (the widest path from j to k); a beats b when
  p[a][b] > p[b][a]. score(t) = the number of topics t beats. A Condorcet winner beats all the others.
``by_group`` is the same tally on one group's ballots, for each group with at least one ballot (online
or paper), in the order of GROUPS. ``ballots`` counts online and paper ballots; ``paper`` gives each
group's paper ballots, so that results can show them as such.

Cross-group consensus: consensus(t) = min over the groups g that voted of share_g(t), where
- approval: share_g(t) = ballots of g choosing t / ballots of g;
- dots: share_g(t) = points of g on t / all points of g (0 if g gave none);
- ranked: share_g(t) = ballots of g ranking t at all / ballots of g.
Ballots and points count online and on paper alike; an empty ballot counts in its group's ballots, so it
lowers the group's shares (and a group whose ballots are all empty gives every topic a consensus of 0).
With no group at all, every consensus is 0. A topic ranks high only if every group that voted supports
it. Shares are exact fractions, shown rounded to 4 decimals; the order is decided on the exact values.

Tie-break: equal scores are ordered by publication order (the order of ``topics``), so a result never
depends on the order in which ballots arrived. In the consensus ranking, equal consensus is ordered by
the overall score first, then by publication order.

The agenda is the first ``agenda_size`` topics of the ranking named by ``agenda_from`` (``overall`` or
``consensus``).
"""

import uuid
from collections import Counter, defaultdict
from fractions import Fraction

from services.topics.errors import BallotInvalid, RoundInvalid

GROUPS = ("administration", "civil_society", "company", "citizen", "research_media", "other")
METHODS = ("approval", "dots", "ranked")
FIELD = {"approval": "choices", "dots": "points", "ranked": "ranking"}  # a ballot's one field
PARAMETERS = {"approval": ("max_choices",), "dots": ("budget", "max_per_topic"), "ranked": ("max_choices",)}
AGENDA_FROM = ("overall", "consensus")
DEFAULTS = {"agenda_size": 3, "agenda_from": "overall"}  # for every method
RANKING_OF = {"overall": "ranking", "consensus": "consensus"}  # agenda_from -> the key of its ranking
NO_PAPER = "a ranked round takes no paper tally: dots on paper do not make a ranking"
MOST_TOPICS = 100  # topics an organiser may name for a round: as many as one ballot names (the gateway's)


def check_round(method, params):
    """The round's parameters, with the defaults filled in; RoundInvalid with errors by field."""
    if method not in METHODS:
        raise RoundInvalid({"method": [f"one of {', '.join(METHODS)}"]})
    errors = {key: [f"not a parameter of {method} rounds"] for key in params
              if key not in PARAMETERS[method] and key not in DEFAULTS}  # fmt: skip
    params = DEFAULTS | dict(params)
    for key in (*PARAMETERS[method], "agenda_size"):
        if key not in params:
            errors[key] = ["missing"]
        elif not _whole(params[key]) or params[key] < 1:
            errors[key] = ["a whole number, at least 1"]
    if params["agenda_from"] not in AGENDA_FROM:
        errors["agenda_from"] = [f"one of {', '.join(AGENDA_FROM)}"]
    if method == "dots" and "budget" not in errors and "max_per_topic" not in errors:
        if params["max_per_topic"] > params["budget"]:
            errors["max_per_topic"] = [f"at most the budget of {params['budget']}"]
    if errors:
        raise RoundInvalid(errors)
    return {key: params[key] for key in (*PARAMETERS[method], *DEFAULTS)}


def round_topics(published, named=None):
    """The round's topic ids, in publication order: every id of ``published`` (the forum's published
    topics, in publication order, as the store gives them) when ``named`` is None, else those named;
    RoundInvalid on ``topic_ids`` naming every id refused. An id is compared as a UUID, whatever its case."""
    if named is None:
        return list(published)
    if not isinstance(named, list | tuple):
        raise RoundInvalid({"topic_ids": ["a list of topic ids"]})
    ids, known = [_uuid(topic) for topic in named], {str(topic) for topic in published}
    messages = [] if ids else ["at least one topic"]
    if len(ids) > MOST_TOPICS:
        messages.append(f"at most {MOST_TOPICS} topics")
    unknown = dict.fromkeys(str(topic) for topic, id_ in zip(named, ids, strict=True) if id_ not in known)
    if unknown:
        messages.append(f"not a published topic of this forum: {', '.join(unknown)}")
    twice = [id_ for id_, n in Counter(ids).items() if n > 1 and id_ in known]
    if twice:
        messages.append(f"named more than once: {', '.join(twice)}")
    if messages:
        raise RoundInvalid({"topic_ids": messages})
    chosen = set(ids)
    return [topic for topic in published if str(topic) in chosen]


def _uuid(value):
    """A topic id as the store writes it (lowercase, hyphenated), or None for what is not one."""
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        return None


def check_ballot(method, params, topics, content):
    """The ballot as it is kept (see the module docstring); BallotInvalid with errors by field."""
    field = FIELD[method]
    value = _only_field(content, field, f"{method} ballots", dict if method == "dots" else list)
    position = _positions(topics)
    if method == "dots":
        points = _nonzero(value)
        cap = params["max_per_topic"]
        messages = _unknown(points, position) + _counts(points, "points on topic", cap, position)
        total = sum(n for n in points.values() if _whole(n) and n > 0)
        if total > params["budget"]:
            messages.append(f"{total} points exceed the budget of {params['budget']}")
        _raise_if(field, messages)
        return {field: _in_order(points, position)}
    messages = _unknown(value, position)
    known = [topic for topic in value if isinstance(topic, str) and topic in position]
    if len(set(known)) < len(known):
        messages.append("a topic is chosen twice" if method == "approval" else "a topic is ranked twice")
    if len(value) > params["max_choices"]:
        messages.append(f"at most {params['max_choices']} topic{'' if params['max_choices'] == 1 else 's'}")
    _raise_if(field, messages)
    return {field: sorted(value, key=position.get) if method == "approval" else list(value)}


def check_paper(method, params, topics, tally):
    """One group's paper tally as it is kept (zero scores dropped); BallotInvalid with errors by field.

    A tally cannot claim more than its ballots could hold: a topic chosen on more ballots than there are
    (approval), more points on a topic or in all than ``ballots`` voters could give (dots).
    """
    if method == "ranked":
        raise BallotInvalid({"_schema": [NO_PAPER]})
    errors = {key: ["not a field of paper tallies"] for key in tally if key not in ("ballots", "scores")}
    ballots = tally.get("ballots")
    if not _whole(ballots) or ballots < 1:
        errors["ballots"] = ["a whole number, at least 1"]
    scores = tally.get("scores")
    if not isinstance(scores, dict):
        errors["scores"] = ["scores by topic id"]
    if errors:
        raise BallotInvalid(errors)
    position = _positions(topics)
    scores = _nonzero(scores)
    messages = _unknown(scores, position) + _counts(scores, "the score of topic", None, position)
    valid = {topic: n for topic, n in scores.items() if topic in position and _whole(n) and n >= 0}
    total = sum(valid.values())
    if method == "approval":
        messages += [f"{n} choices of topic {topic} exceed the {ballots} paper ballots"
                     for topic, n in valid.items() if n > ballots]  # fmt: skip
        if total > ballots * params["max_choices"]:
            messages.append(
                f"{total} choices exceed {ballots} paper ballots of at most {params['max_choices']} topics"
            )
    else:
        cap = params["max_per_topic"]
        messages += [f"{n} points on topic {topic} exceed {ballots} paper ballots of at most {cap} per topic"
                     for topic, n in valid.items() if n > ballots * cap]  # fmt: skip
        if total > ballots * params["budget"]:
            messages.append(f"{total} points exceed {ballots} paper ballots of {params['budget']} points")
    _raise_if("scores", messages)
    return {"ballots": ballots, "scores": _in_order(scores, position)}


def tally(method, topics, ballots, paper=(), agenda_size=DEFAULTS["agenda_size"], agenda_from="overall"):
    """The round's results (the public contract; see the module docstring for the formulas).

    ``ballots``: ``(group, content)`` pairs, already checked; ``paper``: ``(group, tally)`` pairs.
    """
    topics = list(topics)
    online, on_paper = _by_group(ballots), _by_group(paper)
    if method == "ranked" and on_paper:
        raise BallotInvalid({"_schema": [NO_PAPER]})
    groups = sorted(set(online) | set(on_paper), key=_group_order)
    everyone = [content for group in groups for content in online[group]]
    overall = SCORES[method](topics, everyone, [t for group in groups for t in on_paper[group]])
    shares = [SHARES[method](topics, online[group], on_paper[group]) for group in groups]
    consensus = {topic: min((share[topic] for share in shares), default=Fraction(0)) for topic in topics}
    ranking = _ranking(topics, overall)
    results = {
        "ballots": len(everyone) + sum(_paper_ballots(on_paper[group]) for group in groups),
        "ranking": ranking,
        "by_group": {
            group: _ranking(topics, SCORES[method](topics, online[group], on_paper[group]))
            for group in groups
        },
        "consensus": [
            {"topic_id": topic, "score": round(float(consensus[topic]), 4)}
            for topic in sorted(topics, key=lambda topic: (-consensus[topic], -overall[topic]))
        ],
        "paper": {group: _paper_ballots(on_paper[group]) for group in groups if on_paper[group]},
    }
    results["agenda"] = [row["topic_id"] for row in results[RANKING_OF[agenda_from]][:agenda_size]]
    return results


def schulze_wins(topics, rankings):
    """topic -> the number of other topics it beats under the Schulze method."""
    n = len(topics)
    index = {topic: i for i, topic in enumerate(topics)}
    d = [[0] * n for _ in range(n)]
    for ranking in rankings:
        ranked = [index[topic] for topic in ranking]
        unranked = set(range(n)) - set(ranked)
        for place, a in enumerate(ranked):
            for b in (*ranked[place + 1 :], *unranked):
                d[a][b] += 1
    p = [[d[a][b] if d[a][b] > d[b][a] else 0 for b in range(n)] for a in range(n)]
    for i in range(n):
        for j in range(n):
            if j != i and p[j][i]:
                for k in range(n):
                    if k != i and k != j:
                        p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return {topic: sum(p[a][b] > p[b][a] for b in range(n)) for topic, a in index.items()}


def _approval_scores(topics, contents, paper):
    scores = dict.fromkeys(topics, 0)
    for content in contents:
        for topic in content["choices"]:
            scores[topic] += 1
    return _add_paper(scores, paper)


def _dots_scores(topics, contents, paper):
    scores = dict.fromkeys(topics, 0)
    for content in contents:
        for topic, n in content["points"].items():
            scores[topic] += n
    return _add_paper(scores, paper)


def _ranked_scores(topics, contents, paper):
    return schulze_wins(topics, [content["ranking"] for content in contents])


def _add_paper(scores, paper):
    for one in paper:
        for topic, n in one["scores"].items():
            scores[topic] += n
    return scores


def _approval_shares(topics, contents, paper):
    return _fractions(_approval_scores(topics, contents, paper), len(contents) + _paper_ballots(paper))


def _dots_shares(topics, contents, paper):
    scores = _dots_scores(topics, contents, paper)
    return _fractions(scores, sum(scores.values()))


def _ranked_shares(topics, contents, paper):
    ranked = dict.fromkeys(topics, 0)
    for content in contents:
        for topic in content["ranking"]:
            ranked[topic] += 1
    return _fractions(ranked, len(contents))


SCORES = {"approval": _approval_scores, "dots": _dots_scores, "ranked": _ranked_scores}
SHARES = {"approval": _approval_shares, "dots": _dots_shares, "ranked": _ranked_shares}


def _fractions(counts, whole):
    return {topic: Fraction(n, whole) if whole else Fraction(0) for topic, n in counts.items()}


def _paper_ballots(paper):
    return sum(one["ballots"] for one in paper)


def _ranking(topics, scores):
    # sorted() is stable and ``topics`` is in publication order: that is the tie-break
    return [{"topic_id": topic, "score": scores[topic]} for topic in sorted(topics, key=lambda t: -scores[t])]


def _by_group(pairs):
    grouped = defaultdict(list)
    for group, value in pairs:
        grouped[group].append(value)
    return grouped


def _group_order(group):
    return (GROUPS.index(group), "") if group in GROUPS else (len(GROUPS), group)


def _positions(topics):
    return {topic: place for place, topic in enumerate(topics)}


def _only_field(content, field, what, kind):
    errors = {}
    if isinstance(content, dict):
        errors = {key: [f"not a field of {what}"] for key in content if key != field}
    value = content.get(field) if isinstance(content, dict) else None
    if not isinstance(value, kind):
        errors[field] = ["topic ids" if kind is list else "points by topic id"]
    if errors:
        raise BallotInvalid(errors)
    return value


def _unknown(ids, position):
    unknown = [str(topic) for topic in ids if not isinstance(topic, str) or topic not in position]
    return [f"unknown topic {topic}" for topic in dict.fromkeys(unknown)]


def _nonzero(counts):
    """Counts without their zeros (a form may send every topic); anything else stays, to be checked."""
    return {topic: n for topic, n in counts.items() if not (_whole(n) and n == 0)}


def _counts(counts, what, cap, position):
    """Messages for counts that are not whole numbers (0 or more), or above ``cap`` on one topic."""
    messages = []
    for topic, n in counts.items():
        if not _whole(n) or n < 0:
            messages.append(f"{what} {topic} must be a whole number, 0 or more")
        elif cap is not None and n > cap and topic in position:
            messages.append(f"{n} points on topic {topic} exceed the limit of {cap} per topic")
    return messages


def _in_order(counts, position):
    return {topic: counts[topic] for topic in sorted(counts, key=position.get)}


def _whole(n):
    return isinstance(n, int) and not isinstance(n, bool)


def _raise_if(field, messages):
    if messages:
        raise BallotInvalid({field: messages})


def merged_topics(topics, source, target):
    """A round's topics once ``source`` is merged into ``target``: the target takes the source's place if
    the round did not have it, else the source leaves."""
    if source not in topics:
        return list(topics)
    if target in topics:
        return [topic for topic in topics if topic != source]
    return [target if topic == source else topic for topic in topics]


def follow_merge(method, params, content, source, target):
    """A kept ballot once ``source`` is merged into ``target``: the support given to the duplicate goes to
    the topic it was merged into, and stays within the round's limits. Approval: a choice of either is a
    choice of the target (once). Dots: the points add up, at most ``max_per_topic`` on the target.
    Ranked: the target takes the better of the two places, the other is dropped."""
    field = FIELD[method]
    value = content[field]
    if method == "dots":
        points = dict(value)
        moved = points.pop(source, 0)
        if moved:
            points[target] = min(params["max_per_topic"], points.get(target, 0) + moved)
        return {field: points}
    renamed = [target if topic == source else topic for topic in value]
    return {field: list(dict.fromkeys(renamed))}  # the first (the better place) of each stays


def follow_merge_paper(method, params, tally, source, target):
    """A paper tally once ``source`` is merged into ``target``: their counts add up, never beyond what the
    paper ballots could hold on one topic (approval: one choice each; dots: ``max_per_topic`` each)."""
    scores = dict(tally["scores"])
    moved = scores.pop(source, 0)
    if moved:
        cap = tally["ballots"] * (1 if method == "approval" else params["max_per_topic"])
        scores[target] = min(cap, scores.get(target, 0) + moved)
    return {"ballots": tally["ballots"], "scores": scores}
