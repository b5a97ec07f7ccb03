"""The reading pages in a real browser: the commitments register filtered without JavaScript (the filters
in the address, kept by the language switcher), a forum's topics with its round's results, the
restitutions and a round's results, and the accessibility statement linked from every page's footer; each
in French and English at both widths with no console error, no broken link and no serious or critical
axe-core violation; hostile text shown as text and never run."""

import re
import uuid
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from e2e.test_topic_pages import titled
from e2e.test_topics import approval, ballot, participants
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness.testing import wait_until

HOSTILE = "<script>window.__pwned=1</script>"


def commitment(title, owner, status, due_on="2027-06-30"):
    return {"title": title, "owner": owner, "due_on": due_on, "status": status}


def published(api, forum, commitments, sections=()):
    """The forum's restitution published with these commitments (once the service knows the forum)."""
    path = f"/forums/{forum['id']}/restitution"
    content = {"summary": "Synthèse du forum.", "sections": list(sections), "decisions": [],
               "commitments": commitments}  # fmt: skip
    wait_until(lambda: api.organiser("PUT", path, json=content).status_code == 200, 30, message="a draft")
    made = api.organiser("POST", f"{path}/publish", json={})
    assert made.status_code == 201, made.text
    return made.json()["commitments"]


@pytest.fixture(scope="module")
def register(api, mail):
    """Two forums' commitments, two owners of this run's own (and a hostile one), three statuses; the
    first forum with published topics (a hostile title among them) and a closed round."""
    tag = uuid.uuid4().hex[:6]
    owners = (f"Ministère des Données {tag}", f"Agence du Numérique {tag}")
    first = api.create_forum(title=f"Forum des communs {tag}")
    carol, dan = participants(api, mail, first, "company", "citizen")
    topic, other = titled(api, first, f"Données ouvertes {tag}", HOSTILE)
    opened = api.organiser("POST", f"/forums/{first['id']}/rounds", json=approval())
    assert opened.status_code == 201, opened.text
    for token in (carol, dan):
        assert ballot(api, opened.json()["id"], token, {"choices": [topic]}).status_code == 200
    assert api.organiser("POST", f"/rounds/{opened.json()['id']}/close").status_code == 200
    path = f"/forums/{first['id']}/restitution"
    wait_until(lambda: api.organiser("GET", f"{path}/draft").json().get("sections"), 30, message="sections")
    sections = api.organiser("GET", f"{path}/draft").json()["sections"]
    made = published(api, first, [commitment(f"Ouvrir le jeu {tag}", owners[0], "planned"),
                                  commitment(f"Former les agents {tag}", owners[1], "in_progress")],
                     [s | {"body": "Ce qui a été dit."} for s in sections])  # fmt: skip
    second = api.create_forum(title=f"Forum des territoires {tag}")
    made += published(api, second, [commitment(f"Publier les codes {tag}", owners[0], "in_progress"),
                                    commitment(f"Évaluer {tag}", HOSTILE, "planned")])  # fmt: skip
    changed = api.organiser(
        "PATCH", f"/commitments/{made[0]['id']}", json={"status": "done", "note": f"Jeu publié {HOSTILE}"}
    )
    assert changed.status_code == 200, changed.text
    return SimpleNamespace(tag=tag, owners=owners, first=first, second=second, made=made,
                           round_id=opened.json()["id"], topics=(topic, other))  # fmt: skip


def titles(tab):
    return tab.js("Array.from(document.querySelectorAll('#commitments h3'), (h) => h.textContent)")


def test_the_register_filters_without_javascript_and_the_switcher_keeps_them(browser, register):
    tab = browser(javascript=False, viewport="phone")
    assert tab.open("/commitments") == []
    Select(tab.driver.find_element(By.ID, "owner")).select_by_visible_text(register.owners[0])
    tab.send("Afficher")
    assert parse_qs(urlsplit(tab.js("location.href")).query)["owner"] == [register.owners[0]]
    tag = register.tag
    assert sorted(titles(tab)) == sorted([f"Ouvrir le jeu {tag}", f"Publier les codes {tag}"])
    count = tab.js("document.getElementById('count').textContent")
    assert re.fullmatch(r"2 engagement\(s\) sur \d+ répondent à ces filtres\.", count), count
    Select(tab.driver.find_element(By.ID, "status")).select_by_visible_text("En cours")
    tab.send("Afficher")
    assert titles(tab) == [f"Publier les codes {tag}"]
    assert tab.js("document.getElementById('count').textContent").startswith("1 engagement(s) sur ")
    words = tab.js("document.querySelector('#commitments li').innerText")
    assert "État : en cours" in words and "30 juin 2027" in words and register.second["title"] in words
    tab.screenshot("filtered-fr")

    tab.driver.find_element(By.CSS_SELECTOR, "a[hreflang=en]").click()  # the switcher
    tab.wait("document.documentElement.lang === 'en'")
    address = urlsplit(tab.js("location.href"))
    assert address.path == "/en/commitments"
    assert parse_qs(address.query) == {"owner": [register.owners[0]], "status": ["in_progress"]}
    assert titles(tab) == [f"Publier les codes {tag}"]
    assert tab.js("document.getElementById('count').textContent").startswith("1 commitment(s) out of ")
    forum_link = tab.js("document.querySelector('[id^=commitment-] a').getAttribute('href')")
    assert forum_link.startswith("/en/restitutions/")  # to the restitution in the page's language
    assert tab.js("document.getElementById('status').value") == "in_progress"
    tab.driver.find_element(By.LINK_TEXT, "Remove the filters").click()
    tab.wait("location.search === '' && document.querySelector('h1')")
    assert {f"Ouvrir le jeu {tag}", f"Former les agents {tag}", f"Évaluer {tag}"} <= set(titles(tab))


