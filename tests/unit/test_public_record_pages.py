"""The restitution pages, a round's results and vote pages, and the pages of the emailed links, rendered from
plain data in French and in English: each page wholly in its language (no phrase of the other), its dates
written as that language writes them, its links to other pages keeping it, the open data and the feed at
their one address; hostile text shown as text."""

import re

import pytest
from markupsafe import escape

from gateway.pages import render
from gateway.site import ENGLISH, in_lang, translator

HOSTILE = "<script>window.__pwned=1</script>"
SHOWN = "&lt;script&gt;window.__pwned=1&lt;/script&gt;"
FORUM_ID = "0f0f0f0f-0000-4000-8000-000000000001"
ZONE = "Europe/Paris"
FORUM = {"id": FORUM_ID, "title": HOSTILE, "timezone": ZONE,
         "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T17:00:00+01:00"}  # fmt: skip
COMMITMENT = {
    "id": "c1",
    "forum_id": FORUM_ID,
    "title": HOSTILE,
    "owner": "DINUM",
    "due_on": "2027-06-30",
    "status": "done",
    "history": [{"on": "2027-01-02", "from": "planned", "to": "done", "note": "Fait"}],
}
PUBLISHED = "2027-03-02T10:00:00+01:00"
RESTITUTION = {
    "forum": FORUM, "version": 1, "published_at": PUBLISHED, "note": "",
    "versions": [{"version": 1, "published_at": PUBLISHED, "note": ""},
                 {"version": 2, "published_at": "2027-03-09T10:00:00+01:00", "note": "Précisé"}],
    "summary_html": "<p>Synthèse</p>", "sections": [], "decisions": ["Publier"],
    "attendance": [{"stakeholder_group": "citizen", "registered": 3, "checked_in": 2}],
    "results": {"round_id": "r1", "method": "dots", "ballots": 4, "agenda": ["t1"],
                "ranking": [{"topic_id": "t1", "score": 3.0}, {"topic_id": "t2abcdefgh", "score": 1}],
                "titles": {"t1": "Eau"}},
    "carried_over": [{"topic_id": "t2abcdefgh", "title": "", "to_forum_id": None, "standing": {"rank": 2},
                      "why": "Plus tard"}],
    "carried_in": [],
    "commitments": [COMMITMENT],
    "earlier_commitments": [COMMITMENT | {"id": "c0", "forum_id": "f0"}],
}  # fmt: skip
COMMENT = {
    "id": "k1",
    "status": "published",
    "author_name": None,
    "stakeholder_group": "company",
    "published_at": "2027-03-04T10:00:00+01:00",
    "body": HOSTILE,
    "parent_id": None,
    "commitment_id": None,
}
HIDDEN = COMMENT | {"id": "k2", "status": "hidden", "hidden_reason": "Hors sujet"}
ROUND = {"id": "r1", "forum_id": FORUM_ID, "method": "approval", "max_choices": 2, "status": "closed",
         "closes_at": "2027-03-01T12:00:00+01:00", "closed_at": "2027-03-01T11:00:00+01:00",
         "agenda_size": 1, "agenda_from": "overall", "topic_ids": ["t1", "t2abcdefgh"]}  # fmt: skip
RESULTS = {"ballots": 5, "paper": {"civil_society": 3}, "agenda": ["t1"], "running": False,
           "ranking": [{"topic_id": "t1", "score": 4.0}, {"topic_id": "t2abcdefgh", "score": 1.0}],
           "by_group": {"civil_society": [{"topic_id": "t1", "score": 3}]},
           "consensus": [{"topic_id": "t1", "score": 0.6667}]}  # fmt: skip
# French phrases of the catalog whose English differs: none may show on an English page
FRENCH = [str(escape(f)) for f, e in ENGLISH.items() if f != e and "{" not in f and len(f) > 12]


def page(template, lang, french_path="/", **context):
    """The page as the gateway renders it at ``french_path`` in ``lang`` (gateway.site.page_context)."""
    other = "en" if lang == "fr" else "fr"
    words = {"lang": lang, "_": translator(lang), "link": lambda path: in_lang(path, lang),
             "switch": in_lang(french_path, other), "switch_lang": other}  # fmt: skip
    return render(template, cached=True, **words, **context).get_data(as_text=True)


def only_in(lang, html):
    """The page says its language once, and the other language only on the switcher (a link to itself in
    the other language, marked as such); no French phrase of the catalog on an English page."""
    other = "en" if lang == "fr" else "fr"
    assert f'<html lang="{lang}">' in html
    assert re.findall(r'\slang="([a-z]+)"', html) == [lang, other], "a passage in another language"
    assert 'class="en"' not in html and " / " not in re.sub(r"<[^>]+>", "", html)
    if lang == "en":
        assert [phrase for phrase in FRENCH if phrase in html] == []


