"""The notification service and the topics events, without a broker: what it reads from them, who gets
which message (``rules``), the links to vote and to the results, and the words of each message."""

import html
import uuid
from datetime import UTC, datetime, timedelta

from kit import tokens
from kit.events import read_envelope
from services.notification import rules
from services.notification.bulk import BulkMessage, markers
from services.notification.incoming import TOPICS_SCHEMAS
from services.notification.links import Links
from services.notification.rendering import Renderer
from services.topics.events import catalog

SECRET = "unit-secret"
LINKS = Links("https://forums.example.org/", SECRET)
RENDERER = Renderer()
T0 = datetime(2027, 5, 3, 7, 30, tzinfo=UTC)
FORUM_ID, ROUND_ID = uuid.uuid4(), uuid.uuid4()


def topic(title="Open contracts", proposer_id=None):
    return {
        "id": uuid.uuid4(),
        "forum_id": FORUM_ID,
        "title": title,
        "description": "Why it matters",
        "commitment_ref": None,
        "status": "published",
        "proposed_by": "participant" if proposer_id else "organiser",
        "proposer_id": proposer_id,
    }


def read(event_type, data):
    return read_envelope(catalog.envelope(event_type, data), TOPICS_SCHEMAS[event_type])[1]


def person(email, person_id=None, **row):
    return {"email": email, "person_id": person_id, "first_name": "A", "last_name": "B"} | row


def test_every_topics_event_the_service_handles_reads_from_the_topics_contract():
    voters = [uuid.uuid4()]
    first, second = topic(), topic("Algorithms", uuid.uuid4())
    results = {"ballots": 3, "ranking": [], "by_group": {}, "consensus": [], "agenda": [str(second["id"])]}
    round_block = {"round_id": ROUND_ID, "forum_id": FORUM_ID, "method": "dots", "closes_at": T0}
    samples = {
        "topic_published": {"topic": second},
        "topic_rejected": {"topic": second, "reason": "Out of scope"},
        "topic_edited": {"topic": first, "note": "typo", "changes": ["title"]},
        "topic_merged": {"topic": second, "into": first},
        "round_opened": round_block | {"agenda_size": 1, "topics": [first, second]},
        "round_closing_soon": round_block | {"voters": voters},
        "round_closed": round_block | {"closed_by": "timer", "results": results, "voters": voters},
    }
    assert set(samples) == set(TOPICS_SCHEMAS)
    read_back = {event_type: read(event_type, data) for event_type, data in samples.items()}
    assert read_back["topic_published"]["topic"]["proposer_id"] == second["proposer_id"]
    assert read_back["topic_rejected"]["reason"] == "Out of scope"
    assert read_back["topic_merged"]["into"]["title"] == "Open contracts"
    assert [t["title"] for t in read_back["round_opened"]["topics"]] == ["Open contracts", "Algorithms"]
    assert read_back["round_closing_soon"]["voters"] == voters
    assert read_back["round_closed"]["results"]["agenda"] == [str(second["id"])]
    assert "ranking" not in read_back["round_closed"]["results"]  # only the fields it uses


def test_only_a_participants_proposal_has_its_outcome_told():
    theirs, organisers = topic(proposer_id=uuid.uuid4()), topic()
    for event_type in ("topic_published", "topic_rejected", "topic_merged"):
        assert rules.tells_proposer(event_type, theirs)
        assert not rules.tells_proposer(event_type, organisers)
    assert not rules.tells_proposer("topic_edited", theirs)


def test_a_round_call_goes_once_to_each_registrant_who_has_not_voted():
    voted, again = uuid.uuid4(), uuid.uuid4()
    registrants = [
        person("a@example.org", uuid.uuid4()),
        person("voter@example.org", voted),
        person("twice@example.org", again),
        person("Twice@Example.org ", again),  # a second registration of the same person
        person("noid@example.org"),
        person("NOID@example.org"),
    ]
    everyone = rules.forum_audience(registrants)
    assert [p["email"] for p in everyone] == [
        "a@example.org",
        "voter@example.org",
        "twice@example.org",
        "noid@example.org",
    ]
    reminded = rules.forum_audience(registrants, [str(voted)])
    assert "voter@example.org" not in [p["email"] for p in reminded] and len(reminded) == 3