def test_a_commitment_says_its_forum_and_dated_history(browser, register):
    tab = browser(javascript=False)
    done = register.made[0]
    assert tab.open(f"/commitments?forum={register.first['id']}&status=done") == []
    assert titles(tab) == [f"Ouvrir le jeu {register.tag}"]
    item = f"document.getElementById('commitment-{done['id']}')"
    words = tab.js(f"{item}.innerText")
    assert "État : réalisé" in words and "de « prévu » à « réalisé »" in words
    assert f"Jeu publié {HOSTILE}" in words  # the note as text
    link = tab.js(f"{item}.querySelector('a').getAttribute('href')")
    assert link == f"/restitutions/{register.first['id']}#commitment-{done['id']}"
    assert tab.broken_links() == []


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_reading_pages_pass_axe(browser, register, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)
    pages = {
        "commitments": f"{prefix}/commitments?forum={register.second['id']}",
        "commitments-all": f"{prefix}/commitments",
        "topics": f"{prefix}/forums/{register.first['id']}/topics",
        "accessibility": f"{prefix}/accessibility",
        "restitutions": f"{prefix}/restitutions",
        "restitution": f"{prefix}/restitutions/{register.first['id']}",
        "results": f"{prefix}/rounds/{register.round_id}/results",
    }
    for label, path in pages.items():
        assert tab.open(path) == [], path
        assert tab.js("document.documentElement.lang") == lang
        assert tab.js("document.documentElement.scrollWidth") <= tab.width, path
        assert tab.axe() == [], path
        if label != "commitments-all":  # the whole register links every forum's restitution: once, below
            assert tab.broken_links() == [], path
        assert tab.js("window.__pwned") is None
        footer = tab.js("document.querySelector('footer a').getAttribute('href')")
        assert footer == f"{prefix}/accessibility"
        tab.screenshot(f"{label}-{lang}")
    assert tab.console_errors() == []


def test_the_topics_page_shows_status_results_and_how_to_propose(browser, register):
    tab = browser(javascript=False, lang="en")
    assert tab.open(f"/en/forums/{register.first['id']}/topics") == []
    topic, other = register.topics
    assert (
        tab.js(f"document.querySelector('#topic-{topic} h3').textContent")
        == f"Données ouvertes {register.tag}"
    )
    assert tab.js(f"document.querySelector('#topic-{other} h3').textContent") == HOSTILE
    assert "on the agenda (place 1)" in tab.js(f"document.getElementById('topic-{topic}').innerText")
    assert "not on the agenda" in tab.js(f"document.getElementById('topic-{other}').innerText")
    results = tab.js("Array.from(document.querySelectorAll('a'), (a) => a.getAttribute('href'))")
    assert f"/en/rounds/{register.round_id}/results" in results  # in the page's language
    assert "personal link" in tab.js("document.getElementById('propose').nextElementSibling.textContent")
    assert tab.js("window.__pwned") is None and tab.broken_links() == []
    tab.open(f"/forums/{register.first['id']}")  # the forum's page leads there
    assert tab.js("document.querySelector('a[href$=\"/topics\"]').getAttribute('href')") == (
        f"/forums/{register.first['id']}/topics"
    )
    assert tab.open("/en/forums/no-such-forum/topics", status=404) == []
    assert tab.js("document.querySelector('h1').textContent") == "Page not found"  # in the page's language
    assert "No forum has this address" in tab.js("document.body.innerText")


def test_a_restitution_in_english_reads_in_english_and_leads_to_the_results_in_english(browser, register):
    tab = browser(javascript=False, lang="en")
    assert tab.open(f"/en/restitutions/{register.first['id']}") == []
    done = register.made[0]
    words = tab.js(f"document.getElementById('commitment-{done['id']}').innerText")
    assert (
        "Status: done" in words and f"Owner: {register.owners[0]}" in words and "Due: 30 June 2027" in words
    )
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4}: planned → done — Jeu publié", words), words
    assert "Attendance by stakeholder group" in tab.js(
        "document.querySelector('#attendance caption').textContent"
    )
    tab.follow("a[href$='/results']")  # the round's detailed results, in English too
    assert tab.js("location.pathname") == f"/en/rounds/{register.round_id}/results"
    assert tab.js("document.documentElement.lang") == "en" and "Overall ranking" in tab.js(
        "document.body.innerText"
    )
    tab.follow("a[hreflang=fr]")  # the switcher: the same results in French
    assert tab.js("location.pathname") == f"/rounds/{register.round_id}/results"
    assert "Classement général" in tab.js("document.body.innerText")
    assert tab.broken_links() == []


def test_every_page_links_the_statement_and_hostile_text_never_runs(browser, register):
    tab = browser()  # JavaScript on: a script that got in would run
    assert tab.open(f"/commitments?owner={quote(HOSTILE)}") == []
    assert f"Évaluer {register.tag}" in titles(tab)  # other tests' commitments may have the same owner
    assert not [
        title for title in titles(tab) if register.tag in title and title != f"Évaluer {register.tag}"
    ]
    assert tab.js("document.getElementById('owner').value") == HOSTILE
    assert tab.js("window.__pwned") is None
    for path in ("/", "/restitutions", f"/restitutions/{register.first['id']}"):
        tab.open(path)
        assert tab.js("document.querySelector('footer a').getAttribute('href')") == "/accessibility", path
    tab.driver.find_element(By.CSS_SELECTOR, "footer a").click()
    tab.wait("location.pathname === '/accessibility' && document.querySelector('h1')")
    words = tab.js("document.body.innerText")
    assert "partiellement conforme" in words and "Défenseur des droits" in words
    assert tab.js("document.querySelector('a[href^=\"mailto:\"]') !== null")
