"""The notification service and a restitution published, without a broker: what it reads from the event,
what its email says (``rules.restitution_message``, ``rules.summary_excerpt``) and its words in both
languages, for a registrant and for a subscriber."""

import uuid

import pytest
from marshmallow import ValidationError

from kit.events import InvalidEvent, read_envelope
from services.notification import rules
from services.notification.incoming import RESTITUTION_SCHEMAS
from services.notification.links import Links
from services.notification.rendering import Renderer
from services.restitution.events import catalog

RENDERER = Renderer()
FORUM_ID = uuid.uuid4()
LINKS = Links("https://forums.example.org/", "unit-secret")


def published(**changes):
    data = {"forum_id": FORUM_ID, "title": "Forum de mai", "version": 1, "note": "", "commitments": 3}
    return data | {"summary": "Ce qui s'est dit.\n\nCe qui a été décidé."} | changes


def read(data):
    envelope = catalog.envelope("restitution_published", data)
    return read_envelope(envelope, RESTITUTION_SCHEMAS["restitution_published"])[1]


def render(locale, data, links=None):
    context = rules.restitution_message(data) | {"person": {"first_name": "Ana", "last_name": "Martin"}}
    context["links"] = {"restitution": LINKS.restitution(data["forum_id"], locale)} | (links or {})
    return RENDERER.render("restitution_published", locale, context)


def test_the_event_is_read_as_the_contract_makes_it_and_one_that_does_not_fit_is_invalid():
    data = read(published() | {"a_field_added_later": 1})
    assert data["forum_id"] == FORUM_ID and data["version"] == 1 and data["commitments"] == 3
    with pytest.raises(InvalidEvent):
        read({key: value for key, value in published().items() if key != "title"})
    with pytest.raises(ValidationError):
        RESTITUTION_SCHEMAS["restitution_published"].load(published(forum_id=str(FORUM_ID), version=0))


def test_the_excerpt_is_the_summarys_first_lines_each_on_one_line():
    assert rules.summary_excerpt("  First\tline \n\n\nSecond  line\n") == ["First line", "Second line"]
    assert rules.summary_excerpt("") == [] and rules.summary_excerpt("\n \n") == []


def test_the_excerpt_says_where_something_was_left_out():
    many = "\n".join(f"Line {n}." for n in range(1, 9))
    assert rules.summary_excerpt(many, lines=3) == ["Line 1.", "Line 2.", "Line 3…"]
    long = "A short one.\n" + "word " * 200
    cut = rules.summary_excerpt(long, chars=60)
    assert cut[0] == "A short one." and cut[1].endswith("word…")
    assert sum(len(line) for line in cut) <= 60 + 1  # the ellipsis
    assert rules.summary_excerpt("x" * 100, chars=10) == ["x" * 10 + "…"]  # no word to cut at


def test_version_one_is_published_and_later_ones_are_updates_with_their_note():
    first = rules.restitution_message(published(note="ignored"))
    assert first["restitution"] == {
        "title": "Forum de mai",
        "version": 1,
        "updated": False,
        "note": "",
        "commitments": 3,
    }
    second = rules.restitution_message(published(version=2, note="  Ajout de l'atelier B "))
    assert second["restitution"]["updated"] and second["restitution"]["note"] == "Ajout de l'atelier B"
    assert second["excerpt"] == ["Ce qui s'est dit.", "Ce qui a été décidé."]


def test_a_registrant_reads_of_the_restitution_in_french_with_its_public_page():
    fr = render("fr", published())
    assert fr.subject == "La restitution de « Forum de mai » est publiée"
    assert "Elle comporte 3 engagements" in fr.text
    assert "> Ce qui s'est dit.\n> Ce qui a été décidé." in fr.text
    assert f"https://forums.example.org/restitutions/{FORUM_ID}" in fr.text
    assert "#token" not in fr.text and "inscrit·e à ce forum" in fr.text
    assert "<blockquote" in fr.html and "Ce qui a été décidé.</p>" in fr.html


def test_an_update_says_so_and_what_changed_in_english_and_a_subscriber_can_unsubscribe():
    en = render("en", published(version=2, note="Workshop B added", commitments=1), {"unsubscribe": "U"})
    assert en.subject == 'The restitution of "Forum de mai" is updated'
    assert "(version 2)" in en.text and "What changed: Workshop B added" in en.text
    assert "It makes 1 commitment," in en.text and "To stop receiving it: U" in en.text
    assert f"https://forums.example.org/en/restitutions/{FORUM_ID}" in en.text  # the page in English


def test_no_commitment_and_no_summary_leave_nothing_half_said():
    fr = render("fr", published(commitments=0, summary=""))
    assert "aucun engagement" in fr.text and "résumé" not in fr.text and "<blockquote" not in fr.html
    assert "Ce qui change" not in fr.text
