"""The restitution service in a real container (real RabbitMQ vhost, real PostgreSQL): the facts come from
registration's and topics' events (published here as their relays would), drafts are saved with a version
check, publishing makes immutable numbered versions of the draft version the organiser read (a draft
saved since, even while publishing, is not published; a keyed retry answers what it first did), and the
commitments' register follows each commitment across the series."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from psycopg.rows import dict_row

from harness.testing import wait_until
from kit import tokens
from services.registration.events import catalog as registration_events
from services.restitution.service import RestitutionService
from services.topics.events import catalog as topics_events

from .conftest import relay_of
from .registration_support import Bus
from .test_notification_emails import forum_block


@pytest.fixture
def restitution(container_factory, service_config):
    container_factory(RestitutionService, service_config).start()
    with ServiceRpcProxy("restitution", service_config, timeout=30) as proxy:
        yield proxy


@pytest.fixture
def restitution_bus(service_config):
    listener = Bus(service_config["AMQP_URI"], "restitution")
    yield listener
    listener.close()


@pytest.fixture
def tell(service_config):
    """Publish envelopes as the registration and topics relays would (signed with the shared key)."""
    with (
        relay_of(service_config, "registration") as registration,
        relay_of(service_config, "topics") as topics,
    ):
        relays = {"registration": registration, "topics": topics}

        def send(*envelopes):
            for envelope in envelopes:
                relays[envelope["source"]](envelope)

        yield send


def query(config, sql, *params):
    with psycopg.connect(
        config["DATABASE_URL"], options="-c search_path=restitution", row_factory=dict_row
    ) as c:
        return c.execute(sql, params).fetchall()


def failure(call, *args):
    with pytest.raises(RemoteError) as raised:
        call(*args)
    return raised.value.exc_type


def topic_block(forum_id, title):
    return {"id": uuid.uuid4(), "forum_id": forum_id, "title": title, "description": "", "status": "published",
            "proposed_by": "organiser", "proposer_id": None}  # fmt: skip


def a_forum_with_facts(tell, restitution, config):
    """A forum, three registrants (one checked in) and a closed round whose agenda is one topic."""
    forum = forum_block()
    tell(registration_events.envelope("forum_scheduled", {"forum": forum}))
    registrations = []
    for group in ("citizen", "citizen", "company"):
        person = {"person_id": uuid.uuid4(), "token_version": 0, "email": f"{uuid.uuid4().hex[:8]}@example.org",
                  "first_name": "A", "last_name": "B", "locale": "fr"}  # fmt: skip
        data = {"registration_id": uuid.uuid4(), "forum": forum, "person": person, "organisation": "",
                "stakeholder_group": group, "status": "confirmed"}  # fmt: skip
        registrations.append(data)
        tell(registration_events.envelope("registration_confirmed", data))
    tell(registration_events.envelope("attendee_checked_in", {
        "registration_id": registrations[0]["registration_id"], "forum_id": forum["id"],
        "stakeholder_group": "citizen", "checked_in_at": datetime.now(UTC)}))  # fmt: skip
    chosen, other = topic_block(forum["id"], "Données ouvertes"), topic_block(forum["id"], "Lobbying")
    for block in (chosen, other):
        tell(topics_events.envelope("topic_published", {"topic": block}))
    ranking = [{"topic_id": str(chosen["id"]), "score": 2}, {"topic_id": str(other["id"]), "score": 1}]
    results = {"ballots": 2, "ranking": ranking, "by_group": {"citizen": ranking}, "consensus": ranking,
               "agenda": [str(chosen["id"])], "paper": {}}  # fmt: skip
    tell(topics_events.envelope("round_closed", {"round_id": uuid.uuid4(), "forum_id": forum["id"],
                                                  "method": "approval", "closed_by": "organiser",
                                                  "results": results, "voters": []}))  # fmt: skip
    forum_id = str(forum["id"])

    def known():
        try:
            sections = restitution.get_draft(forum_id)["sections"]
        except RemoteError:  # ForumNotFound until the forum's event has arrived
            return False
        rows = query(config, "SELECT count(*) AS n, count(checked_in_at) AS checked_in FROM registrations"
                             " WHERE forum_id = %s", forum_id)  # fmt: skip
        titled = sections and sections[0]["title"] != sections[0]["topic_id"]  # the title's event too
        return titled and (rows[0]["n"], rows[0]["checked_in"]) == (3, 1)

    wait_until(known, message="the facts known")
    return forum_id, str(chosen["id"])


def commitment(title="Publier les données", status="planned"):
    due = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
    return {"title": title, "owner": "DINUM", "due_on": due, "status": status}


def test_a_draft_is_prefilled_saved_with_a_version_check_and_published(
    restitution, tell, restitution_bus, service_config
):
    forum_id, chosen = a_forum_with_facts(tell, restitution, service_config)
    draft = restitution.get_draft(forum_id)
    assert draft["version"] == 0
    assert draft["sections"] == [{"title": "Données ouvertes", "body": "", "topic_id": chosen}]
    stated = {
        row["stakeholder_group"]: row for row in draft["facts"]["attendance"]
    }  # what publishing would state
    assert (stated["citizen"]["registered"], stated["citizen"]["checked_in"]) == (2, 1)
    assert draft["facts"]["results"]["agenda"] == [chosen] and draft["facts"]["carried_over"] == []
    section = draft["sections"][0] | {"body": "On a parlé <script>alert(1)</script> de données."}
    content = {"summary": "Un **forum** utile.", "decisions": ["Ouvrir les données"], "commitments": [commitment()],
               "sections": [section]}  # fmt: skip
    saved = restitution.save_draft(forum_id, content, 0)
    assert saved["version"] == 1
    assert failure(restitution.save_draft, forum_id, content, 0) == "VersionConflict"  # made on version 0
    assert failure(restitution.latest, forum_id) == "RestitutionNotFound"

    first = restitution.publish(forum_id, "")
    assert (first["version"], first["summary_html"]) == (1, "<p>Un <strong>forum</strong> utile.</p>")
    assert "<script" not in first["sections"][0]["html"] and "&lt;script&gt;" in first["sections"][0]["html"]
    citizens = next(row for row in first["attendance"] if row["stakeholder_group"] == "citizen")
    assert (citizens["registered"], citizens["checked_in"]) == (2, 1)
    assert first["results"]["agenda"] == [chosen] and first["results"]["titles"][chosen] == "Données ouvertes"
    [made] = first["commitments"]
    assert made["status"] == "planned" and made["history"] == []
    assert failure(restitution.publish, forum_id, "again") == "DraftInvalid"  # nothing changed

    draft = restitution.get_draft(forum_id)
    assert draft["commitments"][0]["id"] == made["id"]  # the draft names it now
    draft["decisions"].append("Se revoir en juin")
    restitution.save_draft(forum_id, {k: draft[k] for k in ("summary", "sections", "decisions", "commitments")},
                           draft["version"])  # fmt: skip
    assert failure(restitution.publish, forum_id, "") == "DraftInvalid"  # a later version says what changed
    second = restitution.publish(forum_id, "Une décision ajoutée")
    assert second["version"] == 2 and second["commitments"][0]["id"] == made["id"]  # the same commitment
    assert restitution.version(forum_id, 1)["decisions"] == ["Ouvrir les données"]  # version 1 unchanged
    assert [v["version"] for v in restitution.latest(forum_id)["versions"]] == [1, 2]
    published = [e for e in restitution_bus.drain() if e["type"] == "restitution_published"]
    assert [e["data"]["version"] for e in published] == [1, 2]
    assert published[0]["data"]["summary"] == "Un forum utile."


def a_forum(tell, restitution):
    """A forum the service knows, without facts: enough to draft and publish."""
    forum = forum_block()
    tell(registration_events.envelope("forum_scheduled", {"forum": forum}))
    forum_id = str(forum["id"])

    def known():
        try:
            return restitution.get_draft(forum_id)["version"] == 0
        except RemoteError:  # ForumNotFound until the forum's event has arrived
            return False

    wait_until(known, message="the forum known")
    return forum_id


def drafted(summary):
    return {"summary": summary, "sections": [], "decisions": [], "commitments": [commitment()]}


def keyed(config, key):
    """An RPC proxy whose calls carry an idempotency key, as the gateway's do."""
    return ServiceRpcProxy("restitution", config, context_data={"idempotency_key": key}, timeout=30)


