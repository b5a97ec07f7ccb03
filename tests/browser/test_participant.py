"""A participant's own pages as their browser shows them, JavaScript off: they follow their emailed link's
token to /me/session and land on /me with no token in the address, see their registration, change a
consent, download their export, vote in an approval round on a phone, cancel after a confirmation step and
sign out; a forged or revoked link opens nothing; a form posted without its CSRF token does nothing; the
pages pass axe-core (in a tab with JavaScript on) in French and English at both widths; a keyboard alone
casts a ballot on the no-JavaScript form. What each step did is checked through the API with the token."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urldefrag, urlsplit

import pytest
import requests
from e2e.client import inbox, parts, person, problem, wait_for_mails
from e2e.test_topic_pages import titled
from e2e.test_topics import approval, participants
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness.testing import wait_until


def soon(**delta):
    return (datetime.now(UTC) + timedelta(days=2, **delta)).isoformat(timespec="seconds")


@pytest.fixture(scope="module")
def forum(api, mail):
    """A forum with an open approval round over three topics, and four registrants with their tokens."""
    made = api.create_forum(
        starts_at=soon(), ends_at=soon(hours=6), title=f"Forum du numérique {uuid.uuid4().hex[:6]}"
    )
    people = participants(api, mail, made, "citizen", "company", "civil_society", "other")
    topics = titled(api, made, "Logiciels libres", "Données ouvertes", "Accessibilité numérique")
    opened = api.organiser("POST", f"/forums/{made['id']}/rounds", json=approval(max_choices=2))
    assert opened.status_code == 201, opened.text
    return SimpleNamespace(forum=made, people=people, topics=topics, round_id=opened.json()["id"])


def heading(tab):
    return tab.js("document.querySelector('h1').textContent.trim()")


def session_cookie(tab):
    found = tab.driver.get_cookie("odt_me")
    return {"odt_me": found["value"]} if found else {}


def broken_with_session(tab):
    """Every same-origin link of the page, asked with the tab's session: those answering 400 or more."""
    origin = urlsplit(tab.base_url)[:2]
    hrefs = tab.js("Array.from(document.querySelectorAll('a[href]:not([href^=\"#\"])'), (a) => a.href)")
    targets = {urldefrag(href).url for href in hrefs if urlsplit(href)[:2] == origin}
    answers = {
        t: requests.get(t, cookies=session_cookie(tab), timeout=30).status_code for t in sorted(targets)
    }
    return [(target, code) for target, code in answers.items() if code >= 400]


def registration_of(api, token):
    [registration] = api.call("GET", "/people/me", token).json()["registrations"]
    return registration


def test_a_person_manages_their_registration_and_votes_without_javascript(browser, forum, api, stack):
    token = forum.people[0]
    tab = browser(javascript=False, viewport="phone")
    assert tab.open(f"/me/session?token={token}") == []
    assert tab.js("location.href") == f"{stack.base_url}/me"  # the token is gone from the address bar
    assert token.split(".")[0] not in tab.js("location.href + document.documentElement.outerHTML")
    assert heading(tab) == "Mon espace participant"
    words = tab.js("document.body.innerText")
    assert forum.forum["title"] in words and "Inscription confirmée" in words
    cookie = tab.driver.get_cookie("odt_me")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert broken_with_session(tab) == []
    tab.screenshot("me")

    registration = registration_of(api, token)
    assert registration["consents"]["public_list"] is False
    tab.driver.find_element(By.ID, f"public-{registration['id']}").click()
    tab.send("Enregistrer mes choix")
    assert "Vos choix sont enregistrés." in tab.js("document.querySelector('[role=status]').textContent")
    assert tab.js(f"document.getElementById('public-{registration['id']}').checked")
    assert registration_of(api, token)["consents"] == registration["consents"] | {"public_list": True}

    export = requests.get(f"{stack.base_url}/me/export", cookies=session_cookie(tab), timeout=30)
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    assert export.headers["Content-Disposition"].startswith("attachment;")
    assert export.json()["registrations"][0]["id"] == registration["id"]
    assert set(export.json()) >= {"person", "registrations", "subscriptions", "topics", "restitution"}

    assert tab.open(f"/me/rounds/{forum.round_id}") == []
    assert tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.driver.find_element(By.CSS_SELECTOR, f"input[value='{forum.topics[1]}']").click()
    tab.screenshot("ballot")
    tab.send("Enregistrer mon vote")
    assert heading(tab) == "Votre vote est enregistré"
    assert "Données ouvertes" in tab.js("document.querySelector('main').innerText")
    tab.screenshot("voted")
    mine = api.call("GET", "/people/me/topics", token).json()["ballots"]
    assert [b["content"] for b in mine if b["round_id"] == forum.round_id] == [{"choices": [forum.topics[1]]}]

    tab.open("/me")
    tab.send(f"Annuler mon inscription à « {forum.forum['title']} »")
    assert heading(tab) == "Annuler votre inscription ?"
    assert registration_of(api, token)["status"] == "confirmed"  # nothing happens before the confirmation
    tab.screenshot("cancel")
    tab.send("Oui, annuler mon inscription")
    assert heading(tab) == "Inscription annulée"
    assert registration_of(api, token)["status"] == "cancelled"

    tab.open("/me")
    tab.send("Quitter mon espace")
    assert heading(tab) == "Vous avez quitté votre espace" and tab.driver.get_cookie("odt_me") is None
    tab.open("/me")
    assert "Recevoir un nouveau lien" in tab.js("document.body.innerText")

    assert "GET /me/session?token=… HTTP" in stack.log_path("gateway").read_text(errors="replace")  # redacted
    for name in ("gateway", "registration"):
        log = stack.log_path(name).read_text(errors="replace")
        assert token.split(".")[0] not in log and token.split(".")[1] not in log, (
            f"the token in the {name} log"
        )