def test_a_person_is_reached_at_their_newest_registration_else_their_subscription():
    someone, subscriber, gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def row(person_id, source, status, hours, email, version=0):
        return person(
            email,
            person_id,
            source=source,
            status=status,
            as_of=T0 + timedelta(hours=hours),
            token_version=version,
        )

    rows = [
        row(someone, "registrant", "cancelled", 1, "old@example.org", version=1),
        row(someone, "registrant", "confirmed", 2, "new@example.org"),
        row(someone, "subscriber", "confirmed", 3, "sub@example.org", version=4),
        row(subscriber, "subscriber", "ended", 5, "left@example.org"),
        row(subscriber, "subscriber", "confirmed", 1, "kept@example.org"),
        row(gone, "subscriber", "ended", 1, "ended@example.org", version=2),
    ]
    found = rules.contacts(rows)
    assert found[str(someone)]["email"] == "new@example.org"
    assert found[str(someone)]["token_version"] == 4  # the highest any row knows
    assert found[str(subscriber)]["email"] == "kept@example.org"
    assert found[str(gone)]["email"] == "ended@example.org"
    assert rules.contacts([]) == {}


def test_the_agenda_is_named_in_its_order_and_an_unknown_topic_left_out():
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    assert rules.agenda_titles([c, a, b], {a: "First", c: "Third"}) == ["Third", "First"]


def test_a_last_call_says_the_hours_left_and_never_none():
    assert rules.hours_left(T0 + timedelta(hours=24), T0) == 24
    assert rules.hours_left(T0 + timedelta(hours=23, minutes=40), T0) == 24
    assert rules.hours_left(T0 + timedelta(minutes=5), T0) == 1


def test_the_vote_link_opens_the_persons_session_and_leads_to_the_rounds_ballot():
    someone = {"person_id": uuid.uuid4(), "token_version": 3, "locale": "en"}
    url = LINKS.vote(ROUND_ID, someone)
    page, query = url.split("?")
    assert page == "https://forums.example.org/en/me/session"
    token, round_id = query.removeprefix("token=").split("&round=")
    assert round_id == str(ROUND_ID)
    assert tokens.read(SECRET, token, "manage") == (str(someone["person_id"]), 3)
    assert LINKS.results(ROUND_ID) == f"https://forums.example.org/rounds/{ROUND_ID}/results"
    assert LINKS.results(ROUND_ID, "fr") == LINKS.results(ROUND_ID)
    assert LINKS.results(ROUND_ID, "en") == f"https://forums.example.org/en/rounds/{ROUND_ID}/results"


def test_a_bulk_round_call_fills_in_each_subscribers_own_token_and_unsubscribe_link():
    mark = markers("k1")
    words = {"subject": "Vote", "text": f"{LINKS.session(mark['token'], 'fr', ROUND_ID)} {mark['unsubscribe']}",
             "html": ""}  # fmt: skip
    message = BulkMessage({"marker_key": "k1", "locales": {"fr": words}, "headers": None})
    subscriber = {"first_name": "A", "last_name": "B", "subscription_id": uuid.uuid4(), "token_version": 2}
    filled = message.fill("fr", subscriber | {"person_id": str(uuid.uuid4())}, LINKS)
    vote, unsubscribe = filled.text.split(" ")
    assert vote.startswith("https://forums.example.org/me/session?token=") and vote.endswith(
        f"&round={ROUND_ID}"
    )
    assert tokens.read(SECRET, vote.split("token=")[1].split("&")[0], "manage")[1] == 2
    assert tokens.read(SECRET, unsubscribe.rsplit("/", 1)[1], "unsubscribe")[0] == str(
        subscriber["subscription_id"]
    )