def test_publishing_names_the_draft_version_read_and_a_draft_saved_since_is_not_published(
    restitution, tell, restitution_bus, service_config
):
    forum_id = a_forum(tell, restitution)
    read = restitution.save_draft(forum_id, drafted("Lu par Alice"), 0)  # what Alice reads, then confirms
    restitution.save_draft(forum_id, drafted("Enregistré par Bob"), read["version"])  # she never saw it
    with pytest.raises(RemoteError) as refused:
        restitution.publish(forum_id, "", read["version"])
    assert refused.value.exc_type == "VersionConflict"
    assert "changed since version 1" in refused.value.value and "at version 2 now" in refused.value.value
    assert failure(restitution.publish, forum_id, "", 7) == "VersionConflict"  # a version never saved
    assert failure(restitution.latest, forum_id) == "RestitutionNotFound"  # nothing published

    published = restitution.publish(forum_id, "", 2)  # the version she then read
    assert (published["version"], published["summary"]) == (1, "Enregistré par Bob")
    events = [e for e in restitution_bus.drain() if e["type"] == "restitution_published"]
    assert [(e["data"]["forum_id"], e["data"]["version"]) for e in events] == [(forum_id, 1)]
    audit = query(service_config, "SELECT details FROM audit_trail WHERE action = 'restitution_published'"
                  " AND subject = %s", forum_id)  # fmt: skip
    assert [row["details"] for row in audit] == [{"version": 1, "draft_version": 2}]

    draft = restitution.get_draft(forum_id)  # a client that names no version publishes the draft as it is
    restitution.save_draft(forum_id, {key: draft[key] for key in ("sections", "decisions", "commitments")}
                           | {"summary": "Corrigé"})  # fmt: skip
    assert restitution.publish(forum_id, "Corrigé")["summary"] == "Corrigé"