def test_a_forged_or_revoked_link_opens_nothing(browser, forum, api, mail, stack):
    payload, signature = forum.people[1].split(".")
    forged = f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    tab = browser(javascript=False)
    assert tab.open(f"/me/session?token={forged}", status=401) == []
    assert heading(tab) == "Ce lien n'est plus valide" and tab.driver.get_cookie("odt_me") is None

    kept = browser(javascript=False, lang="en")  # a session opened before the links are revoked
    kept.open(f"/en/me/session?token={forum.people[1]}")
    assert kept.js("location.pathname") == "/en/me"
    assert api.call("POST", "/people/me/revoke-links", forum.people[1]).status_code == 202
    assert tab.open(f"/me/session?token={forum.people[1]}", status=401) == []
    assert heading(tab) == "Ce lien n'est plus valide" and tab.driver.get_cookie("odt_me") is None
    kept.open("/en/me")
    assert heading(kept) == "Your session has ended" and kept.driver.get_cookie("odt_me") is None
    problem(api.call("GET", "/people/me", forum.people[1]), 401)


def test_a_form_posted_without_its_csrf_token_does_nothing(forum, api, stack):
    token = forum.people[2]
    client = requests.Session()
    opened = client.get(f"{stack.base_url}/me/session?token={token}", allow_redirects=False, timeout=30)
    assert opened.status_code == 303 and opened.headers["Location"] == "/me"
    assert (
        opened.headers["Referrer-Policy"] == "no-referrer" and opened.headers["Cache-Control"] == "no-store"
    )
    assert (
        "odt_csrf" in client.get(f"{stack.base_url}/me", timeout=30).cookies
    )  # a visitor's cookie, no token
    registration = registration_of(api, token)
    base = f"{stack.base_url}/me/registrations/{registration['id']}"
    posts = [(f"{base}/consents", {"consent_updates": "yes", "consent_public_list": "yes"}), (f"{base}/cancel", {}),
             (f"{stack.base_url}/me/erase", {}), (f"{stack.base_url}/me/rounds/{forum.round_id}",
                                                  {"choices": forum.topics[0]})]  # fmt: skip
    for address, data in posts:
        for csrf in ({}, {"csrf": "0" * 64}):
            refused = client.post(address, data=data | csrf, timeout=30)
            assert refused.status_code == 403 and "Formulaire expiré" in refused.text, address
    assert registration_of(api, token) == registration
    assert api.call("GET", "/people/me/topics", token).json()["ballots"] == []


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_participant_pages_pass_axe(browser, forum, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)  # axe runs in the page: JavaScript on (the pages have none)

    def check(label, status=200):
        errors = [e for e in tab.console_errors() if f"status of {status} " not in e]  # a 422 is the page's
        assert tab.axe() == [] and errors == [], label
        assert tab.js("document.documentElement.scrollWidth") <= tab.width, label
        tab.screenshot(f"{label}-{lang}")

    assert tab.open(f"{prefix}/me") == []
    check("signin")
    assert tab.open(f"{prefix}/me/session?token={forum.people[3]}") == []
    assert tab.js("location.pathname") == f"{prefix}/me"
    check("me")
    registration_id = tab.js(
        "document.querySelector('form[action*=consents] input[type=checkbox]').id.slice(8)"
    )
    for page in (f"/me/registrations/{registration_id}/cancel", "/me/erase", f"/me/rounds/{forum.round_id}"):
        assert tab.open(prefix + page) == []
        check(page.split("/")[2])
    save = "Enregistrer mon vote" if lang == "fr" else "Save my vote"
    tab.driver.find_element(By.CSS_SELECTOR, f"input[value='{forum.topics[0]}']").click()
    tab.send(save)
    check("voted")
    tab.open(f"{prefix}/me/rounds/{forum.round_id}")
    for choice in forum.topics:  # three ticked, two at most: the form again, its errors linked
        box = tab.driver.find_element(By.CSS_SELECTOR, f"input[value='{choice}']")
        if not box.is_selected():
            box.click()
    tab.send(save)
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == "#topics"
    check("ballot-errors", 422)


