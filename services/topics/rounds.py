"""Prioritisation rounds: opened by an organiser over a forum's published topics (all of them, or those
the organiser names: ``rules.round_topics``), one ballot per person (the latest replacing the earlier),
closed once (at its closing time by whichever replica's timer takes it first, or by an organiser), its
results tallied by ``rules.tally`` and kept with the round.

A ballot is taken under the round's shared lock and a round is closed under its exclusive one
(``store.rounds.hold``), so a ballot either lands before the tally (and counts) or finds the round
closed: none is ever stored uncounted. Ballots never leave this service: events carry counts only.
"""

from datetime import timedelta

from kit import people, spreadsheet
from services.topics import rules, store
from services.topics.errors import (
    GroupRequired,
    NoTopics,
    ResultsNotYet,
    RoundAlreadyOpen,
    RoundInvalid,
    RoundNotFound,
    RoundNotOpen,
)
from services.topics.people import participant
from services.topics.topics import forum_for_topics
from services.topics.views import round_view, topic_event_block

ROUND_FIELDS = ("closes_at", "show_running", "topic_ids")  # the rest is the method's parameters
LONGEST = timedelta(days=366)
REMINDER_LEAD = timedelta(hours=24)  # "closes in 24 hours", to those who have not voted


def params_of(row):
    return {key: row[key] for key in (*rules.PARAMETERS[row["method"]], "agenda_size", "agenda_from")}


def topic_ids(row):
    return [str(topic_id) for topic_id in row["topic_ids"]]


def found(row, round_id):
    if row is None:
        raise RoundNotFound(f"no round {round_id}")
    return row


def open_round(tx, forum_id, data):
    """The round, open over ``data["topic_ids"]`` (absent or None: every published topic of the forum),
    kept in publication order."""
    forum = store.forums.lock(tx.cur, forum_id)
    if forum is None:
        forum_for_topics(tx, forum_id)  # raises ForumNotFound
    params = rules.check_round(
        data.get("method"), {k: v for k, v in data.items() if k not in (*ROUND_FIELDS, "method")}
    )
    if not tx.now < data["closes_at"] <= tx.now + LONGEST:
        raise RoundInvalid({"closes_at": ["in the future, within a year"]})
    published = store.topics.published_ids(tx.cur, forum_id)
    if not published:
        raise NoTopics("this forum has no published topic to prioritise")
    ids = rules.round_topics(published, data.get("topic_ids"))
    row = store.rounds.insert(tx.cur, forum_id, data | params, ids, tx.now)
    if row is None:
        raise RoundAlreadyOpen("a round is already open for this forum: close it first")
    topics = [topic_event_block(topic) for topic in store.topics.several(tx.cur, ids)]
    topics.sort(key=lambda topic: ids.index(topic["id"]))
    tx.emit(
        "round_opened",
        {"round_id": row["id"], "forum_id": forum_id, "method": row["method"], "closes_at": row["closes_at"],
         "agenda_size": row["agenda_size"], "topics": topics},
    )  # fmt: skip
    tx.record("round_opened", row["id"], {"forum_id": str(forum_id), "method": row["method"]})
    return round_view(row)


def cast_ballot(tx, round_id, token, content, stakeholder_group=None):
    """The person's ballot, replacing their earlier one while the round is open."""
    person = participant(tx, token)
    store.rounds.hold(tx.cur, round_id)
    row = found(store.rounds.read(tx.cur, round_id), round_id)
    if row["status"] != "open" or tx.now >= row["closes_at"]:
        raise RoundNotOpen("this round is closed: ballots are no longer taken")
    group = ballot_group(tx, person, stakeholder_group)
    ballot = rules.check_ballot(row["method"], params_of(row), topic_ids(row), content)
    kept = store.rounds.keep_ballot(tx.cur, round_id, person["person_id"], group, ballot, tx.now)
    return {
        "round_id": str(round_id),
        "stakeholder_group": group,
        "ballot": ballot,
        "replaced": kept["replaced"],
    }


def ballot_group(tx, person, stakeholder_group):
    """The group the ballot counts in: the one the person last declared, or, for someone who never
    declared one, the one they declare with this ballot."""
    declared = person["stakeholder_group"]
    if declared is None:
        if stakeholder_group is None:
            raise GroupRequired(
                {"stakeholder_group": ["required: you have not said which group you belong to"]}
            )
        people.declare_group(tx.cur, person["person_id"], stakeholder_group, tx.now)
        return stakeholder_group
    if stakeholder_group not in (None, declared):
        raise GroupRequired({"stakeholder_group": [f"you declared {declared} when you registered"]})
    return declared


def tally(tx, row):
    ballots = store.rounds.ballots(tx.cur, row["id"])
    paper = store.rounds.paper(tx.cur, row["id"])
    return rules.tally(row["method"], topic_ids(row), ballots, paper, row["agenda_size"], row["agenda_from"])


def close(tx, round_id, closed_by="organiser"):
    row = found(store.rounds.read(tx.cur, round_id, lock=True), round_id)
    if row["status"] != "open":
        raise RoundNotOpen("this round is already closed")
    closed = closing(tx, row, closed_by)
    return round_view(closed) | {"results": in_group_order(closed["results"])}


