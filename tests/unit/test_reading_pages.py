"""The reading pages' rules (gateway.routes.reading): the register's filters, the agenda's places, where
to report a barrier; and the pages rendered from plain data, hostile text shown as text."""

from werkzeug.datastructures import MultiDict

from gateway.pages import render
from gateway.routes.reading import (
    accessibility_contacts,
    agenda_places,
    filters_of,
    forum_order,
    matching,
    owners,
)
from gateway.site import translator

HOSTILE = "<script>window.__pwned=1</script>"
ITEMS = [
    {"id": "c1", "forum_id": "f1", "title": "Ouvrir", "owner": "DINUM", "due_on": "2027-06-30",
     "status": "planned", "history": []},
    {"id": "c2", "forum_id": "f2", "title": "Publier", "owner": "dgfip", "due_on": None,
     "status": "done", "history": [{"on": "2027-01-02", "from": "planned", "to": "done", "note": "Fait"}]},
    {"id": "c3", "forum_id": "f2", "title": HOSTILE, "owner": HOSTILE, "due_on": "2027-01-01",
     "status": "planned", "history": []},
]  # fmt: skip
FORUMS = {"f2": {"title": "Second", "starts_at": "2027-02-01T09:00:00+00:00", "timezone": "Europe/Paris"},
          "f1": {"title": "Premier", "starts_at": "2027-01-01T09:00:00+00:00", "timezone": "Europe/Paris"}}  # fmt: skip


def test_filters_are_the_non_blank_parameters_trimmed():
    args = MultiDict({"owner": "  DINUM ", "status": "", "forum": "f1", "other": "x"})
    assert filters_of(args) == {"owner": "DINUM", "forum": "f1"}
    assert filters_of(MultiDict()) == {}


def test_every_chosen_filter_must_match():
    assert [c["id"] for c in matching(ITEMS, {})] == ["c1", "c2", "c3"]
    assert [c["id"] for c in matching(ITEMS, {"status": "planned"})] == ["c1", "c3"]
    assert [c["id"] for c in matching(ITEMS, {"status": "planned", "forum": "f2"})] == ["c3"]
    assert matching(ITEMS, {"owner": "dinum"}) == []  # as written
    assert matching(ITEMS, {"status": "nonsense"}) == []


def test_choices_are_each_owner_once_and_forums_by_date():
    assert owners(ITEMS + ITEMS) == [HOSTILE, "dgfip", "DINUM"]
    assert forum_order(FORUMS | {"f3": {"title": "", "starts_at": None}}) == ["f1", "f2", "f3"]


def test_agenda_places_start_at_one():
    assert agenda_places({"agenda": ["t2", "t1"]}) == {"t2": 1, "t1": 2}
    assert agenda_places(None) == {} and agenda_places({"agenda": None}) == {}


def test_a_barrier_is_reported_to_the_setting_else_the_organisers_else_the_sender():
    sender = {"MAIL_FROM": "Open d'Etat <forums@example.org>"}
    assert accessibility_contacts(sender) == ["forums@example.org"]
    organisers = sender | {"ORGANISER_EMAILS": "a@example.org, b@example.org,, a@example.org"}
    assert accessibility_contacts(organisers) == ["a@example.org", "b@example.org"]
    assert accessibility_contacts(organisers | {"ACCESSIBILITY_CONTACT": "x@example.org"}) == [
        "x@example.org"
    ]
    assert accessibility_contacts({}) == []


def page(template, lang, **context):
    link = (lambda path: "/en" + path) if lang == "en" else (lambda path: path)
    words = {"lang": lang, "_": translator(lang), "link": link, "switch": "/", "switch_lang": "fr"}
    return render(template, cached=True, **words, **context).get_data(as_text=True)


def test_the_register_says_status_in_words_and_hostile_text_as_text():
    common = {"total": 3, "owners": owners(ITEMS), "forums": FORUMS, "forum_order": forum_order(FORUMS)}
    html = page("commitments.html", "en", items=ITEMS[1:], chosen={"forum": "f2"}, **common)
    assert "<script>window" not in html and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "2 commitment(s) out of 3 match these filters." in html
    assert "Status: done" in html and "from “planned” to “done”" in html and "2 January 2027" in html
    assert 'href="/en/restitutions/f2#commitment-c2"' in html and '<option value="f2" selected>' in html
    assert 'action="/en/commitments"' in html and 'href="/en/accessibility"' in html
    french = page("commitments.html", "fr", items=ITEMS, chosen={}, **common)
    assert "3 engagement(s)." in french and "État : prévu" in french and "30 juin 2027" in french
    assert 'href="/restitutions/f1#commitment-c1"' in french  # each page's links keep its language


def test_the_statement_and_the_topics_page_render_in_both_languages():
    for lang, words in (("fr", "partiellement conforme"), ("en", "partially compliant")):
        html = page("accessibility.html", lang, contacts=["a@example.org"], statement_date="2026-11-30")
        assert words in html and 'href="mailto:a@example.org"' in html and "Défenseur des droits" in html
    forum = {"id": "f1", "title": HOSTILE}
    topics = [{"id": "t1", "title": HOSTILE, "description": "", "proposed_by": "participant"}]
    html = page("topics.html", "en", forum=forum, topics=topics, results={"round_id": "r1"}, agenda={"t1": 1})
    assert "<script>window" not in html and "on the agenda (place 1)" in html
    assert 'href="/en/rounds/r1/results"' in html
