"""An organiser signs in to the console by a link emailed to their address on ORGANISER_EMAILS: asked with
JavaScript off, received by the real SMTP server, opened from another site (as from a webmail), it signs
them in once; their check-ins are recorded under their address. An address off the list gets the same
page and no email, a caller on the bus cannot choose where a link goes, an expired or used link opens
nothing, the token reaches no log, and the new states pass axe-core in French and English."""

import base64
import hashlib
import html
import re
import time
import uuid
from urllib.parse import quote, urlsplit

import psycopg
import pytest
import requests
from e2e.client import inbox, parts, person, stays_true, wait_for_mails
from nameko.standalone.rpc import ClusterRpcProxy
from selenium.webdriver.common.by import By

COOKIE = "odt_console"
DOOR = "Accueil.Porte@Example.org"  # as the list spells it; the trail names it lowercased
OFF_LIST_TOO = "limit@example.org"
BUS = "bus.listed@example.org"
EXPIRING = "expiring@example.org"
ENGLISH = "english@example.org"
STACK_SETTINGS = {
    "ORGANISER_EMAILS": f"{DOOR}, {OFF_LIST_TOO},{BUS} , {EXPIRING},{ENGLISH}",
    "RATE_LIMIT_ADDRESS_EMAILS": "2/10minutes",  # the per-address limit, as in production (1/10minutes)
}
LINK = re.compile(r"(http://[^\s\"<>]+/console/session\?token=([A-Za-z0-9_-]{43}))")
MAIN = re.compile(r"<main id=\"main\">.*</main>", re.DOTALL)


def typed(tab, field, text):
    element = tab.driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(text)


def link_in(message):
    """(the link's path and query, its token) from the text part; the HTML part links to the same."""
    text, markup = parts(message)
    [(url, token)] = LINK.findall(text)
    assert f'href="{url}"' in markup
    split = urlsplit(url)
    return f"{split.path}?{split.query}", token


