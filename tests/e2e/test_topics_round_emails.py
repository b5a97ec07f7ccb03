"""A prioritisation round from outside, with its emails and its events, and two topics replicas.

Two registrants get their confirmation email (their management link's token); one proposes a topic and is
emailed once the organiser publishes it. The organiser opens a round that closes a few seconds later: both
are emailed their own link to vote, whose token the API takes; one votes; as the round is about to close
only the other is reminded; the two topics processes' timers close it once (one ``round_closed`` on an
integrator's queue, closed by the timer), the results are public, and only the voter is emailed them.
"""

import time
from datetime import UTC, datetime, timedelta

from harness.testing import wait_until

from .client import Bus, inbox, parts, person, token_from, wait_for_mails
from .test_topics import known_to_topics

REMINDER_SECONDS, CLOSES_IN = 8, 14
STACK_SETTINGS = {"ROUND_REMINDER_HOURS": REMINDER_SECONDS / 3600}


def subjects(mail, address):
    return [message["Subject"] for message in inbox(mail, address)[address.lower()]]


def mails_starting(mail, address, start):
    return [
        message for message in inbox(mail, address)[address.lower()] if message["Subject"].startswith(start)
    ]


def test_a_round_is_told_by_email_and_closed_once_by_two_replicas(api, mail, stack, module_amqp_uri):
    stack.start("topics#2")
    stack.wait_ready()
    bus = Bus(module_amqp_uri, exchange="topics.events")
    try:
        forum = api.create_forum()
        people = [
            api.registered(forum["id"], person(stakeholder_group=group)) for group in ("citizen", "company")
        ]
        received = wait_for_mails(mail, {someone["email"]: 1 for someone in people})
        alice, bob = (token_from(received[someone["email"]][0]) for someone in people)
        addresses = {alice: people[0]["email"], bob: people[1]["email"]}
        for token in (alice, bob):
            known_to_topics(api, token)

        proposed = api.call("POST", f"/forums/{forum['id']}/topics", alice, json={"title": "Budget ouvert"})
        assert proposed.status_code == 201, proposed.text
        topic_id = proposed.json()["id"]
        assert api.organiser("POST", f"/topics/{topic_id}/publish").status_code == 200
        wait_until(lambda: mails_starting(mail, addresses[alice], "Your proposal is published"), 30,
                   message="the proposer told")  # fmt: skip

        closes_at = (datetime.now(UTC) + timedelta(seconds=CLOSES_IN)).isoformat(timespec="seconds")
        opening = {"method": "approval", "max_choices": 1, "agenda_size": 1, "closes_at": closes_at}
        opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=opening)
        assert opened.status_code == 201, opened.text
        round_id = opened.json()["id"]
        for who in (alice, bob):
            wait_until(
                lambda w=who: mails_starting(mail, addresses[w], "Vote open"), 30, message="the call to vote"
            )
        [call] = mails_starting(mail, addresses[alice], "Vote open")
        vote_token = token_from(call)  # the token of alice's own link to vote: her session, then the ballot
        assert f"/en/me/session?token={vote_token}&round={round_id}" in parts(call)[0]
        voted = api.call("PUT", f"/rounds/{round_id}/ballot", vote_token, json={"choices": [topic_id]})
        assert voted.status_code == 200, voted.text

        results = wait_until(
            lambda: (answer := api.call("GET", f"/rounds/{round_id}/results")).status_code == 200 and answer,
            CLOSES_IN + 20,
            message="the round closed by the timer",
        )
        assert results.json()["agenda"] == [topic_id] and results.json()["ballots"] == 1
        wait_until(
            lambda: mails_starting(mail, addresses[alice], "Results of the vote"), 30, message="results"
        )
        time.sleep(3)  # a second closing, a late reminder: would have arrived by now
        closings = [d for d in bus.poll() if d.routing_key == "round_closed"]
        assert len(closings) == 1 and closings[0].envelope["data"]["closed_by"] == "timer"
        assert len([d for d in bus.poll() if d.routing_key == "round_closing_soon"]) == 1
        assert [s for s in subjects(mail, addresses[bob]) if "left to vote" in s]  # bob had not voted
        assert not [s for s in subjects(mail, addresses[alice]) if "left to vote" in s]
        assert not mails_starting(mail, addresses[bob], "Results of the vote")  # only voters
        assert len(mails_starting(mail, addresses[alice], "Results of the vote")) == 1
        [told] = mails_starting(mail, addresses[alice], "Results of the vote")
        assert f"/en/rounds/{round_id}/results" in parts(told)[0]  # the results page in her language
    finally:
        bus.close()