def test_a_keyboard_alone_casts_a_ballot_on_the_form_without_javascript(browser, forum, api):
    token = forum.people[3]
    tab = browser(javascript=False)
    tab.open(f"/me/session?token={token}")
    assert tab.open(f"/me/rounds/{forum.round_id}") == []
    wanted = tab.js(f"document.querySelector('input[value=\"{forum.topics[2]}\"]').id")
    keys = ActionChains(tab.driver)

    tab.tab_to(f"document.activeElement.id === {wanted!r}")
    keys.send_keys(Keys.SPACE).perform()
    assert tab.js(f"document.getElementById({wanted!r}).checked")
    tab.tab_to("document.activeElement.type === 'submit'")
    tab.arrive(lambda: keys.send_keys(Keys.ENTER).perform())
    assert heading(tab) == "Votre vote est enregistré"
    mine = api.call("GET", "/people/me/topics", token).json()["ballots"]
    [content] = [b["content"] for b in mine if b["round_id"] == forum.round_id]
    assert forum.topics[2] in content["choices"]


def test_a_person_votes_on_a_phone_from_the_link_in_their_call_to_vote(browser, api, mail, stack):
    """The call to vote a registrant receives links to their session, which leads to the round's ballot:
    followed on a phone without JavaScript, the link's token is gone from the address and the vote counts."""
    made = api.create_forum(
        starts_at=soon(), ends_at=soon(hours=6), title=f"Forum mobile {uuid.uuid4().hex[:6]}"
    )
    someone = person(locale="fr", stakeholder_group="citizen")
    api.registered(made["id"], someone)
    wait_for_mails(mail, {someone["email"]: 1})
    topics = titled(api, made, "Vélo en ville", "Tiers-lieux")
    opened = api.organiser("POST", f"/forums/{made['id']}/rounds", json=approval(max_choices=1))
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["id"]
    wait_until(lambda: any(m["Subject"].startswith("Vote ouvert") for m in inbox(mail, someone["email"])[
        someone["email"]]), 30, message="the call to vote")  # fmt: skip
    [call] = [
        m for m in inbox(mail, someone["email"])[someone["email"]] if m["Subject"].startswith("Vote ouvert")
    ]
    [link] = set(re.findall(r"https?://\S+/me/session\?token=[^\s&]+&round=[0-9a-f-]+", parts(call)[0]))
    address = urlsplit(link)
    assert address.path == "/me/session" and address.query.endswith(f"&round={round_id}")  # French

    tab = browser(javascript=False, viewport="phone")
    assert tab.open(f"{address.path}?{address.query}") == []
    assert tab.js("location.href") == f"{stack.base_url}/me/rounds/{round_id}"  # no token in the address
    tab.driver.find_element(By.CSS_SELECTOR, f"input[value='{topics[1]}']").click()
    tab.arrive(lambda: tab.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click())
    assert heading(tab) == "Votre vote est enregistré"
    tab.screenshot("voted-from-email")
    token = link.split("token=")[1].split("&")[0]
    mine = api.call("GET", "/people/me/topics", token).json()["ballots"]
    assert [b["content"]["choices"] for b in mine if b["round_id"] == round_id] == [[topics[1]]]


def test_the_manage_page_of_old_emails_hands_its_token_to_the_page_without_javascript(browser, forum, stack):
    tab = browser()
    assert tab.open(f"/manage#token={forum.people[2]}", "!document.getElementById('mine').hidden") == []
    tab.arrive(lambda: tab.driver.find_element(By.ID, "no-script").click())  # through /me/session, to /me
    tab.wait("location.pathname === '/me'")
    assert tab.js("location.href") == f"{stack.base_url}/me" and heading(tab) == "Mon espace participant"
    assert forum.forum["title"] in tab.js("document.body.innerText")