def closing(tx, row, closed_by):
    store.rounds.hold(tx.cur, row["id"], exclusive=True)  # the ballots being taken land first
    results = tally(tx, row)
    closed = store.rounds.close(tx.cur, row["id"], results, closed_by, tx.now)
    tx.emit(
        "round_closed",
        {"round_id": row["id"], "forum_id": row["forum_id"], "method": row["method"], "closed_by": closed_by,
         "results": results, "voters": store.rounds.voters(tx.cur, row["id"])},
    )  # fmt: skip
    if closed_by != "timer":
        tx.record("round_closed", row["id"], {"ballots": results["ballots"]})
    return closed


def close_next_due(tx):
    """Close one round past its closing time (locked, skipped by other replicas); its id, or None."""
    row = store.rounds.next_due(tx.cur, tx.now)
    if row is None:
        return None
    closing(tx, row, "timer")
    return row["id"]


def remind_next(tx, lead=REMINDER_LEAD):
    """One round closing within ``lead``: ``round_closing_soon`` once (locked, skipped by other
    replicas); its id, or None."""
    row = store.rounds.next_to_remind(tx.cur, tx.now, lead)
    if row is None:
        return None
    store.rounds.reminded(tx.cur, row["id"], tx.now)
    tx.emit(
        "round_closing_soon",
        {"round_id": row["id"], "forum_id": row["forum_id"], "method": row["method"],
         "closes_at": row["closes_at"], "voters": store.rounds.voters(tx.cur, row["id"])},
    )  # fmt: skip
    return row["id"]


def in_group_order(results):
    """Stored results come back from JSONB with their keys in PostgreSQL's order: the groups as the tally
    gives them (``rules.GROUPS``) again."""
    place = {group: n for n, group in enumerate(rules.GROUPS)}
    for key in ("by_group", "paper"):
        if key in results:
            results[key] = dict(sorted(results[key].items(), key=lambda item: place.get(item[0], len(place))))
    return results


def results(tx, round_id, organiser=False):
    """The results: once closed, to anyone; while open, only if the organiser chose to show them."""
    row = found(store.rounds.read(tx.cur, round_id), round_id)
    if row["status"] == "closed":
        return in_group_order(row["results"])
    if not row["show_running"]:
        raise ResultsNotYet("the results are shown once the round closes")
    return tally(tx, row) | {"running": True}


def page(tx, round_id):
    """What a round's public page shows, in one answer: the round, its results when anyone may read them
    (once closed, or while open if the organiser shows them; else None), and the title of every topic the
    round and its ranking name, those since merged or carried over included."""
    row = found(store.rounds.read(tx.cur, round_id), round_id)
    try:
        shown = results(tx, round_id)
    except ResultsNotYet:
        shown = None
    named = [str(topic_id) for topic_id in topic_ids(row)] + [
        e["topic_id"] for e in (shown or {}).get("ranking", ())
    ]
    rows = store.topics.several(tx.cur, list(dict.fromkeys(named)))
    titles = {str(topic["id"]): topic["title"] for topic in rows if topic["status"] != "proposed"}
    return {"round": round_view(row, None), "results": shown, "titles": titles}


def get(tx, round_id, organiser=False):
    """The round; for organisers, its participation by group (counts of ballots, never their content)."""
    row = found(store.rounds.read(tx.cur, round_id), round_id)
    return round_view(row, store.rounds.participation(tx.cur, round_id) if organiser else None)


def of_forum(tx, forum_id):
    """The forum's rounds, newest first, as organisers see them (with their participation by group)."""
    rows = store.rounds.of_forum(tx.cur, forum_id)[::-1]
    return {"items": [round_view(row, store.rounds.participation(tx.cur, row["id"])) for row in rows]}


def paper_tally(tx, round_id, group, tally_in):
    """An organiser's paper tally for one group (in-room voting), replacing an earlier one of that group."""
    store.rounds.hold(tx.cur, round_id)
    row = found(store.rounds.read(tx.cur, round_id), round_id)
    if row["status"] != "open":
        raise RoundNotOpen("this round is closed: its tallies can no longer change")
    checked = rules.check_paper(row["method"], params_of(row), topic_ids(row), tally_in)
    store.rounds.keep_paper(tx.cur, round_id, group, checked)
    tx.record("paper_tally_entered", round_id, {"group": group, "ballots": checked["ballots"]})
    return {"round_id": str(round_id), "stakeholder_group": group} | checked


CSV_HEADER = ("ranking", "rank", "topic_id", "title", "score", "on_agenda", "final")


def results_csv(tx, round_id):
    """The results as a spreadsheet: one line per topic per ranking (overall, consensus, each group)."""
    found_results = results(tx, round_id)
    row = store.rounds.read(tx.cur, round_id)
    titles = {str(topic["id"]): topic["title"] for topic in store.topics.several(tx.cur, row["topic_ids"])}
    agenda = set(found_results["agenda"])
    rankings = [("overall", found_results["ranking"]), ("consensus", found_results["consensus"])]
    rankings += [(f"group:{group}", ranked) for group, ranked in found_results["by_group"].items()]
    final = "no" if found_results.get("running") else "yes"  # running results, shown while it is open
    lines = [
        (name, rank, entry["topic_id"], titles.get(entry["topic_id"], ""), entry["score"],
         "yes" if entry["topic_id"] in agenda else "no", final)
        for name, ranked in rankings
        for rank, entry in enumerate(ranked, 1)
    ]  # fmt: skip
    return spreadsheet.as_csv(CSV_HEADER, lines)
