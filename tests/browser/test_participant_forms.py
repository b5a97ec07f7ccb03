"""The participant's forms as their browser shows them, JavaScript off: a person registers through the forum's
public form, follows the link of the email the SMTP server received to /me, proposes a topic (an empty title is
the form again with its error, nothing created; a hostile title comes out as text) and finds it in /me awaiting
moderation; comments on the published restitution and on one of its commitments from the public page's links,
and reads their comments there once an organiser publishes them; a form posted without its CSRF token, or
without a session, does nothing; the pages pass axe-core in French and English at both widths. What each step
did is checked through the API."""

import re
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from e2e.client import parts, person, wait_for_mails
from e2e.test_restitution_comments import known_to_restitution, published
from e2e.test_topics import known_to_topics, participants
from selenium.webdriver.common.by import By

HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">'
LINK = re.compile(r"https?://[^\s<>\"']+?\?token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def heading(tab):
    return tab.js("document.querySelector('h1').textContent.trim()")


def main_text(tab):
    return tab.js("document.querySelector('main').innerText")


def type_in(tab, field, words):
    found = tab.driver.find_element(By.ID, field)
    found.clear()
    found.send_keys(words)


def emailed_link(message):
    """The path of the link to the person's space in the email (``/me/session?token=…``)."""
    text, markup = parts(message)
    [link, *_] = LINK.findall(text)
    assert link in markup, "the HTML part links elsewhere"
    address = urlsplit(link)
    assert address.path == "/me/session", link
    return f"{address.path}?{address.query}"


def proposals(api, token):
    return api.call("GET", "/people/me/topics", token).json()["proposals"]


def pending(api, forum_id):
    answer = api.organiser("GET", "/comments/pending", params={"forum_id": forum_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_a_registered_person_proposes_a_topic_and_comments_without_javascript(browser, api, mail, stack):
    forum = api.create_forum(title=f"Forum des communs {uuid.uuid4().hex[:6]}")
    tab = browser(javascript=False, viewport="phone")
    assert tab.open(f"/forums/{forum['id']}") == []
    someone = person(locale="fr")
    for name in ("first_name", "last_name", "email"):
        type_in(tab, name, someone[name])
    tab.driver.find_element(By.CSS_SELECTOR, "input[name=stakeholder_group][value=civil_society]").click()
    tab.send("M'inscrire")
    assert heading(tab) == "Inscription confirmée"
    [confirmation] = wait_for_mails(mail, {someone["email"]: 1})[someone["email"].lower()]
    link = emailed_link(confirmation)
    token = re.search(r"token=([A-Za-z0-9_.-]+)", link).group(1)
    known_to_topics(api, token)
    known_to_restitution(api, forum, token)  # before anything is published: refused, nothing kept

    assert tab.open(link) == []
    assert tab.js("location.pathname") == "/me" and heading(tab) == "Mon espace participant"
    assert "Aucune proposition de sujet." in main_text(tab)
    tab.send(f"Proposer un sujet pour « {forum['title']} »")
    assert tab.js("location.pathname") == f"/me/forums/{forum['id']}/topics/new"
    assert heading(tab) == "Proposer un sujet" and forum["title"] in main_text(tab)
    tab.screenshot("topic-form")

    type_in(tab, "description", "Sans titre")  # the title left empty: the form again, nothing created
    tab.send("Envoyer ma proposition")
    assert heading(tab) == "Proposer un sujet"
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == "#title"
    assert tab.js("document.getElementById('title').getAttribute('aria-invalid')") == "true"
    assert (
        tab.js("document.getElementById('title').getAttribute('aria-describedby')")
        == "title-hint title-error"
    )
    assert "Indiquez un titre" in tab.js("document.getElementById('title-error').textContent")
    assert tab.js("document.getElementById('description').value") == "Sans titre"  # what was typed stays
    tab.screenshot("topic-error")
    assert proposals(api, token) == []

    type_in(tab, "title", HOSTILE)
    tab.send("Envoyer ma proposition")
    assert heading(tab) == "Votre proposition est envoyée"
    assert HOSTILE in main_text(tab) and tab.js("window.__pwned") is None
    assert "attend la relecture des organisateurs" in main_text(tab)
    [proposed] = proposals(api, token)
    assert (proposed["title"], proposed["status"], proposed["forum_id"]) == (HOSTILE, "proposed", forum["id"])
    assert proposed["description"] == "Sans titre"
    tab.screenshot("topic-sent")
    tab.open("/me")
    mine = tab.js("document.querySelector('#proposals + ul').innerText")
    assert HOSTILE in mine and "en attente de modération" in mine and tab.js("window.__pwned") is None
    assert tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.screenshot("me")

    version = published(api, forum)
    commitment_id = version["commitments"][0]["id"]
    tab.open(f"/restitutions/{forum['id']}")
    assert tab.js("document.scripts.length") == 0  # the public record stays without script
    tab.follow(f"#comment-links a[href='/me/forums/{forum['id']}/comments/new']")
    assert heading(tab) == "Commenter la restitution"
    assert "lisent chaque commentaire avant de le publier" in tab.js(
        "document.getElementById('moderation').textContent"
    )
    type_in(tab, "body", HOSTILE)
    type_in(tab, "author_name", "Camille <b>M.</b>")
    tab.driver.find_element(By.ID, "notify_replies").click()
    tab.screenshot("comment-form")
    tab.send("Envoyer mon commentaire")
    assert heading(tab) == "Votre commentaire est envoyé" and tab.js("window.__pwned") is None
    assert "Les organisateurs le lisent avant de le publier" in main_text(tab)

    tab.open(f"/restitutions/{forum['id']}")
    tab.follow(f"#comment-links a[href$='commitment={commitment_id}']")
    assert heading(tab) == "Commenter un engagement" and "Ouvrir le jeu" in main_text(tab)
    type_in(tab, "body", "Quand commence-t-il ?")
    tab.send("Envoyer mon commentaire")
    assert heading(tab) == "Votre commentaire est envoyé"

    waiting = {c["body"]: c for c in pending(api, forum["id"])}
    assert set(waiting) == {HOSTILE, "Quand commence-t-il ?"}
    assert (waiting[HOSTILE]["author_name"], waiting[HOSTILE]["commitment_id"]) == ("Camille <b>M.</b>", None)
    assert waiting["Quand commence-t-il ?"]["commitment_id"] == commitment_id
    reader = browser(javascript=False)  # anyone, before moderation: nothing of it is public
    reader.open(f"/restitutions/{forum['id']}?before")
    assert "Quand commence-t-il ?" not in main_text(reader)
    for comment in waiting.values():
        assert api.organiser("POST", f"/comments/{comment['id']}/publish").status_code == 200

    reader.open(f"/restitutions/{forum['id']}")
    first = f"#comment-{waiting[HOSTILE]['id']}"
    assert HOSTILE in reader.js(f"document.querySelector('{first} .comment-body').textContent")
    assert "Camille <b>M.</b>" in reader.js(f"document.querySelector('{first}').innerText")
    on_commitment = f"#commitment-{commitment_id} #comment-{waiting['Quand commence-t-il ?']['id']}"
    assert reader.js(f"document.querySelector('{on_commitment}') !== null")
    assert reader.js("window.__pwned") is None and reader.js("document.scripts.length") == 0
    assert reader.broken_links() == []
    reader.screenshot("restitution-discussed")

    tab.open(f"/restitutions/{forum['id']}?after")  # the reply, from the link the published comment now has
    tab.follow(f"#comment-links a[href$='parent={waiting[HOSTILE]['id']}']")
    assert heading(tab) == "Répondre à un commentaire" and HOSTILE in tab.js(
        "document.querySelector('blockquote').textContent"
    )
    assert (
        tab.js("document.getElementById('notify_replies')") is None
    )  # a reply takes no reply: nothing to be told of
    type_in(tab, "body", "Une réponse")
    tab.send("Envoyer mon commentaire")
    assert heading(tab) == "Votre commentaire est envoyé"
    [reply] = [c for c in pending(api, forum["id"]) if c["body"] == "Une réponse"]
    assert reply["parent_id"] == waiting[HOSTILE]["id"]


@pytest.fixture(scope="module")
def place(api, mail):
    """A forum with a published restitution (one commitment), and registrants with their tokens."""
    forum = api.create_forum(title=f"Forum de la transparence {uuid.uuid4().hex[:6]}")
    people = participants(api, mail, forum, "company", "citizen", "research_media")
    for token in people:
        known_to_restitution(api, forum, token)
    version = published(api, forum)
    return SimpleNamespace(forum=forum, people=people, commitment_id=version["commitments"][0]["id"])


def opened_session(stack, token):
    client = requests.Session()
    client.get(f"{stack.base_url}/me/session?token={token}", timeout=30)
    return client


def test_a_form_without_its_csrf_token_or_a_session_does_nothing(place, api, stack):
    token, forum_id = place.people[0], place.forum["id"]
    topics = f"{stack.base_url}/me/forums/{forum_id}/topics/new"
    comments = f"{stack.base_url}/me/forums/{forum_id}/comments/new"
    client = opened_session(stack, token)
    form = client.get(topics, timeout=30)
    assert form.status_code == 200 and 'name="csrf"' in form.text
    before = pending(api, forum_id)
    posts = [(topics, {"title": "Sans jeton"}), (comments, {"body": "Sans jeton"}),
             (f"{comments}?commitment={place.commitment_id}", {"body": "Sans jeton"})]  # fmt: skip
    for address, data in posts:
        for csrf in ({}, {"csrf": "0" * 64}):
            refused = client.post(address, data=data | csrf, timeout=30)
            assert refused.status_code == 403 and "Formulaire expiré" in refused.text, address
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', form.text).group(1)
    stranger = requests.Session()  # a valid form, but no session: the page to ask a link
    stranger.cookies.set("odt_csrf", client.cookies["odt_csrf"])
    for address, data in posts:
        refused = stranger.post(address, data=data | {"csrf": csrf}, timeout=30)
        assert refused.status_code == 401 and "Recevoir un nouveau lien" in refused.text, address
    for address in (topics, comments):
        asked = requests.get(address, timeout=30)  # what the public pages link to, without a session
        assert asked.status_code == 200 and "Recevoir un nouveau lien" in asked.text
    assert proposals(api, token) == [] and pending(api, forum_id) == before

    empty = client.post(topics, data={"csrf": csrf, "title": "  ", "description": "x"}, timeout=30)
    assert empty.status_code == 422 and 'id="title-error"' in empty.text
    blank = client.post(comments, data={"csrf": csrf, "body": ""}, timeout=30)
    assert blank.status_code == 422 and 'id="body-error"' in blank.text
    elsewhere = client.get(f"{comments}?commitment={uuid.uuid4()}", timeout=30)
    assert elsewhere.status_code == 404 and "Introuvable dans cette restitution" in elsewhere.text
    malformed = client.get(f"{comments}?parent=not-an-id", timeout=30)
    assert malformed.status_code == 400 and "Introuvable dans cette restitution" in malformed.text
    assert requests.get(f"{comments}?parent=", timeout=30).status_code == 400  # with a session or without
    unknown = client.get(f"{stack.base_url}/me/forums/{uuid.uuid4()}/topics/new", timeout=30)
    assert unknown.status_code == 404
    assert proposals(api, token) == [] and pending(api, forum_id) == before


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_forms_pass_axe(browser, place, api, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    forum_id = place.forum["id"]
    tab = browser(viewport=viewport, lang=lang)  # axe runs in the page: JavaScript on (the pages have none)

    def check(label, status=200):
        errors = [e for e in tab.console_errors() if f"status of {status} " not in e]  # a 422 is the page's
        assert tab.axe() == [] and errors == [], label
        assert tab.js("document.documentElement.scrollWidth") <= tab.width, label
        tab.screenshot(f"{label}-{lang}")

    token = place.people[1 if lang == "fr" else 2]
    assert tab.open(f"{prefix}/me/forums/{forum_id}/topics/new") == []  # no session yet: how to get a link
    assert tab.js("document.getElementById('email') !== null")
    check("signin")
    assert tab.open(f"{prefix}/me/session?token={token}") == []
    assert tab.js("location.pathname") == f"{prefix}/me"
    assert tab.open(f"{prefix}/me/forums/{forum_id}/topics/new") == []
    check("topic-form")
    tab.send("Envoyer ma proposition" if lang == "fr" else "Send my proposal")
    check("topic-error", 422)
    type_in(tab, "title", f"Ouvrir les données {viewport}")
    tab.send("Envoyer ma proposition" if lang == "fr" else "Send my proposal")
    check("topic-sent")
    tab.open(f"{prefix}/me")
    check("me")
    tab.open(f"{prefix}/me/forums/{forum_id}/comments/new?commitment={place.commitment_id}")
    check("comment-form")
    tab.send("Envoyer mon commentaire" if lang == "fr" else "Send my comment")
    check("comment-error", 422)
    type_in(tab, "body", "Un commentaire")
    tab.send("Envoyer mon commentaire" if lang == "fr" else "Send my comment")
    check("comment-sent")
    assert tab.open(f"/forums/{forum_id}/topics") == []
    assert tab.js(f"document.querySelector('a[href=\"/me/forums/{forum_id}/topics/new\"]') !== null")
