"""The site's pages in a real browser: each renders in French and in English (``/en/…``), only in its
language, at desktop and phone widths with no console error, no broken link and no serious or critical
axe-core violation; the language switcher leads to the same page in the other language (a page opened by
an emailed link keeps its token); the results and home pages are whole without JavaScript; a hostile topic
title shows as text and never runs; a keyboard alone casts a ballot."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from e2e.test_topic_pages import titled
from e2e.test_topics import approval, ballot, participants
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness.testing import wait_until
from kit.tokens import mint

HOSTILE = ['<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=1</script>"]
FORM_SHOWN = "!document.getElementById('ballot').hidden"  # the vote page's script has loaded the round
MINE_SHOWN = "!document.getElementById('mine').hidden"  # the manage page's, the registrations


def soon(**delta):
    return (datetime.now(UTC) + timedelta(days=1, **delta)).isoformat(timespec="seconds")


@pytest.fixture(scope="module")
def site(api, mail):
    """Two forums starting tomorrow (first among the upcoming ones on the home page): one with an open
    approval round, one whose round is closed with ballots cast; hostile titles among both's topics."""
    voting = api.create_forum(starts_at=soon(), ends_at=soon(hours=8))
    alice, kim = participants(api, mail, voting, "civil_society", "citizen")
    topics = titled(api, voting, f"Mobilités douces {uuid.uuid4().hex[:6]}", *HOSTILE)
    opened = api.organiser("POST", f"/forums/{voting['id']}/rounds", json=approval())
    assert opened.status_code == 201, opened.text

    decided = api.create_forum(starts_at=soon(), ends_at=soon(hours=8))
    carol, dan = participants(api, mail, decided, "company", "research_media")
    first, *hostile = titled(api, decided, "Eau potable", *HOSTILE)
    closing = api.organiser("POST", f"/forums/{decided['id']}/rounds", json=approval(max_choices=2))
    assert closing.status_code == 201, closing.text
    assert ballot(api, closing.json()["id"], carol, {"choices": [first, hostile[0]]}).status_code == 200
    assert ballot(api, closing.json()["id"], dan, {"choices": [first]}).status_code == 200
    assert api.organiser("POST", f"/rounds/{closing.json()['id']}/close").status_code == 200
    restitution = published_with_discussion(api, decided, carol, dan)
    return SimpleNamespace(
        voting=voting,
        topics=topics,
        alice=alice,
        kim=kim,
        vote=f"/forums/{voting['id']}/rounds/{opened.json()['id']}",
        round_id=opened.json()["id"],
        results=f"/rounds/{closing.json()['id']}/results",
        restitution=restitution,
    )


def published_with_discussion(api, forum, carol, dan):
    """The forum's restitution, published twice, hostile Markdown and text in every field, with a
    discussion: a comment, its reply, a comment on the commitment and a hidden one. Its page's address."""
    path = f"/forums/{forum['id']}/restitution"
    wait_until(
        lambda: api.organiser("GET", f"{path}/draft").json().get("sections"), 30, message="a prefilled draft"
    )
    draft = api.organiser("GET", f"{path}/draft").json()
    for section in draft["sections"]:
        section["body"] = f"Ce qui a été dit. {HOSTILE[0]} [x](javascript:window.__pwned=1)\n\n{HOSTILE[1]}"
    content = {"summary": f"**Synthèse** {HOSTILE[1]}", "sections": draft["sections"], "decisions": HOSTILE,
               "commitments": [{"title": HOSTILE[0], "owner": HOSTILE[1], "due_on": "2027-06-30"}]}  # fmt: skip
    assert api.organiser("PUT", path, json=content).status_code == 200
    assert api.organiser("POST", f"{path}/publish", json={}).status_code == 201
    assert api.organiser("PUT", path, json=content | {"summary": "Synthèse précisée"}).status_code == 200
    published = api.organiser("POST", f"{path}/publish", json={"note": HOSTILE[0]})
    assert published.status_code == 201, published.text
    commitment_id = published.json()["commitments"][0]["id"]
    api.organiser("PUT", f"{path}/moderation", json={"moderation": "post"})
    comments = f"{path}/comments"
    first = api.call("POST", comments, carol, json={"body": HOSTILE[1], "author_name": HOSTILE[0]})
    assert first.status_code == 201, first.text
    assert (
        api.call("POST", comments, dan, json={"body": "Réponse", "parent_id": first.json()["id"]}).status_code
        == 201
    )
    on_it = api.call("POST", comments, dan, json={"body": HOSTILE[0], "commitment_id": commitment_id})
    assert on_it.status_code == 201, on_it.text
    hidden = api.call("POST", comments, dan, json={"body": "Hors sujet"}).json()
    assert (
        api.organiser("POST", f"/comments/{hidden['id']}/hide", json={"reason": HOSTILE[1]}).status_code
        == 200
    )
    return f"/restitutions/{forum['id']}"


