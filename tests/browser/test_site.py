"""The forum page as a person meets it, JavaScript off: they register from the form and the email reaches a
real SMTP server; a person arriving once the forum is full reads their place on the waiting list; a form
sent wrong says what to fix next to each field; the English page is the same page in English; a form
posted from elsewhere does nothing; and each page passes axe-core at both widths."""

import uuid

import pytest
import requests
from e2e.client import person, wait_for_mails
from selenium.webdriver.common.by import By


def fill(tab, someone, group="citizen"):
    for name in ("first_name", "last_name", "email"):
        field = tab.driver.find_element(By.ID, name)
        field.clear()
        field.send_keys(someone[name])
    tab.driver.find_element(By.CSS_SELECTOR, f"input[name=stakeholder_group][value={group}]").click()


@pytest.fixture(scope="module")
def small_forum(api):
    return api.create_forum(capacity=1, title=f"Forum des communs {uuid.uuid4().hex[:6]}")


def test_a_person_registers_without_javascript_and_is_emailed(browser, small_forum, mail, api):
    tab = browser(javascript=False)
    assert tab.open(f"/forums/{small_forum['id']}") == []
    assert tab.js("document.documentElement.lang") == "fr"
    assert "1 place(s) restante(s) sur 1." in tab.js("document.body.innerText")
    assert tab.broken_links() == []
    tab.screenshot("form")
    someone = person(locale="fr")
    fill(tab, someone)
    tab.send("M'inscrire")
    assert tab.js("document.querySelector('h1').textContent") == "Inscription confirmée"
    words = tab.js("document.body.innerText")
    assert small_forum["title"] in words and someone["email"] in words
    assert tab.js("location.pathname") == f"/forums/{small_forum['id']}/register"
    tab.screenshot("confirmed")
    [confirmation] = wait_for_mails(mail, {someone["email"]: 1})[someone["email"].lower()]
    assert small_forum["title"] in confirmation["Subject"]

    late = person(locale="fr")  # the forum is full now: the next one waits, and reads where
    tab.open(f"/forums/{small_forum['id']}")
    assert "Complet" in tab.js("document.body.innerText")
    fill(tab, late, "company")
    tab.send("M'inscrire")
    assert tab.js("document.querySelector('h1').textContent") == "Vous êtes sur la liste d'attente"
    assert "en position 1" in tab.js("document.body.innerText")
    tab.screenshot("waitlisted")
    wait_for_mails(mail, {late["email"]: 1})
    stored = {r["email"]: r["status"] for r in api.registrations(small_forum["id"])}
    assert stored == {someone["email"]: "confirmed", late["email"]: "waitlisted"}


@pytest.mark.parametrize("javascript", [False, True])
def test_a_form_sent_wrong_says_what_to_fix_by_each_field(browser, api, javascript):
    forum = api.create_forum()
    tab = browser(javascript=javascript, viewport="phone")
    tab.open(f"/forums/{forum['id']}")
    tab.driver.find_element(By.ID, "email").send_keys("not-an-address")
    tab.driver.find_element(By.ID, "consent_attend").click()  # unticked
    tab.send("M'inscrire")
    assert tab.js("document.querySelector('h1').textContent") == forum["title"]
    summary = tab.js(
        "Array.from(document.querySelectorAll('.error-summary a'), (a) => a.getAttribute('href'))"
    )
    assert set(summary) == {"#first_name", "#last_name", "#email", "#stakeholder_group", "#consent_attend"}
    assert tab.js("document.getElementById('email').getAttribute('aria-invalid')") == "true"
    assert (
        tab.js("document.getElementById('email').getAttribute('aria-describedby')")
        == "email-hint email-error"
    )
    assert "Indiquez une adresse électronique valide" in tab.js(
        "document.getElementById('email-error').textContent"
    )
    assert tab.js("document.getElementById('email').value") == "not-an-address"  # what was typed stays
    if javascript:  # axe-core runs in the page: with JavaScript on (the page itself has no script)
        assert tab.axe() == []
    tab.screenshot("errors")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_forum_page_and_its_answers_pass_axe(browser, api, mail, lang, viewport):
    forum = api.create_forum(capacity=1, **PROGRAMME)
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)
    assert tab.open(f"{prefix}/forums/{forum['id']}") == []
    assert tab.axe() == [] and tab.console_errors() == []
    assert tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.screenshot(f"forum-{lang}")
    for outcome in ("confirmed", "waitlisted"):
        tab.open(f"{prefix}/forums/{forum['id']}")
        fill(tab, person(locale=lang))
        tab.send("M'inscrire" if lang == "fr" else "Register me")
        assert tab.js("document.querySelector('[role=status]') !== null"), tab.js("document.body.innerText")
        assert tab.axe() == [] and tab.broken_links() == [] and tab.console_errors() == []
        tab.screenshot(f"{outcome}-{lang}")
    assert tab.open(f"{prefix}/") == []
    assert tab.axe() == [] and tab.broken_links() == []
    tab.screenshot(f"home-{lang}")