def test_a_save_under_way_when_publishing_starts_is_waited_for_and_its_draft_not_published(
    restitution, tell, service_config
):
    """A save holding the draft's row (read for update, then written) when publishing begins: publishing
    waits for it, then finds a draft other than the one named, and publishes nothing; the saved draft
    stays as saved (publishing names the draft's commitments: it must not write over a newer draft)."""
    forum_id = a_forum(tell, restitution)
    restitution.save_draft(forum_id, drafted("Lu par Alice"), 0)
    with psycopg.connect(service_config["DATABASE_URL"], options="-c search_path=restitution") as saving:
        saving.execute("SELECT 1 FROM drafts WHERE forum_id = %s FOR UPDATE", (forum_id,))
        saving.execute("UPDATE drafts SET version = 2, content = jsonb_set(content, '{summary}',"
                       " to_jsonb('Enregistré par Bob'::text)) WHERE forum_id = %s", (forum_id,))  # fmt: skip
        asked = restitution.publish.call_async(forum_id, "", 1)
        waiting = (
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        wait_until(lambda: query(service_config, waiting), message="publishing waiting for the save")
        saving.commit()
    assert failure(asked.result) == "VersionConflict"
    assert failure(restitution.latest, forum_id) == "RestitutionNotFound"
    draft = restitution.get_draft(forum_id)
    assert (draft["version"], draft["summary"]) == (2, "Enregistré par Bob")
    assert "id" not in draft["commitments"][0]  # not named by a publishing that did not happen
    assert restitution.publish(forum_id, "", 2)["summary"] == "Enregistré par Bob"


def test_publishing_sent_again_with_its_key_answers_as_first_even_once_the_draft_changed(
    restitution, tell, service_config
):
    forum_id = a_forum(tell, restitution)
    restitution.save_draft(forum_id, drafted("Première"), 0)
    key = str(uuid.uuid4())
    with keyed(service_config, key) as first, keyed(service_config, key) as retry:
        answer = first.publish(forum_id, "", 1)
        restitution.save_draft(forum_id, drafted("Seconde"), 1)  # the draft changes after it was published
        assert retry.publish(forum_id, "", 1) == answer  # the first answer, not a conflict
    assert [v["version"] for v in restitution.latest(forum_id)["versions"]] == [1]

    refused = str(uuid.uuid4())  # a conflict keeps no answer: its key is judged afresh each time
    with keyed(service_config, refused) as proxy:
        assert failure(proxy.publish, forum_id, "Seconde", 1) == "VersionConflict"
        assert failure(proxy.publish, forum_id, "Seconde", 1) == "VersionConflict"
        assert proxy.publish(forum_id, "Seconde", 2)["version"] == 2


def test_a_commitment_is_followed_across_the_series(restitution, tell, restitution_bus, service_config):
    forum_id, _ = a_forum_with_facts(tell, restitution, service_config)
    restitution.save_draft(forum_id, {"summary": "Résumé", "sections": [], "decisions": [],
                                      "commitments": [commitment()]})  # fmt: skip
    [made] = restitution.publish(forum_id, "")["commitments"]
    change = {"status": "in_progress", "note": "Le jeu de données est en préparation"}
    updated = restitution.update_commitment(made["id"], change)
    assert updated["status"] == "in_progress" and updated["history"][0]["note"] == change["note"]
    assert failure(restitution.update_commitment, made["id"], {"status": "in_progress", "note": ""}) == (
        "CommitmentChangeInvalid"
    )
    restitution.update_commitment(made["id"], {"status": "done", "note": "Publié"})
    assert failure(restitution.update_commitment, made["id"], {"status": "planned", "note": "?"}) == (
        "InvalidTransition"
    )  # done is final but for reopening into in_progress
    later_forum, _ = a_forum_with_facts(tell, restitution, service_config)
    restitution.save_draft(later_forum, {"summary": "Le forum suivant", "sections": [], "decisions": [],
                                         "commitments": []})  # fmt: skip
    earlier = restitution.publish(later_forum, "")["earlier_commitments"]
    mine = next(c for c in earlier if c["id"] == made["id"])
    assert mine["status"] == "done" and [h["to"] for h in mine["history"]] == ["in_progress", "done"]
    rows = list(csv.DictReader(io.StringIO(restitution.commitments_csv())))
    assert {"id": made["id"], "status": "done"}.items() <= next(
        r for r in rows if r["id"] == made["id"]
    ).items()
    updates = [e["data"] for e in restitution_bus.drain() if e["type"] == "commitment_updated"]
    assert [u["change"]["to"] for u in updates] == ["in_progress", "done"]
    assert updates[0]["commitment"]["id"] == made["id"]


def test_an_empty_draft_is_not_published_and_an_unknown_forum_is_404(restitution, tell, service_config):
    forum_id, _ = a_forum_with_facts(tell, restitution, service_config)
    assert failure(restitution.publish, forum_id, "") == "DraftInvalid"
    assert failure(restitution.get_draft, str(uuid.uuid4())) == "ForumNotFound"
    assert failure(restitution.save_draft, forum_id, {"summary": "x", "sections": "no"}) == "DraftInvalid"


# the discussion
def a_participant(tell, forum_id, config, group="civil_society"):
    """A registrant of the forum (told as registration's relay would) and the token of their link."""
    person = {"person_id": uuid.uuid4(), "token_version": 0, "email": f"{uuid.uuid4().hex[:8]}@example.org",
              "first_name": "A", "last_name": "B", "locale": "fr"}  # fmt: skip
    forum = forum_block() | {"id": uuid.UUID(forum_id)}
    tell(registration_events.envelope("registration_confirmed", {
        "registration_id": uuid.uuid4(), "forum": forum, "person": person, "organisation": "",
        "stakeholder_group": group, "status": "confirmed"}))  # fmt: skip
    wait_until(lambda: query(config, "SELECT 1 FROM people WHERE person_id = %s", person["person_id"]),
               message="the participant known")  # fmt: skip
    return str(person["person_id"]), tokens.mint(config["SECRET_KEY"], "manage", str(person["person_id"]))


def published_forum(tell, restitution, config):
    forum_id, _ = a_forum_with_facts(tell, restitution, config)
    restitution.save_draft(forum_id, {"summary": "Résumé", "sections": [], "decisions": [],
                                      "commitments": [commitment()]})  # fmt: skip
    return forum_id, restitution.publish(forum_id, "")


def test_comments_wait_for_moderation_by_default_and_take_one_level_of_replies(
    restitution, tell, restitution_bus, service_config
):
    forum_id, published = published_forum(tell, restitution, service_config)
    alice_id, alice = a_participant(tell, forum_id, service_config)
    bob_id, bob = a_participant(tell, forum_id, service_config, "company")
    assert restitution.comment_settings(forum_id)["moderation"] == "pre"

    first = restitution.post_comment(forum_id, alice, {"body": " Merci ! ", "author_name": "Alice",
                                                        "notify_replies": True})  # fmt: skip
    assert (first["status"], first["body"], first["author_name"]) == ("pending", "Merci !", "Alice")
    assert first["stakeholder_group"] == "civil_society"
    assert restitution.comments(forum_id)["items"] == []  # not public while it waits
    assert first["id"] in [c["id"] for c in restitution.pending_comments(forum_id)["items"]]
    assert failure(restitution.post_comment, forum_id, bob, {"body": "Non", "parent_id": first["id"]}) == (
        "CommentNotAllowed"
    )  # no reply to a pending comment
    restitution.approve_comment(first["id"])
    assert failure(restitution.approve_comment, first["id"]) == "InvalidTransition"

    restitution.set_comment_moderation(forum_id, "post")
    reply = restitution.post_comment(forum_id, bob, {"body": "D'accord", "parent_id": first["id"]})
    assert reply["status"] == "published" and reply["author_name"] is None
    assert failure(restitution.post_comment, forum_id, alice, {"body": "Et ?", "parent_id": reply["id"]}) == (
        "CommentNotAllowed"
    )  # one level of replies
    on_commitment = restitution.post_comment(
        forum_id, bob, {"body": "Quand ?", "commitment_id": published["commitments"][0]["id"]}
    )
    assert on_commitment["commitment_id"] == published["commitments"][0]["id"]

    hidden = restitution.hide_comment(on_commitment["id"], "Hors sujet")
    assert (hidden["status"], hidden["hidden_reason"]) == ("hidden", "Hors sujet")
    assert failure(restitution.hide_comment, on_commitment["id"], "encore") == "InvalidTransition"
    assert failure(restitution.hide_comment, first["id"], "  ") == "CommentInvalid"  # a reason is public
    assert failure(restitution.post_comment, forum_id, alice, {"body": "?", "parent_id": hidden["id"]}) == (
        "CommentNotAllowed"
    )
    shown = {c["id"]: c for c in restitution.comments(forum_id)["items"]}
    assert list(shown) == [first["id"], reply["id"], on_commitment["id"]]  # oldest first
    assert (
        shown[on_commitment["id"]]["body"] is None
        and shown[on_commitment["id"]]["hidden_reason"] == "Hors sujet"
    )
    assert shown[reply["id"]]["parent_id"] == first["id"]

    events = restitution_bus.drain()
    assert [e["data"]["comment"]["id"] for e in events if e["type"] == "comment_submitted"] == [
        first["id"], reply["id"], on_commitment["id"]]  # fmt: skip
    told = {e["data"]["comment"]["id"]: e["data"] for e in events if e["type"] == "comment_published"}
    assert set(told) == {first["id"], reply["id"], on_commitment["id"]}
    assert told[reply["id"]]["notify_person_id"] == alice_id  # Alice asked to be told of replies
    assert (
        told[first["id"]]["notify_person_id"] is None and told[reply["id"]]["comment"]["body"] == "D'accord"
    )
    [gone] = [e["data"] for e in events if e["type"] == "comment_hidden"]
    assert (gone["comment"]["id"], gone["reason"]) == (on_commitment["id"], "Hors sujet")
    assert bob_id not in str([e["data"] for e in events if e["type"] == "comment_submitted"])


def test_a_comment_needs_a_published_restitution_a_participant_and_a_target_it_shows(
    restitution, tell, service_config
):
    forum_id, _ = a_forum_with_facts(tell, restitution, service_config)
    _, alice = a_participant(tell, forum_id, service_config)
    assert failure(restitution.post_comment, forum_id, alice, {"body": "Tôt"}) == "CommentNotAllowed"
    assert failure(restitution.comments, forum_id) == "RestitutionNotFound"
    other_forum, other = published_forum(tell, restitution, service_config)
    stranger = tokens.mint(service_config["SECRET_KEY"], "manage", str(uuid.uuid4()))
    assert failure(restitution.post_comment, other_forum, stranger, {"body": "Hi"}) == "NotAParticipant"
    assert failure(restitution.post_comment, other_forum, "forged", {"body": "Hi"}) == "InvalidToken"
    unknown = {"body": "Hi", "commitment_id": str(uuid.uuid4())}
    assert failure(restitution.post_comment, other_forum, alice, unknown) == "CommentInvalid"
    restitution.set_comment_moderation(other_forum, "post")
    elsewhere = restitution.post_comment(other_forum, alice, {"body": "Ailleurs"})
    restitution.save_draft(
        forum_id, {"summary": "Résumé", "sections": [], "decisions": [], "commitments": []}
    )
    restitution.publish(forum_id, "")
    assert failure(
        restitution.post_comment, forum_id, alice, {"body": "x", "parent_id": elsewhere["id"]}
    ) == ("CommentInvalid")  # a reply stays in its forum's discussion
    earlier = {"body": "Et celui-ci ?", "commitment_id": other["commitments"][0]["id"]}
    assert restitution.post_comment(forum_id, alice, earlier)["status"] == "pending"  # shown as earlier
    assert failure(restitution.set_comment_moderation, forum_id, "none") == "SettingsInvalid"


def test_an_erased_persons_comments_stay_without_author(restitution, tell, service_config):
    forum_id, _ = published_forum(tell, restitution, service_config)
    restitution.set_comment_moderation(forum_id, "post")
    alice_id, alice = a_participant(tell, forum_id, service_config)
    posted = restitution.post_comment(forum_id, alice, {"body": "Bonjour", "author_name": "Alice"})
    erased = {"person_id": uuid.UUID(alice_id), "email": "gone@example.org", "erased_by": "person"}
    tell(registration_events.envelope("person_erased", erased))

    def forgotten():
        [shown] = [c for c in restitution.comments(forum_id)["items"] if c["id"] == posted["id"]]
        return (
            shown["author_name"] is None and shown["stakeholder_group"] is None and shown["body"] == "Bonjour"
        )

    wait_until(forgotten, message="the comment without its author")
    assert (
        query(service_config, "SELECT count(*) AS n FROM comments WHERE author_id = %s", alice_id)[0]["n"]
        == 0
    )
    assert failure(restitution.post_comment, forum_id, alice, {"body": "Encore"}) == "InvalidToken"


def test_a_restitution_states_the_topics_its_forum_carried_over_and_those_carried_to_it(
    restitution, tell, service_config
):
    forum_id, _ = a_forum_with_facts(tell, restitution, service_config)
    next_forum, _ = a_forum_with_facts(tell, restitution, service_config)
    onward, backlog = topic_block(forum_id, "Lobbying"), topic_block(forum_id, "Algorithmes publics")
    standing = {"round_id": str(uuid.uuid4()), "method": "approval", "score": 1.0, "rank": 2}
    for block, to in ((onward, uuid.UUID(next_forum)), (backlog, None)):
        tell(topics_events.envelope("topic_carried_over", {"topic": block, "from_forum_id": uuid.UUID(forum_id),
                                                            "to_forum_id": to, "why": "Faute de temps",
                                                            "standing": standing}))  # fmt: skip
    wait_until(lambda: len(query(service_config, "SELECT 1 FROM carry_overs WHERE from_forum_id = %s", forum_id))
               == 2, message="the carry-overs known")  # fmt: skip
    restitution.save_draft(
        forum_id, {"summary": "Résumé", "sections": [], "decisions": [], "commitments": []}
    )
    first = restitution.publish(forum_id, "")
    assert [(t["title"], t["to_forum_id"], t["why"], t["standing"]["rank"]) for t in first["carried_over"]] == [
        ("Lobbying", next_forum, "Faute de temps", 2), ("Algorithmes publics", None, "Faute de temps", 2)]  # fmt: skip
    assert first["carried_in"] == []
    restitution.save_draft(
        next_forum, {"summary": "Suite", "sections": [], "decisions": [], "commitments": []}
    )
    second = restitution.publish(next_forum, "")
    assert [(t["title"], t["from_forum_id"]) for t in second["carried_in"]] == [("Lobbying", forum_id)]
    assert second["carried_over"] == []
