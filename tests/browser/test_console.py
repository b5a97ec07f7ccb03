"""The organiser console as an organiser meets it: they sign in with their token (JavaScript off), see a
forum's registrations against its quotas and its waiting list, and check people in at the door from a
phone, a second scan saying "already"; the audit trail names them. A participant's link token or a wrong
one opens nothing, a revoked token ends its session at once, a read token may look but not check in, and
every console page passes axe-core in both languages at both widths."""

import html
import re
import uuid

import pytest
import requests
from e2e.client import person, token_from, wait_for_mails
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

COOKIE = "odt_console"


def typed(tab, field, text):
    element = tab.driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(text)


def sign_in(tab, token, lang="fr"):
    """Sign in, then follow the way on from the page that says so."""
    typed(tab, "token", token)
    tab.send("Se connecter" if lang == "fr" else "Sign in")
    assert tab.js("document.querySelector('[role=status]') !== null"), tab.js("document.body.innerText")
    tab.follow("a.continue")


def status_text(tab):
    return tab.js("document.getElementById('outcome').innerText.trim()")


def organiser_token(api, scope="write"):
    name = f"accueil-{uuid.uuid4().hex[:8]}"
    answer = api.organiser("POST", "/organiser-tokens", json={"name": name, "scope": scope})
    assert answer.status_code == 201, answer.text
    return answer.json()