def restitution_page(lang):
    discussion = {None: [(COMMENT, [HIDDEN])], "c1": [(COMMENT, [])]}
    return page("restitution.html", lang, f"/restitutions/{FORUM_ID}/versions/1", r=RESTITUTION, latest=2,
                superseded=True, zone=ZONE, discussion=discussion)  # fmt: skip


def test_a_restitution_in_french_is_in_french_with_its_links_at_their_french_address():
    html = restitution_page("fr")
    only_in("fr", html)
    assert "Vous lisez la version 1, remplacée par une version plus récente (version 2)." in html
    assert "Version 1, publiée le 2 mars 2027, 10:00" in html and "Forum du 1 mars 2027, 09:00 au" in html
    assert "Échéance : 30 juin 2027" in html and "2 janvier 2027 : prévu → réalisé — Fait" in html
    assert "au forum suivant" not in html and "à la réserve de sujets de la série, 2e du vote" in html
    assert f'href="/en/restitutions/{FORUM_ID}/versions/1" hreflang="en" lang="en">English</a>' in html
    assert f'<link rel="alternate" hreflang="en" href="/en/restitutions/{FORUM_ID}/versions/1">' in html
    for href in (f"/restitutions/{FORUM_ID}", f"/restitutions/{FORUM_ID}/versions/2", "/rounds/r1/results",
                 "/restitutions/f0#commitment-c0", f"/me/forums/{FORUM_ID}/comments/new?commitment=c1"):  # fmt: skip
        assert f'href="{href}"' in html, href


def test_a_restitution_in_english_is_all_english_its_dates_too_and_its_links_stay_english():
    html = restitution_page("en")
    only_in("en", html)
    assert "You are reading version 1, superseded by a later one (version 2)." in html
    assert "Version 1, published on 2 March 2027, 10:00" in html and "9 March 2027, 10:00 — Précisé" in html
    assert "Forum from 1 March 2027, 09:00 to 1 March 2027, 17:00" in html
    assert "Due: 30 June 2027" in html and "2 January 2027: planned → done — Fait" in html
    assert "Status: <strong>done</strong>" in html and '<th scope="row">citizens</th>' in html
    assert "Voting method: Dots — 4 ballot(s)." in html and "Topic t2abcdef" in html
    assert "to the series&#39; backlog, ranked 2 in the vote: Plus tard" in html
    assert "A participant</strong> (companies),\n    4 March 2027, 10:00" in html
    assert "Comment hidden by the moderators:</strong> Hors sujet" in html
    assert 'aria-label="Replies"' in html and "mars" not in html and "juin" not in html
    assert f'href="/restitutions/{FORUM_ID}/versions/1" hreflang="fr" lang="fr">Français</a>' in html
    for href in (f"/en/restitutions/{FORUM_ID}", f"/en/restitutions/{FORUM_ID}/versions/2", "/en/rounds/r1/results",
                 "/en/restitutions/f0#commitment-c0", f"/en/me/forums/{FORUM_ID}/comments/new?commitment=c1",
                 f"/en/me/forums/{FORUM_ID}/comments/new?parent=k1", "/en/restitutions", "/en/accessibility"):  # fmt: skip
        assert f'href="{href}"' in html, href
    # the open data and the feed have one address, whatever the page's language
    for href in (f"/api/v1/forums/{FORUM_ID}/restitution/versions/1", f"/api/v1/forums/{FORUM_ID}/restitution",
                 f"/api/v1/forums/{FORUM_ID}/attendance.csv", "/api/v1/commitments.csv", "/restitutions/feed.atom",
                 "/api/v1/restitution.schema.json"):  # fmt: skip
        assert f'href="{href}"' in html, href
    assert "/en/api/" not in html and "/en/restitutions/feed.atom" not in html
    assert HOSTILE not in html and f"Comment on the commitment “{SHOWN}”" in html


def test_the_restitutions_index_in_each_language():
    items = [{"forum_id": FORUM_ID, "title": "", "version": 2, "timezone": ZONE,
              "starts_at": FORUM["starts_at"], "published_at": PUBLISHED}]  # fmt: skip
    french = page("restitutions.html", "fr", "/restitutions", items=items)
    only_in("fr", french)
    assert "Forum du 1 mars 2027, 09:00" in french and "Version 2, publiée le 2 mars 2027, 10:00" in french
    assert f'href="/restitutions/{FORUM_ID}">Forum 0f0f0f0f</a>' in french
    english = page("restitutions.html", "en", "/restitutions", items=items)
    only_in("en", english)
    assert (
        "Forum of 1 March 2027, 09:00" in english and "Version 2, published on 2 March 2027, 10:00" in english
    )
    assert f'href="/en/restitutions/{FORUM_ID}">Forum 0f0f0f0f</a>' in english
    assert 'href="/restitutions/feed.atom"' in english and 'href="/api/v1/restitutions"' in english
    assert "Register of commitments (CSV)" in english and "No restitution published yet." not in english
    assert "No restitution published yet." in page("restitutions.html", "en", "/restitutions", items=[])


