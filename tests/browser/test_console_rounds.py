"""A forum's prioritisation rounds in the organiser console, JavaScript off: the organiser opens a dots round
over the published topics left ticked (a refused setting, then no topic ticked, first: nothing opened; the
round then holds exactly the ticked topics), a participant votes through the API, the organiser refreshes
and sees that ballot by group, enters a citizens' paper tally (bad tallies refused by field, 422, the tally
kept unchanged), closes the round after a confirmation, reads the results with the paper tally in them and
downloads them as CSV through the console. Hostile topic titles come out inert; every page passes axe-core
in French and English at both widths."""

import csv
import io
import re
import uuid

import pytest
import requests
from e2e.test_topics import later, participants
from selenium.webdriver.common.by import By

from harness.testing import wait_until

from .test_console import sign_in, typed

HOSTILE = '"><img src=x onerror=alert(1)> <script>alert(2)</script>'


def text(tab):
    return tab.js("document.body.innerText")


def cookies_of(tab, path):
    """The browser's cookies that travel with ``path``, as a Cookie header."""
    sent = [c for c in tab.driver.get_cookies() if path.startswith(c["path"])]
    return {"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in sent)}


def posted(tab, path, data, action=None):
    """The page's main form (or one posted to ``action``) as the browser would send it, with its cookies
    and the page's CSRF token: the answer."""
    page = requests.get(tab.base_url + path, headers=cookies_of(tab, path), timeout=30)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    action = action or re.findall(r'<form method="post" action="([^"]+)"', page.text)[-1]  # not sign-out
    return requests.post(tab.base_url + action, data=data | {"csrf": csrf}, headers=cookies_of(tab, action),
                         allow_redirects=False, timeout=30)  # fmt: skip


def rows(tab, caption_id):
    return tab.js(
        f"Array.from(document.getElementById('{caption_id}').closest('table').tBodies[0].rows, "
        "(tr) => Array.from(tr.cells, (c) => c.innerText.trim()))"
    )


def published(api, forum_id, title):
    """An organiser's topic, published at once, as soon as the topics service has learned the forum."""

    def propose():
        answer = api.organiser("POST", f"/forums/{forum_id}/topics", json={"title": title, "description": ""})
        return None if answer.status_code == 404 else answer

    answer = wait_until(propose, 30, message="the forum known to the topics service")
    assert answer.status_code == 201 and answer.json()["status"] == "published", answer.text
    return answer.json()["id"]


@pytest.fixture(scope="module")
def forum(api):
    created = api.create_forum(title=f"Forum priorisation {uuid.uuid4().hex[:6]}")
    return created | {"topics": [published(api, created["id"], "Données ouvertes"),
                                 published(api, created["id"], HOSTILE),
                                 published(api, created["id"], "Mobilités")]}  # fmt: skip


def test_an_organiser_opens_watches_tallies_closes_and_downloads_a_round(browser, api, mail, forum):
    [alice] = participants(api, mail, forum, "civil_society")
    first, hostile, left_out = forum["topics"]
    tab = browser(javascript=False)
    tab.open(f"/console/forums/{forum['id']}")
    sign_in(tab, api.token)
    tab.driver.find_element(By.LINK_TEXT, "Priorisation des sujets").click()
    tab.wait("document.readyState === 'complete' && location.pathname.endsWith('/rounds')")
    assert "Aucun tour de priorisation pour ce forum." in text(tab)
    assert tab.broken_links() == []
    tab.follow("ul.actions a")
    assert tab.js("location.pathname") == f"/console/forums/{forum['id']}/rounds/new"
    listed = tab.js(
        "Array.from(document.querySelectorAll('#topic_ids input[type=checkbox]'), (box) => "
        "[box.name, box.value, box.checked, document.querySelector(`label[for=${box.id}]`).textContent])"
    )
    assert listed == [
        ["topic_ids", first, True, "Données ouvertes"],
        ["topic_ids", hostile, True, HOSTILE],
        ["topic_ids", left_out, True, "Mobilités"],
    ]  # the published topics, all ticked, as text
    assert (
        tab.js("document.querySelector('fieldset#topic_ids > legend').textContent") == "Sujets soumis au vote"
    )
    assert tab.js("document.querySelector('img[src=x], main script') === null")

    # a dots round whose cap exceeds its budget: refused by field, nothing opened
    tab.driver.find_element(By.ID, "method-dots").click()
    for field, value in (("budget", "2"), ("max_per_topic", "3"), ("agenda_size", "1")):
        typed(tab, field, value)
    tab.send("Ouvrir le tour")
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == "#max_per_topic"
    assert tab.js("document.getElementById('max_per_topic').getAttribute('aria-invalid')") == "true"
    assert "max_per_topic-error" in tab.js(
        "document.getElementById('max_per_topic').getAttribute('aria-describedby')"
    )
    assert tab.js("document.getElementById('method-dots').checked")  # the form as it was sent
    tab.screenshot("refused")
    over = {
        "method": "dots",
        "budget": "2",
        "max_per_topic": "3",
        "agenda_size": "1",
        "closes_at": later(days=2)[:16],
        "topic_ids": [first, hostile],
    }
    refused = posted(
        tab, f"/console/forums/{forum['id']}/rounds/new", over | {"idempotency_key": str(uuid.uuid4())}
    )
    assert refused.status_code == 422 and 'id="max_per_topic-error"' in refused.text
    past = posted(tab, f"/console/forums/{forum['id']}/rounds/new",
                  {"method": "approval", "max_choices": "1", "agenda_size": "1", "closes_at": "2020-01-01T10:00",
                   "topic_ids": [first], "idempotency_key": str(uuid.uuid4())})  # fmt: skip
    assert past.status_code == 422 and 'id="closes_at-error"' in past.text
    for topic_ids in ([], [first, str(uuid.uuid4())], ["abc"], [first, first]):  # none, unpublished, forged
        form = over | {"max_per_topic": "1", "topic_ids": topic_ids, "idempotency_key": str(uuid.uuid4())}
        wrong = posted(tab, f"/console/forums/{forum['id']}/rounds/new", form)
        assert wrong.status_code == 422 and 'id="topic_ids-error"' in wrong.text, (
            topic_ids,
            wrong.status_code,
        )
    # no topic ticked: refused, the error linked to the topics
    tab.open(f"/console/forums/{forum['id']}/rounds/new")
    for n in (1, 2, 3):
        tab.driver.find_element(By.ID, f"topic_ids-{n}").click()
    tab.send("Ouvrir le tour")
    assert tab.js(
        "Array.from(document.querySelectorAll('.error-summary a'), (a) => a.getAttribute('href'))"
    ) == ["#topic_ids-1"]
    assert tab.js("document.getElementById('topic_ids-1').getAttribute('aria-invalid')") == "true"
    assert "topic_ids-error" in tab.js(
        "document.getElementById('topic_ids').getAttribute('aria-describedby')"
    )
    assert tab.js("document.querySelectorAll('#topic_ids input:checked').length") == 0  # as it was sent
    tab.screenshot("no-topic")
    tab.open(f"/console/forums/{forum['id']}/rounds")
    assert "Aucun tour de priorisation pour ce forum." in text(tab)

    tab.open(f"/console/forums/{forum['id']}/rounds/new")
    tab.driver.find_element(By.ID, "topic_ids-3").click()  # Mobilités left out of this round
    tab.driver.find_element(By.ID, "method-dots").click()
    for field, value in (("budget", "5"), ("max_per_topic", "3"), ("agenda_size", "1")):
        typed(tab, field, value)
    tab.send("Ouvrir le tour")
    found = re.fullmatch(
        rf"/console/forums/{forum['id']}/rounds/([0-9a-f-]{{36}})", tab.js("location.pathname")
    )
    assert found, tab.js("location.pathname")
    round_id = found.group(1)
    held = api.organiser("GET", f"/rounds/{round_id}")
    assert held.status_code == 200, held.text
    held = held.json()
    assert (held["method"], held["budget"], held["max_per_topic"], held["agenda_size"]) == ("dots", 5, 3, 1)
    assert held["topic_ids"] == [first, hostile] and held["status"] == "open"  # exactly the ticked ones
    assert "0 bulletin(s) en ligne" in text(tab)
    early = f"/console/forums/{forum['id']}/rounds/{round_id}/results.csv"
    assert requests.get(tab.base_url + early, headers=cookies_of(tab, early), timeout=30).status_code == 409
    again = posted(tab, f"/console/forums/{forum['id']}/rounds/new",
                   {"method": "approval", "max_choices": "1", "agenda_size": "1", "closes_at": later(days=2)[:16],
                    "topic_ids": [first], "idempotency_key": str(uuid.uuid4())})  # fmt: skip
    assert again.status_code == 409 and "Un tour est déjà ouvert" in again.text

    cast = api.call("PUT", f"/rounds/{round_id}/ballot", alice, json={"points": {first: 3, hostile: 2}})
    assert cast.status_code == 200, cast.text
    tab.send("Actualiser la participation")
    assert "1 bulletin(s) en ligne" in text(tab)
    assert rows(tab, "participation-caption") == [["Société civile", "1"]]
    assert tab.broken_links() == []
    tab.screenshot("open")
    tab.open(f"/console/forums/{forum['id']}/rounds")
    assert "Ouvert" in text(tab) and "1 bulletin(s) en ligne (société civile 1)" in text(tab)
    assert "Un tour est ouvert : clôturez-le avant d'en ouvrir un autre." in text(tab)

    # the citizens' paper tally: two ballots
    tab.open(f"/console/forums/{forum['id']}/rounds/{round_id}")
    tab.driver.find_element(By.LINK_TEXT, "Décompte papier : Citoyens").click()
    tab.wait("document.getElementById('ballots')")
    assert tab.js("document.querySelector('h1').textContent") == "Décompte papier : Citoyens"
    typed(tab, "ballots", "2")
    typed(tab, "score-1", "4")
    typed(tab, "score-2", "1")
    tab.send("Enregistrer le décompte")
    assert tab.js("location.search") == "?tally=citizen"
    assert "Décompte papier enregistré pour le collège : Citoyens." in text(tab)
    # then tallies refused: nothing changes
    tally = f"/console/forums/{forum['id']}/rounds/{round_id}/paper-tallies/citizen"
    tab.open(tally)
    typed(tab, "ballots", "1")
    typed(tab, "score-1", "9")  # more than one paper ballot of at most 3 points on a topic holds
    tab.send("Enregistrer le décompte")
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == "#score-1"
    assert tab.js("document.getElementById('scores-error') !== null")
    assert tab.js("document.getElementById('score-1').getAttribute('aria-invalid')") == "true"
    assert tab.js("document.getElementById('ballots').value") == "1"  # as typed
    tab.screenshot("tally-refused")
    for data, field in (({"ballots": "0", f"score-{first}": "1"}, "ballots"),
                        ({"ballots": "abc"}, "ballots"),
                        ({"ballots": "1", f"score-{first}": "-2"}, "scores"),
                        ({"ballots": "1", f"score-{first}": "9"}, "scores")):  # fmt: skip
        answer = posted(tab, tally, data | {"idempotency_key": str(uuid.uuid4())})
        assert answer.status_code == 422 and f'id="{field}-error"' in answer.text, (data, answer.status_code)
    lobby = posted(tab, tally, {"ballots": "1"}, action=tally.replace("citizen", "lobby"))
    assert lobby.status_code == 404  # no such group

    tab.open(f"/console/forums/{forum['id']}/rounds/{round_id}")
    tab.send("Clore le tour maintenant…")
    assert tab.js("location.pathname").endswith("/close")
    assert api.organiser("GET", f"/rounds/{round_id}").json()["status"] == "open"  # asked, not done
    tab.screenshot("close")
    tab.send("Clore le tour")
    assert tab.js("location.pathname") == f"/console/forums/{forum['id']}/rounds/{round_id}"
    assert "3 bulletin(s) en tout, en ligne et sur papier." in text(tab), text(tab)
    assert "Citoyens : 2" in text(tab)
    assert rows(tab, "overall-caption") == [["1", "Données ouvertes", "7"], ["2", HOSTILE.strip(), "3"]]
    assert rows(tab, "group-citizen-caption") == [["1", "Données ouvertes", "4"], ["2", HOSTILE.strip(), "1"]]
    assert tab.js("Array.from(document.querySelectorAll('#agenda li'), (li) => li.textContent)") == [
        "Données ouvertes"
    ]
    assert tab.js("document.querySelector('img[src=x], main script') === null")
    assert tab.broken_links() == []
    tab.screenshot("closed")
    base = f"/console/forums/{forum['id']}/rounds/{round_id}"
    assert posted(tab, base, {}, action=base + "/close").status_code == 409  # closed already

    href = tab.js("document.querySelector('a[download]').getAttribute('href')")
    assert href == f"/console/forums/{forum['id']}/rounds/{round_id}/results.csv"
    sheet = requests.get(tab.base_url + href, headers=cookies_of(tab, href), timeout=30)
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert sheet.headers["Content-Disposition"] == f'attachment; filename="round-{round_id}-results.csv"'
    lines = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8"))))
    assert [(r["topic_id"], r["score"], r["on_agenda"]) for r in lines if r["ranking"] == "overall"] == [
        (first, "7", "yes"),
        (hostile, "3", "no"),
    ]
    assert [(r["topic_id"], r["score"]) for r in lines if r["ranking"] == "group:citizen"] == [
        (first, "4"),
        (hostile, "1"),
    ]
    assert sheet.content == api.call("GET", f"/rounds/{round_id}/results.csv").content  # the API's very file
    anonymous = requests.get(tab.base_url + href, allow_redirects=False, timeout=30)
    assert anonymous.status_code == 303 and "/console/sign-in" in anonymous.headers["Location"]

    results = api.call("GET", f"/rounds/{round_id}/results").json()
    assert results["paper"] == {"citizen": 2} and results["ballots"] == 3


@pytest.fixture(scope="module")
def rounds(api, forum):
    """An open approval round on its own forum, and the main forum's round closed (after the test above,
    or opened and closed here with one citizens' paper tally)."""
    other = api.create_forum(title=f"Forum ouvert {uuid.uuid4().hex[:6]}")
    published(api, other["id"], "Budget participatif")
    body = {"method": "approval", "max_choices": 1, "agenda_size": 1, "closes_at": later(days=3)}
    opened = api.organiser("POST", f"/forums/{other['id']}/rounds", json=body)
    assert opened.status_code == 201, opened.text
    closed = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=body)
    assert closed.status_code == 201, closed.text
    tally = {"ballots": 2, "scores": {forum["topics"][0]: 2}}
    assert (
        api.organiser("PUT", f"/rounds/{closed.json()['id']}/paper-tallies/citizen", json=tally).status_code
        == 200
    )
    assert api.organiser("POST", f"/rounds/{closed.json()['id']}/close").status_code == 200
    return {"open": (other["id"], opened.json()["id"]), "closed": (forum["id"], closed.json()["id"])}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_round_pages_pass_axe(browser, api, rounds, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)  # axe-core runs as a script: the pages have none of their own
    tab.open(f"{prefix}/console/sign-in")
    sign_in(tab, api.token, lang)
    open_forum, open_round = rounds["open"]
    closed_forum, closed_round = rounds["closed"]
    for path, label in (
        (f"/console/forums/{open_forum}/rounds", "rounds"),
        (f"/console/forums/{closed_forum}/rounds/new", "new"),
        (f"/console/forums/{open_forum}/rounds/{open_round}", "round-open"),
        (f"/console/forums/{open_forum}/rounds/{open_round}/close", "close"),
        (f"/console/forums/{open_forum}/rounds/{open_round}/paper-tallies/company", "tally"),
        (f"/console/forums/{closed_forum}/rounds/{closed_round}", "round-closed"),
    ):
        assert tab.open(prefix + path) == []
        assert tab.js("document.documentElement.lang") == lang
        assert tab.axe() == [] and tab.broken_links() == [], path
        assert tab.js("document.documentElement.scrollWidth") <= tab.width, path
        tab.screenshot(f"{label}-{lang}")
    assert ("Cross-group consensus" if lang == "en" else "Consensus entre collèges") in text(tab)
    tab.open(f"{prefix}/console/forums/{open_forum}/rounds/{open_round}/paper-tallies/company")
    typed(tab, "ballots", "0")
    tab.send("Enregistrer le décompte" if lang == "fr" else "Save the tally")
    assert tab.js("document.getElementById('ballots').getAttribute('aria-invalid')") == "true"
    assert tab.axe() == []
    tab.screenshot(f"tally-refused-{lang}")
    tab.open(f"{prefix}/console/forums/{closed_forum}/rounds/new")
    tab.driver.find_element(By.ID, "method-ranked").click()
    typed(tab, "max_choices", "0")
    tab.send("Ouvrir le tour" if lang == "fr" else "Open the round")
    assert tab.js("document.getElementById('max_choices').getAttribute('aria-invalid')") == "true"
    assert tab.axe() == []
    tab.screenshot(f"new-refused-{lang}")
    tab.open(f"{prefix}/console/forums/{closed_forum}/rounds/new")
    for box in tab.driver.find_elements(By.CSS_SELECTOR, "#topic_ids input[type=checkbox]"):
        box.click()  # no topic ticked
    tab.send("Ouvrir le tour" if lang == "fr" else "Open the round")
    assert tab.js("document.getElementById('topic_ids-1').getAttribute('aria-invalid')") == "true"
    assert tab.axe() == []
    tab.screenshot(f"new-no-topic-{lang}")
    missing = tab.open(f"{prefix}/console/forums/{open_forum}/rounds/{closed_round}", status=404)
    heading = "Page introuvable" if lang == "fr" else "Page not found"  # in the console's language
    assert missing == [] and tab.js("document.querySelector('h1').textContent") == heading