def signed_in(base_url, token):
    """A client that posted the sign-in form with ``token``: (its session, the answer)."""
    client = requests.Session()
    page = client.get(f"{base_url}/console/sign-in", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post(f"{base_url}/console/sign-in", data={"csrf": csrf, "token": token},
                         allow_redirects=False, timeout=30)  # fmt: skip
    return client, answer


@pytest.fixture(scope="module")
def forum(api):
    """Two seats, one reserved for citizens; three registered: two confirmed, one waiting."""
    created = api.create_forum(
        capacity=2, quotas={"citizen": 1}, title=f"Forum console {uuid.uuid4().hex[:6]}"
    )
    people = [
        api.registered(created["id"], person(stakeholder_group=g)) for g in ("citizen", "company", "company")
    ]
    assert [p["status"] for p in people] == ["confirmed", "confirmed", "waitlisted"]
    return created | {"people": people}


def test_an_organiser_signs_in_sees_the_forum_and_checks_people_in_at_the_door(browser, api, forum):
    token = organiser_token(api)
    tab = browser(javascript=False, viewport="phone")
    tab.open(f"/console/forums/{forum['id']}")
    assert tab.js("location.pathname") == "/console/sign-in"  # sent to sign in, to come back here
    assert tab.js("location.search") == f"?next=/console/forums/{forum['id']}"
    assert tab.broken_links() == []
    sign_in(tab, token["token"])
    assert tab.js("location.pathname") == f"/console/forums/{forum['id']}"
    assert tab.js("document.querySelector('h1').textContent") == forum["title"]
    [cookie] = [c for c in tab.driver.get_cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert token["token"] not in cookie["value"]
    words = tab.js("document.body.innerText")
    assert "2 confirmée(s) sur 2 places, 1 en liste d'attente, 0 arrivée(s)." in words
    rows = tab.js(
        "Array.from(document.querySelectorAll('table')[0].tBodies[0].rows, "
        "(tr) => Array.from(tr.cells, (c) => c.innerText.trim()))"
    )
    assert rows == [
        ["Entreprises", "–", "1", "1", "0", "0"],
        ["Citoyens", "1", "1", "0", "0", "0"],
    ]  # the form's order
    waiting = forum["people"][2]
    assert f"{waiting['first_name']} {waiting['last_name']}" in tab.js(
        "document.querySelectorAll('table')[1].innerText"
    )
    assert tab.js("document.querySelectorAll('table')[1].tBodies[0].rows[0].cells[0].innerText") == "1"
    assert tab.broken_links() == []
    tab.screenshot("forum")

    tab.driver.find_element(By.LINK_TEXT, "Accueil : enregistrer les arrivées").click()
    tab.wait("document.getElementById('code')")
    arriving = forum["people"][0]
    typed(tab, "code", arriving["attendee_code"].lower())  # as typed at the door
    tab.send("Enregistrer l'arrivée")
    assert status_text(tab) == (
        f"Arrivée enregistrée : {arriving['first_name']} {arriving['last_name']}, citoyens."
    )
    assert tab.js("document.getElementById('code').value") == ""  # ready for the next one
    assert tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.screenshot("checked-in")
    typed(tab, "code", arriving["attendee_code"])
    tab.send("Enregistrer l'arrivée")
    assert status_text(tab).startswith("Déjà enregistré·e le "), status_text(tab)
    assert f"{arriving['first_name']} {arriving['last_name']}" in status_text(tab)
    typed(tab, "code", "ZZZZ9999")
    tab.send("Enregistrer l'arrivée")
    assert status_text(tab).startswith("Code inconnu : ZZZZ9999.")
    assert tab.js("document.getElementById('code').getAttribute('aria-invalid')") == "true"
    tab.screenshot("unknown")

    checked = api.registrations(forum["id"], status="confirmed")
    assert [r["checked_in_at"] is not None for r in checked if r["id"] == arriving["id"]] == [True]
    trail = api.organiser("GET", "/audit", params={"actor": token["name"]}).json()["items"]
    assert [(e["action"], e["subject"]) for e in trail] == [("attendee_checked_in", arriving["id"])]

    tab.send("Se déconnecter")
    assert tab.js("location.pathname") == "/console/sign-out"
    assert "Vous êtes déconnecté·e." in tab.js("document.body.innerText")
    assert [c for c in tab.driver.get_cookies() if c["name"] == COOKIE] == []
    tab.open("/console")
    assert tab.js("location.pathname") == "/console/sign-in"


def test_a_participants_link_or_a_wrong_token_opens_nothing(browser, stack, api, mail, forum):
    someone = person(locale="fr")
    api.registered(forum["id"], someone)
    link_token = token_from(wait_for_mails(mail, {someone["email"]: 1})[someone["email"].lower()][0])
    for token, status, said in (
        (link_token, 403, "Ce jeton n'est pas un jeton d'organisateur"),
        ("odo_" + "A" * 43, 401, "Ce jeton n'est pas valide"),
        ("not even a token", 401, "Ce jeton n'est pas valide"),
        ("", 401, "Ce jeton n'est pas valide"),
    ):
        client, answer = signed_in(stack.base_url, token)
        assert answer.status_code == status and said in html.unescape(answer.text), (
            token,
            answer.status_code,
        )
        assert COOKIE not in answer.headers.get("Set-Cookie", "")
        assert client.get(f"{stack.base_url}/console", allow_redirects=False, timeout=30).status_code == 303
    tab = browser(javascript=False)
    tab.open("/console/sign-in")
    typed(tab, "token", link_token)
    tab.send("Se connecter")
    assert tab.js("document.querySelector('.error-summary').innerText").count("jeton d'organisateur") == 1
    assert tab.js("document.getElementById('token').getAttribute('aria-invalid')") == "true"
    assert [c for c in tab.driver.get_cookies() if c["name"] == COOKIE] == []


def test_a_revoked_token_ends_its_session_and_a_read_token_only_looks(stack, api, forum):
    reader = organiser_token(api, scope="read")
    client, answer = signed_in(stack.base_url, reader["token"])
    assert answer.status_code == 200 and 'href="/console"' in answer.text  # the way on
    set_cookies = answer.raw.headers.getlist("Set-Cookie")
    assert {re.search(r"Path=([^;]+)", c).group(1) for c in set_cookies} == {"/console", "/en/console"}
    assert all("HttpOnly" in c and "SameSite=Strict" in c and "Max-Age=28800" in c for c in set_cookies)
    assert (
        client.get(f"{stack.base_url}/en/console", timeout=30).status_code == 200
    )  # one session, both languages
    page = client.get(f"{stack.base_url}/console/forums/{forum['id']}/check-in", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    code = forum["people"][1]["attendee_code"]
    refused = client.post(f"{stack.base_url}/console/forums/{forum['id']}/check-in",
                          data={"csrf": csrf, "code": code}, timeout=30)  # fmt: skip
    assert refused.status_code == 403 and "ne permet que la lecture" in refused.text
    assert [r["checked_in_at"] for r in api.registrations(forum["id"]) if r["attendee_code"] == code] == [
        None
    ]

    revoked = api.organiser("DELETE", f"/organiser-tokens/{reader['id']}")
    assert revoked.status_code == 200
    again = client.get(f"{stack.base_url}/console", allow_redirects=False, timeout=30)
    assert again.status_code == 303 and again.headers["Location"] == "/console/sign-in?next=/console"
    assert "Max-Age=0" in again.headers["Set-Cookie"]  # the session that no longer holds is cleared


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_console_pages_pass_axe(browser, stack, api, forum, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)
    assert tab.open(f"{prefix}/console/sign-in") == []
    assert tab.axe() == [] and tab.js("document.documentElement.lang") == lang
    tab.screenshot(f"sign-in-{lang}")
    typed(tab, "token", api.token)
    tab.send("Se connecter" if lang == "fr" else "Sign in")
    assert tab.axe() == [] and tab.broken_links() == []
    tab.screenshot(f"signed-in-{lang}")
    tab.driver.find_element(By.CSS_SELECTOR, "a.continue").click()
    tab.wait(f"location.pathname === '{prefix}/console' && document.readyState === 'complete'")
    for path, label in (
        ("/console", "forums"),
        (f"/console/forums/{forum['id']}", "forum"),
        (f"/console/forums/{forum['id']}/check-in", "check-in"),
    ):
        assert tab.open(prefix + path) == []
        assert tab.axe() == [] and tab.broken_links() == [] and tab.console_errors() == []
        assert tab.js("document.documentElement.scrollWidth") <= tab.width
        tab.screenshot(f"{label}-{lang}")
    typed(tab, "code", "ZZZZ9999")  # with JavaScript the page sends it and says the outcome in place
    tab.driver.find_element(By.ID, "code").send_keys(Keys.ENTER)
    tab.wait("document.getElementById('outcome').innerText.includes('ZZZZ9999')")
    assert tab.js("location.pathname") == f"{prefix}/console/forums/{forum['id']}/check-in"
    assert tab.axe() == []
    if lang == "en":
        assert status_text(tab).startswith("Unknown code: ZZZZ9999.")
    tab.screenshot(f"refused-{lang}")