CONFIRM_SAID = "document.getElementById('status').textContent !== ''"  # the confirmation page's script ran
# page → (French address, what the page shows once ready, its status, {lang: a text it must show})
PAGES = {
    "home": lambda s: ("/", "true", 200, {"fr": "Me tenir informé·e", "en": "Keep me informed"}),
    "vote": lambda s: (f"{s.vote}#token={s.alice}", FORM_SHOWN, 200,
                       {"fr": "Cochez chaque sujet que vous soutenez", "en": "Tick every topic you support"}),
    "results": lambda s: (s.results, "true", 200, {"fr": "Classement général", "en": "Overall ranking"}),
    "manage": lambda s: (f"/manage#token={s.alice}", MINE_SHOWN, 200,
                         {"fr": "Télécharger mes données", "en": "Download my data"}),
    "confirm": lambda s: ("/subscriptions/confirm", CONFIRM_SAID, 200,
                          {"fr": "Ce lien est incomplet", "en": "This link is incomplete"}),
    "restitutions": lambda s: ("/restitutions", "true", 200,
                               {"fr": "Restitutions des forums", "en": "The forums' restitutions"}),
    "restitution": lambda s: (s.restitution, "true", 200,
                              {"fr": "Commentaire masqué par la modération", "en": "Comment hidden by the moderators"}),
    "restitution_v1": lambda s: (f"{s.restitution}/versions/1", "true", 200,
                                 {"fr": "Vous lisez la version 1", "en": "You are reading version 1"}),
    "not_found": lambda s: (f"/rounds/{uuid.uuid4()}/results", "true", 404,
                            {"fr": "Page introuvable", "en": "Page not found"}),
}  # fmt: skip
OTHER = {"fr": "en", "en": "fr"}


def in_lang(path, lang):
    """The address of the French page ``path`` (fragment included) in ``lang``."""
    return path if lang == "fr" else ("/en/" if path == "/" else "/en" + path)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_unsubscribe_page_speaks_the_browsers_language_and_switches_at_its_own_address(browser, lang):
    """The announcements' one-click link is one address for every language: the page follows the browser's
    Accept-Language, and its switcher (?lang=) stays at that address. Opening it unsubscribes nobody."""
    address = "/api/v1/unsubscribe/" + mint("any-key", "unsubscribe", str(uuid.uuid4()))
    tab = browser(lang=lang)  # the page has no script; axe needs the browser's
    assert tab.open(address) == []
    tab.screenshot(f"unsubscribe-{lang}")
    assert tab.js("document.documentElement.lang") == lang
    words = {"fr": "Me désabonner", "en": "Stop receiving announcements"}
    assert words[lang] in tab.js("document.body.innerText")
    assert words[OTHER[lang]] not in tab.js("document.body.innerText")
    assert tab.broken_links() == [] and tab.axe() == []
    tab.follow(f"a[hreflang={OTHER[lang]}]")
    assert tab.js("location.pathname") == address and tab.js("document.documentElement.lang") == OTHER[lang]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", PAGES)
def test_a_page_renders_accessibly_with_no_console_error_and_no_broken_link(
    browser, site, name, viewport, lang
):
    path, ready, status, shows = PAGES[name](site)
    tab = browser(viewport=viewport, lang=lang)
    errors = tab.open(in_lang(path, lang), ready, status)
    tab.screenshot(f"{name}-{lang}")
    assert errors == []
    assert tab.js("document.documentElement.lang") == lang
    assert tab.js("document.querySelector('h1').textContent.trim()")
    words = tab.js("document.body.innerText")
    assert shows[lang] in words and shows[OTHER[lang]] not in words  # its language only, script's words too
    # no passage in another language: the switcher alone says it leads to the other one
    assert tab.js("Array.from(document.body.querySelectorAll('[lang]'), (e) => e.lang)") == [OTHER[lang]]
    assert tab.js("document.documentElement.scrollWidth") <= tab.width  # nothing wider than the screen
    broken = tab.broken_links()
    if status == 404:  # its switcher leads to the missing page in the other language: missing too
        assert [urlsplit(url).path for url, _ in broken] == [in_lang(path, OTHER[lang])]
    else:
        assert broken == []
    assert tab.axe() == []
    assert tab.console_errors() == []


