"""The topics events' emails, from a real notification container to a real SMTP server: a round's call
to registrants and subscribers, its last call to those who have not voted, its results to those who
did, and a proposal's outcome to its proposer. The registration events are published first, so that the
service knows the forum's registrants and the subscribers; the topics events are published signed on the
topics exchange as its relay would."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from harness.testing import wait_until
from kit import tokens
from services.registration.events import catalog as registration_catalog
from services.topics.events import catalog

from .test_notification_emails import forum_block, handled, mail_to, query, registration, someone, text_of

CLOSES = datetime(2027, 4, 20, 16, 0, tzinfo=UTC)


def topic(forum, title, proposer=None):
    return {
        "id": uuid.uuid4(),
        "forum_id": forum["id"],
        "title": title,
        "description": "Pourquoi ce sujet compte",
        "commitment_ref": None,
        "status": "published",
        "proposed_by": "participant" if proposer else "organiser",
        "proposer_id": proposer["person_id"] if proposer else None,
    }


def subscribed(person):
    data = {"subscription_id": uuid.uuid4(), "person": person}
    return registration_catalog.envelope("subscription_confirmed", data)


def round_event(event_type, forum, round_id, **data):
    block = {"round_id": round_id, "forum_id": forum["id"], "method": "approval"}
    return catalog.envelope(event_type, block | data)


def settled(config, envelope):
    """Wait until the event is handled, its announcement (if any) written, and every message it logged
    accepted by the relay."""
    handled(config, envelope)

    def done():
        unfinished = query(
            config, "SELECT 1 FROM announcements WHERE id = %s AND finished_at IS NULL", envelope["id"]
        )
        waiting = query(
            config, "SELECT 1 FROM deliveries WHERE event_id = %s AND status <> 'sent'", envelope["id"]
        )
        return not unfinished and not waiting

    wait_until(done, message="the event's messages to be sent")


def received(sink, people, *subject_parts):
    """How many messages with one of ``subject_parts`` in their subject each of ``people`` received."""
    counts = {p["email"]: 0 for p in people}
    for message in sink.messages():
        address = message["To"].addresses[0].addr_spec
        if address in counts and any(part in message["Subject"] for part in subject_parts):
            counts[address] += 1
    return counts


def vote_token(text, round_id, base_url, lang="fr"):
    """The token of the link to vote: the person's session in the message's language, then the ballot."""
    page = re.escape(f"{base_url.rstrip('/')}{'/en' if lang == 'en' else ''}/me/session")
    return re.search(rf"{page}\?token=([^\s&]+)&round={round_id}\b", text).group(1)


def test_a_round_calls_registrants_and_subscribers_once_each_reminds_the_others_and_gives_voters_the_results(
    notification, publish, publish_topics, smtp_sink, service_config
):
    forum = forum_block(title="Forum des sujets")
    confirmed, waitlisted, both, gone = someone("fr"), someone("en"), someone("fr"), someone("fr")
    fan, english_fan = someone("fr"), someone("en")
    cancelled_id = uuid.uuid4()
    setup = [
        registration("registration_confirmed", forum, confirmed),
        registration("registration_waitlisted", forum, waitlisted, waitlist_position=1),
        registration("registration_confirmed", forum, both),
        registration("registration_confirmed", forum, gone, registration_id=cancelled_id),
        subscribed(fan),
        subscribed(english_fan),
        subscribed(both),
    ]
    publish(*setup)
    handled(service_config, *setup)
    leaving = registration(
        "registration_cancelled",
        forum,
        gone,
        registration_id=cancelled_id,
        cancelled_by="person",
        previous_status="confirmed",
    )
    publish(leaving)
    handled(service_config, leaving)

    round_id = uuid.uuid4()
    topics = [topic(forum, "Données des marchés publics"), topic(forum, "Algorithmes publics")]
    topics.append(topic(forum, "Évaluation citoyenne"))
    opened = round_event("round_opened", forum, round_id, closes_at=CLOSES, agenda_size=2, topics=topics)
    publish_topics(opened)
    settled(service_config, opened)
    everyone = [confirmed, waitlisted, both, gone, fan, english_fan]
    calls = received(smtp_sink, everyone, "Vote")
    assert calls == {p["email"]: 1 for p in everyone} | {gone["email"]: 0}

    [call] = [m for m in mail_to(smtp_sink, confirmed["email"], 2) if "Vote ouvert" in m["Subject"]]
    assert call["Subject"] == "Vote ouvert sur les sujets : Forum des sujets"
    text = text_of(call)
    assert "1. Données des marchés publics\n2. Algorithmes publics\n3. Évaluation citoyenne" in text
    assert "Approbation" in text and "mardi 20 avril 2027 à 18:00" in text
    base_url = service_config["PUBLIC_BASE_URL"]
    token = vote_token(text, round_id, base_url)
    assert tokens.read(service_config["SECRET_KEY"], token, "manage") == (str(confirmed["person_id"]), 2)
    assert call["List-Unsubscribe"] is None  # a registrant's copy

    [their_call] = [m for m in mail_to(smtp_sink, both["email"], 2) if "Vote ouvert" in m["Subject"]]
    assert their_call["List-Unsubscribe"] is None and "inscrit·e à ce forum" in text_of(their_call)

    [english] = [m for m in mail_to(smtp_sink, english_fan["email"]) if "Vote open" in m["Subject"]]
    assert english["Subject"] == "Vote open on the topics: Forum des sujets"
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(\S+)>", english["List-Unsubscribe"]).group(1)
    english_text = text_of(english)
    assert unsubscribe in english_text and "Tuesday 20 April 2027 at 18:00" in english_text
    token = vote_token(english_text, round_id, base_url, "en")
    assert tokens.read(service_config["SECRET_KEY"], token, "manage")[0] == str(english_fan["person_id"])

    # The last call: to those who have not voted (``confirmed`` and ``fan`` have).
    closes_soon = datetime.now(UTC) + timedelta(hours=24)
    voted = [confirmed["person_id"], fan["person_id"]]
    last_call = round_event("round_closing_soon", forum, round_id, closes_at=closes_soon, voters=voted)
    publish_topics(last_call)
    settled(service_config, last_call)
    reminded = received(smtp_sink, everyone, "24 heures", "24 hours")
    assert reminded == {p["email"]: 0 for p in everyone} | {
        p["email"]: 1 for p in (waitlisted, both, english_fan)
    }
    [english_reminder] = [m for m in mail_to(smtp_sink, waitlisted["email"], 3) if "24" in m["Subject"]]
    assert english_reminder["Subject"].startswith("24 hours left to vote")
    assert "you have not voted yet" in text_of(english_reminder)

    # The results: to the voters only, with the agenda's titles in its order.
    results = {"ballots": 2, "ranking": [], "by_group": {}, "consensus": [], "paper": {}}
    results["agenda"] = [str(topics[2]["id"]), str(topics[0]["id"])]
    voters = [
        confirmed["person_id"],
        fan["person_id"],
        english_fan["person_id"],
        uuid.uuid4(),
    ]  # last: unknown
    closed = round_event("round_closed", forum, round_id, closed_by="timer", results=results, voters=voters)
    publish_topics(closed, closed)  # delivered twice: handled once
    settled(service_config, closed)
    told = received(smtp_sink, everyone, "Résultats", "Results")
    assert told == {p["email"]: 0 for p in everyone} | {p["email"]: 1 for p in (confirmed, fan, english_fan)}
    [result] = [m for m in mail_to(smtp_sink, fan["email"], 2) if "Résultats" in m["Subject"]]
    assert result["Subject"] == "Résultats du vote : Forum des sujets"
    result_text = text_of(result)
    assert "1. Évaluation citoyenne\n2. Données des marchés publics" in result_text
    assert f"{base_url.rstrip('/')}/rounds/{round_id}/results" in result_text
    [english_result] = [m for m in mail_to(smtp_sink, english_fan["email"], 3) if "Results" in m["Subject"]]
    assert f"{base_url.rstrip('/')}/en/rounds/{round_id}/results" in text_of(english_result)  # their language

    publish_topics(opened, last_call)  # redelivered: nothing more
    handled(service_config, opened, last_call)
    rows = query(
        service_config,
        "SELECT event_id FROM deliveries WHERE event_id = ANY(%s) AND recipient = ANY(%s)",
        [opened["id"], last_call["id"], closed["id"]],
        [p["email"] for p in everyone],
    )
    assert len(rows) == 5 + 3 + 3
    assert received(smtp_sink, everyone, "Vote") == calls


def test_a_proposer_hears_of_their_proposal_published_rejected_or_merged_and_nobody_else_does(
    notification, publish, publish_topics, smtp_sink, service_config
):
    forum = forum_block(title="Forum des propositions")
    registrant, subscriber, erased = someone("fr"), someone("en"), someone("fr")
    setup = [
        registration("registration_confirmed", forum, registrant),
        registration("registration_confirmed", forum, erased),
        subscribed(subscriber),
    ]
    publish(*setup)
    handled(service_config, *setup)
    erasure = registration_catalog.envelope(
        "person_erased", {"person_id": erased["person_id"], "email": erased["email"], "erased_by": "person"}
    )
    publish(erasure)
    handled(service_config, erasure)

    theirs, other = topic(forum, "Ouvrir les budgets", registrant), topic(forum, "Open budgets", subscriber)
    organisers = topic(forum, "Sujet des organisateurs")
    into = topic(forum, "Budgets participatifs")
    published = catalog.envelope("topic_published", {"topic": theirs})
    rejected = catalog.envelope(
        "topic_rejected", {"topic": other | {"status": "rejected"}, "reason": "Already on the agenda"}
    )
    merged = catalog.envelope("topic_merged", {"topic": theirs | {"status": "merged"}, "into": into})
    nobody = [
        catalog.envelope("topic_published", {"topic": organisers}),
        catalog.envelope("topic_published", {"topic": topic(forum, "Inconnu", someone("fr"))}),
        catalog.envelope("topic_published", {"topic": topic(forum, "Effacé", erased)}),
    ]
    publish_topics(published, published, rejected, merged, *nobody)  # the first one delivered twice
    for envelope in (published, rejected, merged, *nobody):
        settled(service_config, envelope)

    told = mail_to(smtp_sink, registrant["email"], 3)  # their confirmation, then the two outcomes
    subjects = sorted(m["Subject"] for m in told if m["Subject"].startswith("Votre proposition"))
    assert subjects == [
        "Votre proposition a été regroupée : Ouvrir les budgets",
        "Votre proposition est publiée : Ouvrir les budgets",
    ]
    [merger] = [m for m in told if "regroupée" in m["Subject"]]
    assert "« Budgets participatifs »" in text_of(merger)
    [rejection] = mail_to(smtp_sink, subscriber["email"])
    assert rejection["Subject"] == "Your proposal was not accepted: Open budgets"
    assert "Their reason: Already on the agenda" in text_of(rejection)

    for envelope in nobody:  # an organiser's topic, a proposer nobody knows, a proposer erased
        assert query(service_config, "SELECT 1 FROM deliveries WHERE event_id = %s", envelope["id"]) == []
    assert len(query(service_config, "SELECT 1 FROM deliveries WHERE event_id = %s", published["id"])) == 1