HOSTILE = '"><img src=x onerror="document.title=1">'
PROGRAMME = {
    "agenda": [
        {"at": "09:30", "title": "Accueil et café"},
        {"at": "10:00", "title": f"Ateliers {HOSTILE}", "details": "Salle B\nSalle C"},
    ],
    "documents": [
        {"title": "Dossier du participant", "url": "https://example.org/dossier.pdf", "language": "fr"},
        {"title": f"Background note {HOSTILE}", "url": "https://example.org/note.pdf", "language": "en"},
    ],
}


def test_the_forum_page_shows_its_programme_and_documents_inert(browser, api):
    forum = api.create_forum(**PROGRAMME)
    tab = browser(javascript=False, viewport="phone")
    assert tab.open(f"/forums/{forum['id']}") == []
    items = tab.js("Array.from(document.querySelectorAll('.agenda li'), (li) => li.innerText)")
    assert items == ["09:30 Accueil et café", f"10:00 Ateliers {HOSTILE}\nSalle B\nSalle C"]
    links = tab.js(
        "Array.from(document.querySelectorAll('a[rel~=noopener]'), (a) => [a.textContent, a.href, a.hreflang])"
    )
    assert links == [
        ["Dossier du participant", "https://example.org/dossier.pdf", "fr"],
        [f"Background note {HOSTILE}", "https://example.org/note.pdf", "en"],
    ]
    assert tab.js("document.querySelectorAll('img').length") == 0 and tab.js("document.title") != "1"
    assert "(en anglais)" in tab.js("document.body.innerText")  # a document in the other language says so
    tab.screenshot("programme")


def test_the_english_page_is_the_same_page_in_english(browser, api, mail):
    forum = api.create_forum()
    tab = browser(javascript=False, lang="en")
    assert tab.open(f"/en/forums/{forum['id']}") == []
    assert tab.js("document.documentElement.lang") == "en"
    words = tab.js("document.body.innerText")
    assert "Register me" in words and "Accessibility of the venue" in words and "M'inscrire" not in words
    switch = tab.js("document.querySelector('a[hreflang=fr]').getAttribute('href')")
    assert switch == f"/forums/{forum['id']}"
    assert tab.broken_links() == []
    someone = person(locale="en")
    fill(tab, someone, "research_media")
    tab.send("Register me")
    assert tab.js("document.querySelector('h1').textContent") == "Registration confirmed", tab.js(
        "document.body.innerText"
    )
    assert tab.js("location.pathname") == f"/en/forums/{forum['id']}/register"
    [confirmation] = wait_for_mails(mail, {someone["email"]: 1})[someone["email"].lower()]
    assert "confirmed" in confirmation["Subject"].lower()  # their email is in English too


def test_a_form_posted_from_elsewhere_does_nothing(stack, api, mail):
    forum = api.create_forum()
    someone = person()
    data = {"first_name": "Eve", "last_name": "Forger", "email": someone["email"], "stakeholder_group": "other",
            "consent_attend": "yes", "csrf": "0" * 64}  # fmt: skip
    forged = requests.post(f"{stack.base_url}/forums/{forum['id']}/register", data=data, timeout=30)
    assert forged.status_code == 403 and "Formulaire expiré" in forged.text
    cookie = {"odt_csrf": "a" * 40}  # a cookie of the visitor's, but not the token that goes with it
    forged = requests.post(
        f"{stack.base_url}/forums/{forum['id']}/register", data=data, cookies=cookie, timeout=30
    )
    assert forged.status_code == 403
    assert api.registrations(forum["id"]) == []