@pytest.mark.parametrize("name", [name for name in PAGES if name != "home"])
def test_the_switcher_leads_to_the_same_page_in_the_other_language_and_back(browser, site, name):
    """The page opened by an emailed link (vote, manage) keeps its token from one language to the other:
    the token left the address for the tab's storage when the first page read it."""
    path, ready, status, shows = PAGES[name](site)
    tab = browser()
    assert tab.open(path, ready, status) == []
    french = path.split("#")[0]
    assert tab.js("document.querySelector('link[rel=alternate][hreflang=en]').getAttribute('href')") == (
        in_lang(french, "en")
    )
    for lang in ("en", "fr"):
        tab.arrive(lambda lang=lang: tab.driver.find_element(By.CSS_SELECTOR, f"a[hreflang={lang}]").click())
        tab.wait(f"document.documentElement.lang === '{lang}' && ({ready})")
        assert tab.js("location.pathname") == in_lang(french, lang)
        assert shows[lang] in tab.js("document.body.innerText")
    if status == 200:  # a 404 page logs its own status
        assert tab.console_errors() == []


def test_without_javascript_the_results_and_home_pages_are_whole(browser, site):
    tab = browser(javascript=False, lang="en")
    assert tab.open(in_lang(site.results, "en")) == []
    words = tab.js("document.body.innerText")
    assert "Overall ranking" in words and "Cross-group consensus" in words
    assert tab.js("document.querySelectorAll('#agenda li').length") == 1
    assert tab.js("document.querySelectorAll('table').length") == 4  # overall, two groups, consensus
    assert all(title in words for title in ["Eau potable", *HOSTILE])
    tab.screenshot("results")

    assert tab.open(in_lang(site.restitution, "en")) == []  # the record and its discussion: no script at all
    words = tab.js("document.body.innerText")
    assert "Discussion" in words and "Réponse" in words and "Comment hidden by the moderators" in words
    assert re.search(r"published on \d{1,2} (January|February|March|April|May|June|July|August|September|"
                     r"October|November|December) \d{4}, \d\d:\d\d", words), words  # fmt: skip
    assert tab.js("document.querySelectorAll('article.comment').length") == 4
    tab.screenshot("restitution")

    assert tab.open("/") == []
    card = tab.js(
        "Array.from(document.querySelectorAll('ul.cards > li'), (li) => li.innerText)"
        f".find((text) => text.includes({site.voting['title']!r}))"
    )
    assert "Hôtel de Ville, Paris" in card and "Registration open" in card
    tab.screenshot("home")

    assert tab.open(in_lang(f"{site.vote}#token={site.alice}", "en")) == []  # nothing runs: the page says so
    assert "needs JavaScript" in tab.js("document.body.innerText")
    assert tab.js("document.getElementById('ballot').hidden")


@pytest.mark.parametrize("name", ["vote", "results", "restitution"])
def test_a_hostile_text_is_shown_as_text_and_never_runs(browser, site, name):
    path, ready, _, _ = PAGES[name](site)
    tab = browser()
    assert tab.open(path, ready) == []
    words = tab.js("document.body.innerText")
    assert all(title in words for title in HOSTILE), words
    assert tab.js("typeof window.__pwned") == "undefined"
    assert tab.alert() is None
    assert tab.js("document.querySelectorAll('main img, main script').length") == 0


def test_a_keyboard_alone_reaches_the_choices_and_casts_a_ballot(browser, site, api):
    tab = browser()
    assert tab.open(f"{site.vote}#token={site.kim}", FORM_SHOWN) == []
    wanted = tab.js(f"document.querySelector('input[value=\"{site.topics[0]}\"]').id")
    keys = ActionChains(tab.driver)

    tab.tab_to(f"document.activeElement.id === {wanted!r}")
    keys.send_keys(Keys.SPACE).perform()
    assert tab.js(f"document.getElementById({wanted!r}).checked")
    tab.tab_to("document.activeElement.type === 'submit'")
    keys.send_keys(Keys.ENTER).perform()
    tab.wait("document.getElementById('status').textContent.includes('Votre vote est enregistré')")
    assert tab.console_errors() == []

    mine = api.call("GET", "/people/me/topics", site.kim).json()["ballots"]
    assert [b["content"] for b in mine if b["round_id"] == site.round_id] == [{"choices": [site.topics[0]]}]


def test_the_checks_find_what_they_look_for(browser, site, stack):
    """An image without text, a dead link and a script's error, added to a sound page, are each reported:
    the empty lists above are the checks passing, not the checks blind."""
    tab = browser()
    assert tab.open(site.results) == []
    tab.driver.execute_script(
        "const main = document.querySelector('main'), img = document.createElement('img');"
        "img.src = '/nowhere.png'; main.append(img);"
        "main.insertAdjacentHTML('beforeend', '<a href=\"/nowhere\">nowhere</a>');"
        "console.error('deliberate');"
    )
    assert [violation["id"] for violation in tab.axe()] == ["image-alt"]
    assert tab.broken_links() == [(f"{stack.base_url}/nowhere", 404)]
    errors = tab.console_errors()
    assert any("deliberate" in error for error in errors) and any("nowhere.png" in error for error in errors)