def asked(base_url, email, lang="fr", client=None):
    """A client that posted the link form with ``email``: (the client, the answer)."""
    client = client or requests.Session()
    prefix = "/en" if lang == "en" else ""
    page = client.get(f"{base_url}{prefix}/console/sign-in", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post(
        f"{base_url}{prefix}/console/sign-in/link", data={"csrf": csrf, "email": email}, timeout=30
    )
    return client, answer


def opened(base_url, path):
    """A fresh client that followed the emailed link and pressed its button: the answer (not followed)."""
    client = requests.Session()
    page = client.get(f"{base_url}{path}", timeout=30)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    post_to = path.split("?")[0]
    return client.post(
        f"{base_url}{post_to}", data={"csrf": csrf, "token": token}, allow_redirects=False, timeout=30
    )


def email_passes_axe(browser, message, lang):
    """The message's HTML as a mail client shows it, at a phone's width: its language, axe-core clean."""
    tab = browser(viewport="phone", lang=lang)
    encoded = base64.b64encode(parts(message)[1].encode()).decode()
    tab.driver.get(f"data:text/html;charset=utf-8;base64,{encoded}")
    tab.wait("document.readyState === 'complete'")
    assert tab.js("document.documentElement.lang") == lang and tab.axe() == []
    assert tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.screenshot(f"email-{lang}")


def main_of(answer):
    return MAIN.search(answer.text).group(0)


@pytest.fixture(scope="module")
def forum(api):
    created = api.create_forum(capacity=5, title=f"Forum lien {uuid.uuid4().hex[:6]}")
    arriving = api.registered(created["id"], person(stakeholder_group="citizen"))
    return created | {"arriving": arriving}


def test_an_organiser_asks_for_a_link_without_javascript_and_it_signs_them_in_once(
    browser, stack, api, mail, forum
):
    tab = browser(javascript=False, viewport="phone")
    tab.open(f"/console/forums/{forum['id']}/check-in")
    assert tab.js("location.pathname") == "/console/sign-in"
    tab.screenshot("sign-in")
    typed(tab, "email", DOOR.upper())  # as an organiser may type it
    tab.send("Recevoir un lien de connexion")
    assert tab.js("location.pathname") == "/console/sign-in/link"
    said = tab.js("document.getElementById('link-asked').innerText")
    assert "Si cette adresse figure dans la liste des organisateurs" in said and "15 minutes" in said
    tab.screenshot("asked")

    [message] = wait_for_mails(mail, {DOOR: 1})[DOOR.lower()]
    assert message["To"].addresses[0].addr_spec == DOOR  # the listed address, as the list spells it
    assert message["Subject"] == "Votre lien de connexion à la console Open d'Etat"
    path, token = link_in(message)
    assert path.startswith("/console/session?token=")

    # followed from another site, as from a webmail: the page only asks to confirm (a mail scanner that
    # opens the link spends nothing), and the button opens the session
    webmail = f"<h1>Webmail</h1><a id=go href='{stack.base_url}{path}'>lien</a>"
    tab.driver.get("data:text/html," + quote(webmail))
    tab.follow("#go")
    assert tab.js("document.querySelector('h1').textContent") == "Ouvrir votre session"
    tab.screenshot("confirm")
    tab.send("Ouvrir ma session")
    assert tab.js("location.pathname") == "/console" and tab.js("location.search") == ""  # no token left
    assert f"Connecté·e : {DOOR.lower()}" in tab.js("document.body.innerText")
    [cookie] = [c for c in tab.driver.get_cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and token not in cookie["value"]

    # why the link's page asks for a click: the session cookie (SameSite=Strict) does not travel with a
    # navigation another site starts, so a link that opened the session at once would land on the sign-in
    tab.driver.get(
        "data:text/html," + quote(f"<h1>Webmail</h1><a id=go href='{stack.base_url}/console'>console</a>")
    )
    tab.follow("#go")
    assert tab.js("location.pathname") == "/console/sign-in"
    tab.open(f"/console/forums/{forum['id']}/check-in")
    typed(tab, "code", forum["arriving"]["attendee_code"])
    tab.send("Enregistrer l'arrivée")
    assert tab.js("document.getElementById('outcome').innerText").startswith("Arrivée enregistrée")
    trail = api.organiser("GET", "/audit", params={"actor": DOOR.lower()}).json()["items"]
    assert [(e["action"], e["subject"]) for e in trail] == [("attendee_checked_in", forum["arriving"]["id"])]

    again = browser(javascript=False)
    again.open(path)
    again.send("Ouvrir ma session")
    assert again.js("document.querySelector('h1').textContent") == "Ce lien de connexion n'est plus valide"
    assert [c for c in again.driver.get_cookies() if c["name"] == COOKIE] == []
    again.screenshot("used")
    second = opened(stack.base_url, path)
    assert second.status_code == 401 and COOKIE not in second.headers.get("Set-Cookie", "")

    time.sleep(1)  # the access log's lines are written as the answers go
    logs = "".join(path.read_text() for path in stack.log_dir.glob("*.log"))
    assert "/console/session?token=" in logs and token not in logs


def test_the_session_answer_sends_the_browser_on_without_the_token_or_a_referrer(browser, stack, mail):
    asked(stack.base_url, ENGLISH, lang="en")
    [message] = wait_for_mails(mail, {ENGLISH: 1})[ENGLISH]
    assert message["Subject"] == "Your sign-in link to the Open d'Etat console"
    email_passes_axe(browser, message, "en")
    path, token = link_in(message)
    assert path.startswith("/en/console/session?token=")  # the page's language
    page = requests.get(f"{stack.base_url}{path}", timeout=30)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    answer = opened(stack.base_url, path)
    assert answer.status_code == 303 and answer.headers["Location"] == "/en/console"
    assert answer.headers["Referrer-Policy"] == "no-referrer" and token not in answer.headers["Location"]
    assert {c.split(";")[0].split("=")[0] for c in answer.raw.headers.getlist("Set-Cookie")} == {COOKIE}


def test_an_expired_link_is_refused(browser, stack, mail, database_url):
    _, answer = asked(stack.base_url, EXPIRING)
    assert answer.status_code == 200
    [message] = wait_for_mails(mail, {EXPIRING: 1})[EXPIRING]
    email_passes_axe(browser, message, "fr")
    path, token = link_in(message)
    with psycopg.connect(database_url, autocommit=True) as conn:  # its 15 minutes are over
        done = conn.execute(
            "UPDATE notification.console_links SET expires_at = now() - interval '1 second' WHERE digest = %s",
            (hashlib.sha256(token.encode()).hexdigest(),),
        )
        assert done.rowcount == 1
    refused = opened(stack.base_url, path)
    assert refused.status_code == 401 and COOKIE not in refused.headers.get("Set-Cookie", "")
    assert "Ce lien de connexion n&#39;est plus valide" in refused.text


def test_an_address_off_the_list_gets_the_same_page_and_no_email(stack, mail):
    stranger = f"stranger-{uuid.uuid4().hex[:8]}@example.org"
    client, off_list = asked(stack.base_url, stranger)
    _, listed = asked(stack.base_url, OFF_LIST_TOO, client=client)
    assert off_list.status_code == listed.status_code == 200
    assert main_of(off_list) == main_of(listed)  # the same page, whichever address
    wait_for_mails(mail, {OFF_LIST_TOO: 1})
    assert inbox(mail, stranger)[stranger] == []  # asked first, answered before the listed one's came

    # the per-address limit (2 here): a third ask is answered the same, and sends nothing
    for _ in range(2):
        _, again = asked(stack.base_url, OFF_LIST_TOO, client=client)
        assert again.status_code == 200 and main_of(again) == main_of(listed)
    wait_for_mails(mail, {OFF_LIST_TOO: 2})
    stays_true(lambda: len(inbox(mail, OFF_LIST_TOO)[OFF_LIST_TOO]) == 2, 3, "a third link went")

    hostile = '"><img src=x onerror=alert(1)>'
    _, bad = asked(stack.base_url, hostile, client=client)
    assert bad.status_code == 422 and "<img src=x" not in bad.text
    assert html.escape(hostile) in bad.text or "&#34;&gt;&lt;img" in bad.text
    assert 'href="#email"' in bad.text and 'aria-invalid="true" aria-describedby="email-error"' in bad.text
    forged = client.post(f"{stack.base_url}/console/sign-in/link", data={"email": OFF_LIST_TOO}, timeout=30)
    assert forged.status_code == 403  # no CSRF token: nothing sent
    stays_true(lambda: len(inbox(mail, OFF_LIST_TOO)[OFF_LIST_TOO]) == 2, 2, "a link went without the form")


def test_a_caller_on_the_bus_cannot_choose_where_a_link_goes(stack, mail, module_amqp_uri):
    attacker = f"attacker-{uuid.uuid4().hex[:8]}@example.org"
    with ClusterRpcProxy({"AMQP_URI": module_amqp_uri}, timeout=15) as rpc:
        assert rpc.notification.send_console_link(attacker, "fr") is None
        assert rpc.notification.send_console_link(BUS, "fr") is None  # the same answer
        assert rpc.notification.spend_console_link("0" * 64) is None
    [message] = wait_for_mails(mail, {BUS: 1})[BUS]
    assert inbox(mail, attacker)[attacker] == []  # asked first: done before the listed one's was written
    assert link_in(message)[0].startswith("/console/session?token=")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_new_states_pass_axe(browser, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)
    assert tab.open(f"{prefix}/console/sign-in") == []
    assert tab.axe() == [] and tab.js("document.documentElement.lang") == lang
    tab.screenshot(f"sign-in-{lang}")
    typed(tab, "email", "pas-une-adresse")
    tab.send("Recevoir un lien de connexion" if lang == "fr" else "Get a sign-in link")
    assert tab.js("document.getElementById('email').getAttribute('aria-invalid')") == "true"
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == "#email"
    assert tab.axe() == []
    tab.screenshot(f"email-refused-{lang}")
    typed(tab, "email", f"nobody-{uuid.uuid4().hex[:6]}@example.org")
    tab.send("Recevoir un lien de connexion" if lang == "fr" else "Get a sign-in link")
    assert tab.js("document.getElementById('link-asked') !== null") and tab.axe() == []
    assert tab.broken_links() == [] and tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.screenshot(f"asked-{lang}")
    assert tab.open(f"{prefix}/console/session?token={'A' * 43}") == []  # a well-formed one we never sent
    assert tab.axe() == [] and tab.js("document.documentElement.lang") == lang
    tab.screenshot(f"confirm-{lang}")
    tab.send("Ouvrir ma session" if lang == "fr" else "Open my session")
    words = tab.js("document.body.innerText")
    assert ("plus valide" if lang == "fr" else "no longer valid") in words
    assert tab.axe() == []
    tab.screenshot(f"refused-{lang}")