def context(**extra):
    block = {"id": ROUND_ID, "method": "ranked", "closes_at": T0, "timezone": "Europe/Paris"}
    forum = {"id": FORUM_ID, "title": "Forum de mai", "timezone": "Europe/Paris"}
    return {
        "forum": forum,
        "round": block,
        "person": {"first_name": "Ana", "last_name": "Martin"},
        "links": {
            "vote": "https://x.org/forums/f/rounds/r#token=a.b",
            "results": "https://x.org/rounds/r/results",
        },
    } | extra


def test_a_round_opening_lists_the_topics_the_method_and_the_closing_time_in_both_languages():
    fr = RENDERER.render("round_opened", "fr", context(topics=["Données ouvertes", "Algorithmes"]))
    assert fr.subject == "Vote ouvert sur les sujets : Forum de mai"
    assert "1. Données ouvertes\n2. Algorithmes" in fr.text
    assert "Classement : rangez les sujets" in fr.text and "lundi 3 mai 2027 à 09:30" in fr.text
    assert "#token=a.b" in fr.text and "inscrit·e à ce forum" in fr.text  # a registrant's copy
    assert "<li>Algorithmes</li>" in fr.html
    en = RENDERER.render("round_opened", "en", context(topics=["Open data"], links={"unsubscribe": "U"}))
    assert en.subject == "Vote open on the topics: Forum de mai"
    assert "Monday 3 May 2027 at 09:30" in en.text and "To stop receiving it: U" in en.text


def test_a_last_call_says_how_long_is_left():
    fr = RENDERER.render("round_closing_soon", "fr", context(hours_left=24))
    assert fr.subject == "Plus que 24 heures pour voter : Forum de mai"
    assert "n'avez pas encore voté" in fr.text
    en = RENDERER.render("round_closing_soon", "en", context(hours_left=24))
    assert "closes in 24 hours" in en.text and "you have not voted yet" in en.text
    one = RENDERER.render("round_closing_soon", "en", context(hours_left=1))
    assert one.subject.startswith("1 hour left to vote") and "closes in 1 hour," in one.text
    assert RENDERER.render("round_closing_soon", "fr", context(hours_left=1)).subject.startswith(
        "Plus que 1 heure pour"
    )


def test_the_results_give_the_agenda_in_order_and_the_public_page():
    en = RENDERER.render("round_closed", "en", context(agenda=["Second", "First"]))
    assert en.subject == "Results of the vote: Forum de mai"
    assert "1. Second\n2. First" in en.text and "https://x.org/rounds/r/results" in en.text
    empty = RENDERER.render("round_closed", "fr", context(agenda=[]))
    assert "Aucun sujet" in empty.text and "1." not in empty.text


def test_a_round_of_a_forum_not_known_yet_still_reads_well():
    rendered = RENDERER.render("round_opened", "en", context(forum=None, topics=["Open data"]))
    assert "the next Open d'Etat forum" in rendered.text and "None" not in rendered.text


def test_a_proposer_hears_of_publication_rejection_with_its_reason_and_merger():
    theirs = {"title": "Open <contracts>"}
    published = RENDERER.render("topic_published", "fr", context(topic=theirs))
    assert published.subject == "Votre proposition est publiée : Open <contracts>"
    assert "Open &lt;contracts&gt;" in published.html
    rejected = RENDERER.render("topic_rejected", "en", context(topic=theirs, reason="Already on the agenda"))
    assert "Their reason: Already on the agenda" in rejected.text
    merged = RENDERER.render("topic_merged", "en", context(topic=theirs, into={"title": "Open procurement"}))
    assert 'into the topic "Open procurement"' in merged.text
    assert 'into the topic "Open procurement"' in html.unescape(merged.html)