def test_a_closed_rounds_results_in_each_language():
    french = page("results.html", "fr", "/rounds/r1/results", round=ROUND, results=RESULTS,
                  titles={"t1": HOSTILE}, forum=FORUM)  # fmt: skip
    only_in("fr", french)
    assert "Clos le 1 mars 2027, 11:00." in french and "5 bulletin(s), dont sur papier :" in french
    assert (
        "société civile : 3" in french
        and "66,67\u00a0%" in french
        and "<caption>société civile</caption>" in french
    )
    english = page("results.html", "en", "/rounds/r1/results", round=ROUND, results=RESULTS,
                   titles={"t1": HOSTILE}, forum=FORUM)  # fmt: skip
    only_in("en", english)
    assert "Closed on 1 March 2027, 11:00." in english and "5 ballot(s), of which on paper:" in english
    assert (
        "civil society: 3" in english
        and "66.67%" in english
        and "<caption>civil society</caption>" in english
    )
    assert f"Forum: {SHOWN}" in english and HOSTILE not in english
    assert "The first 1 topic(s) of the overall ranking." in english and "Topic t2abcdef" in english
    assert 'href="/api/v1/rounds/r1/results.csv"' in english  # the data: one address


def test_an_open_rounds_results_say_when_they_come_in_each_language():
    still = ROUND | {"status": "open", "closed_at": None}
    french = page(
        "results.html", "fr", "/rounds/r1/results", round=still, results=None, titles={}, forum=None
    )
    assert "publiés à sa clôture, le 1 mars 2027, 12:00." in french and "<table" not in french
    english = page(
        "results.html", "en", "/rounds/r1/results", round=still, results=None, titles={}, forum=None
    )
    only_in("en", english)
    assert "This round is not closed yet: its results come when it closes, on 1 March 2027, 12:00." in english
    assert "Topics put to the vote" in english and "<table" not in english


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_404_of_a_record_page_is_in_its_language(lang):
    for what in ("round", "restitution"):
        html = page("not_found.html", lang, "/restitutions/x", what=what)
        only_in(lang, html)
    assert ("Page introuvable" if lang == "fr" else "Page not found") in html
    assert f'href="{in_lang("/restitutions", lang)}"' in html and f'href="{in_lang("/", lang)}"' in html


def script_words(html):
    """What a page's script will say: the JSON it is given (vote(…, words) or const WORDS = …)."""
    found = re.search(r"(?:const WORDS = |vote\([^,]+, [^,]+, )(\{.*\})\)?;", html)
    return found.group(1)


def test_the_vote_page_and_its_script_speak_the_pages_language():
    context = {"forum_id": FORUM_ID, "round_id": "r1", "groups": ["citizen", "company"]}
    french = page("vote.html", "fr", f"/forums/{FORUM_ID}/rounds/r1", **context)
    only_in("fr", french)
    assert '<option value="citizen">citoyens</option>' in french and '"fr-FR"' in script_words(french)
    english = page("vote.html", "en", f"/forums/{FORUM_ID}/rounds/r1", **context)
    only_in("en", english)
    assert '<option value="citizen">citizens</option>' in english and "Save my vote" in english
    assert 'href="/en/rounds/r1/results"' in english and 'href="/en/me/rounds/r1"' in english
    words = script_words(english)
    assert (
        '"en-GB"' in words and "Your ballot is saved." in words and "Points left: {left} of {budget}" in words
    )
    assert not [phrase for phrase in FRENCH if phrase.replace("&#39;", "\\u0027") in words]


def test_the_emailed_links_pages_and_their_scripts_speak_the_pages_language():
    manage = page("manage.html", "en", "/manage")
    only_in("en", manage)
    assert "My registrations and my data" in manage and 'href="/en/me"' in manage
    words = script_words(manage)
    assert '"session": "/en/me/session"' in words and '"Attendee code: {code}"' in words
    assert '"session": "/me/session"' in script_words(page("manage.html", "fr", "/manage"))
    confirm = page("confirm.html", "en", "/subscriptions/confirm")
    only_in("en", confirm)
    assert "Confirm my subscription" in confirm and "Subscription confirmed, thank you." in script_words(
        confirm
    )
    only_in("fr", page("confirm.html", "fr", "/subscriptions/confirm"))
