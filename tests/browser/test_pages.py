"""The site's pages in a real browser: each renders at desktop and phone widths with no console error, no
broken link and no serious or critical axe-core violation; the results and home pages are whole without
JavaScript; a hostile topic title shows as text and never runs; a keyboard alone casts a ballot."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from e2e.test_topic_pages import titled
from e2e.test_topics import approval, ballot, participants
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from harness.testing import wait_until

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


# page → (address, what the page shows once ready, its status, a text it must show)
PAGES = {
    "home": lambda s: ("/", "true", 200, s.voting["title"]),
    "vote": lambda s: (f"{s.vote}#token={s.alice}", FORM_SHOWN, 200, "Mobilités douces"),
    "results": lambda s: (s.results, "true", 200, "Classement général"),
    "manage": lambda s: (f"/manage#token={s.alice}", MINE_SHOWN, 200, s.voting["title"]),
    "restitutions": lambda s: ("/restitutions", "true", 200, "Restitutions des forums"),
    "restitution": lambda s: (s.restitution, "true", 200, "Discussion"),
    "restitution_v1": lambda s: (f"{s.restitution}/versions/1", "true", 200, "You are reading version 1"),
    "not_found": lambda s: (f"/rounds/{uuid.uuid4()}/results", "true", 404, "Page introuvable"),
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", PAGES)
def test_a_page_renders_accessibly_with_no_console_error_and_no_broken_link(browser, site, name, viewport):
    path, ready, status, shows = PAGES[name](site)
    tab = browser(viewport=viewport)
    errors = tab.open(path, ready, status)
    tab.screenshot(name)
    assert errors == []
    assert tab.js("document.documentElement.lang") == "fr"
    assert tab.js("document.querySelector('h1').textContent.trim()")
    assert shows in tab.js("document.body.innerText")
    assert tab.js("document.documentElement.scrollWidth") <= tab.width  # nothing wider than the screen
    assert tab.broken_links() == []
    assert tab.axe() == []
    assert tab.console_errors() == []


def test_without_javascript_the_results_and_home_pages_are_whole(browser, site):
    tab = browser(javascript=False, lang="en")
    assert tab.open(site.results) == []
    words = tab.js("document.body.innerText")
    assert "Overall ranking" in words and "Cross-group consensus" in words
    assert tab.js("document.querySelectorAll('#agenda li').length") == 1
    assert tab.js("document.querySelectorAll('table').length") == 4  # overall, two groups, consensus
    assert all(title in words for title in ["Eau potable", *HOSTILE])
    tab.screenshot("results")

    assert tab.open(site.restitution) == []  # the record and its discussion: no script at all
    words = tab.js("document.body.innerText")
    assert "Discussion" in words and "Réponse" in words and "Comment hidden by the moderators" in words
    assert tab.js("document.querySelectorAll('article.comment').length") == 4
    tab.screenshot("restitution")

    assert tab.open("/") == []
    card = tab.js(
        "Array.from(document.querySelectorAll('ul.cards > li'), (li) => li.innerText)"
        f".find((text) => text.includes({site.voting['title']!r}))"
    )
    assert "Hôtel de Ville, Paris" in card and "Registration open" in card
    tab.screenshot("home")

    assert tab.open(f"{site.vote}#token={site.alice}") == []  # nothing runs: the page says so
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
