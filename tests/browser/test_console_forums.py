"""The console's forums as an organiser runs them, JavaScript off: they create a forum with its quotas (local
times in its own time zone), edit it, open it (the public page then takes registrations), close it and
cancel it with a reason, confirmed on a page of its own; the audit trail names them for each. A bad form
is answered 422 with every error by its field and creates nothing; a forum changed meanwhile is answered
409 with what was typed kept; a move the forum's status does not allow, 409; hostile text stays text; the
pages pass axe-core in both languages at both widths."""

import html
import re
import uuid
from datetime import datetime

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from gateway.routes.console_forums import forum_values

from .test_console import organiser_token, sign_in, signed_in, typed

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def fill(tab, **fields):
    """Type into text fields, choose in selects, set date-times (their widget takes keys by locale)."""
    for name, value in fields.items():
        element = tab.driver.find_element(By.ID, name)
        if element.tag_name == "select":
            Select(element).select_by_visible_text(value)
        elif element.get_attribute("type") == "datetime-local":
            tab.driver.execute_script("arguments[0].value = arguments[1]", element, value)
        else:
            typed(tab, name, value)


def instant(text):
    return datetime.fromisoformat(text)


def value_of(tab, name):
    return tab.js(f"document.getElementById('{name}').value")


def words(tab):
    return tab.js("document.querySelector('main').innerText")


def forums_named(api, text):
    found = api.organiser("GET", "/forums", params={"when": "all", "limit": 100}).json()["items"]
    return [f for f in found if text in f["title"] or text in f["venue"]["name"]]


def form_of(page):
    """The hidden fields of a page's form, as a client posting it sends them."""
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page)}  # fmt: skip


NEW_FORUM = {
    "starts_at": "2027-05-12T09:30",
    "ends_at": "2027-05-12T17:00",
    "timezone": "America/Cayenne",
    "venue_address": "2 rue du Port",
    "venue_city": "Cayenne",
    "capacity": "40",
    "quota_citizen": "10",
    "quota_company": "5",
}


def test_an_organiser_creates_edits_opens_closes_and_cancels_a_forum(browser, api):
    token = organiser_token(api)
    tag = uuid.uuid4().hex[:8]
    title = f"Forum {tag} {HOSTILE}"
    tab = browser(javascript=False, viewport="phone")
    tab.open("/console")
    sign_in(tab, token["token"])
    tab.send("Nouveau forum")
    assert tab.js("location.pathname") == "/console/forums/new"
    fill(tab, title=title, description=f"Ce qui s'y dira. {HOSTILE}", venue_name=f"Salle {tag}", **NEW_FORUM)
    tab.screenshot("new")
    tab.send("Créer le forum")
    forum_id = re.fullmatch(r"/console/forums/([0-9a-f-]{36})", tab.js("location.pathname")).group(1)
    assert tab.js("document.querySelector('h1').textContent") == title  # text, not markup
    assert tab.js("document.querySelectorAll('main img, main script').length") == 0
    forum = api.organiser("GET", f"/forums/{forum_id}").json()
    assert (forum["status"], forum["timezone"], forum["capacity"]) == ("draft", "America/Cayenne", 40)
    assert (
        instant(forum["starts_at"]) == instant("2027-05-12T12:30:00Z")  # 09:30 in Cayenne (UTC-3)
        and instant(forum["ends_at"]) == instant("2027-05-12T20:00:00Z")
    )
    assert forum["quotas"] == {"citizen": 10, "company": 5}
    assert tab.js(
        "Array.from(document.querySelectorAll('ul.moves button, ul.moves a'), (b) => b.innerText)"
    ) == [
        "Ouvrir les inscriptions",
        "Annuler le forum…",
    ]

    tab.send("Modifier le forum")
    assert value_of(tab, "title") == title and value_of(tab, "starts_at") == "2027-05-12T09:30"
    assert value_of(tab, "quota_citizen") == "10" and value_of(tab, "timezone") == "America/Cayenne"
    tab.screenshot("edit")
    fill(tab, capacity="50", quota_citizen="12", ends_at="2027-05-12T18:00")
    tab.send("Enregistrer les modifications")
    assert tab.js("location.pathname") == f"/console/forums/{forum_id}"
    forum = api.organiser("GET", f"/forums/{forum_id}").json()
    assert (forum["capacity"], forum["quotas"]) == (50, {"citizen": 12, "company": 5})
    assert instant(forum["ends_at"]) == instant("2027-05-12T21:00:00Z") and forum["title"] == title

    tab.send("Ouvrir les inscriptions")
    assert "Statut : Ouvert" in words(tab)
    tab.screenshot("opened")
    public = browser(javascript=False)
    public.open(f"/forums/{forum_id}")
    assert "50 place(s) restante(s) sur 50." in words(public)
    assert public.js("document.getElementById('register') !== null")  # the registration form is there

    closing = "Jauge atteinte, liste d'attente close"
    tab.driver.find_element(By.ID, "reason-closed").send_keys(closing)  # a move's reason, for the trail
    tab.send("Fermer les inscriptions")
    assert "Statut : Inscriptions fermées" in words(tab)
    public.open(f"/forums/{forum_id}")
    assert "Les inscriptions sont fermées." in words(public)

    tab.send("Annuler le forum…")
    assert tab.js("location.pathname") == f"/console/forums/{forum_id}/cancel"
    tab.send("Confirmer l'annulation du forum")  # no reason given
    assert tab.js("document.getElementById('reason').getAttribute('aria-invalid')") == "true"
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == "#reason"
    assert api.organiser("GET", f"/forums/{forum_id}").json()["status"] == "closed"
    reason = f"La salle est fermée pour travaux. {HOSTILE}"
    fill(tab, reason=reason)
    tab.screenshot("cancel")
    tab.send("Confirmer l'annulation du forum")
    assert "Statut : Annulé" in words(tab) and tab.js("document.querySelector('ul.moves')") is None
    assert "Modifier le forum" not in words(tab)
    public.open(f"/forums/{forum_id}")
    assert f"Ce forum est annulé. {reason}" in words(public)
    assert public.js("document.querySelectorAll('main img').length") == 0

    trail = api.organiser("GET", "/audit", params={"actor": token["name"]}).json()["items"]
    rows = [e for e in trail if e["service"] == "registration"]
    assert [(e["action"], e["subject"]) for e in rows] == [(action, forum_id) for action in
            ("forum_cancelled", "forum_closed", "forum_opened", "forum_updated", "forum_created")]  # fmt: skip
    assert rows[0]["details"]["reason"] == reason
    assert rows[1]["details"] == {"from": "open", "reason": closing} and "reason" not in rows[2]["details"]
    assert sorted(rows[3]["details"]["changes"]) == ["capacity", "ends_at", "quotas"]


def test_a_bad_form_says_each_error_by_its_field_and_creates_nothing(browser, stack, api):
    tag = uuid.uuid4().hex[:8]
    tab = browser(javascript=False)
    tab.open("/console")
    sign_in(tab, api.token)
    tab.open("/console/forums/new")
    bad = NEW_FORUM | {"ends_at": "2027-05-12T08:00", "quota_citizen": "-2"}
    fill(tab, title="", venue_name=f"Salle {tag} {HOSTILE}", **bad)
    tab.send("Créer le forum")
    links = tab.js("Array.from(document.querySelectorAll('.error-summary a'), (a) => a.getAttribute('href'))")
    assert links == ["#title", "#ends_at", "#quota_citizen"]
    for field in ("title", "ends_at", "quota_citizen"):
        assert tab.js(f"document.getElementById('{field}').getAttribute('aria-invalid')") == "true"
        described = tab.js(f"document.getElementById('{field}').getAttribute('aria-describedby')")
        assert f"{field}-error" in described.split()
        assert tab.js(f"document.getElementById('{field}-error').innerText").startswith("Erreur :")
    assert "La fin doit venir après le début." in words(tab)
    assert "Places réservées par groupe – citoyens : Indiquez un nombre entier" in tab.js(
        "document.querySelector('.error-summary').innerText"
    )
    # nothing typed is lost
    assert value_of(tab, "venue_name") == f"Salle {tag} {HOSTILE}" and value_of(tab, "quota_citizen") == "-2"
    assert value_of(tab, "timezone") == "America/Cayenne" and value_of(tab, "starts_at") == "2027-05-12T09:30"
    assert tab.js("document.querySelectorAll('main img').length") == 0
    tab.screenshot("errors")
    assert forums_named(api, f"Salle {tag}") == []

    client, _ = signed_in(stack.base_url, api.token)
    page = client.get(f"{stack.base_url}/console/forums/new", timeout=30)
    sent = form_of(page.text) | {"title": "", "venue_name": f"Salle {tag}", "venue_address": "a",
                                 "venue_city": "b", "timezone": "Europe/Paris", "starts_at": "2027-05-12T09:30",
                                 "ends_at": "2027-05-12T08:00", "capacity": "10", "quota_citizen": "-2"}  # fmt: skip
    answer = client.post(f"{stack.base_url}/console/forums/new", data=sent, allow_redirects=False, timeout=30)
    assert answer.status_code == 422 and 'href="#quota_citizen"' in answer.text
    gap = client.post(f"{stack.base_url}/console/forums/new", allow_redirects=False, timeout=30,
                      data=sent | {"title": "t", "ends_at": "", "starts_at": "2027-03-28T02:30"})  # fmt: skip
    assert gap.status_code == 422 and "Cette heure n&#39;existe pas" in gap.text
    assert forums_named(api, f"Salle {tag}") == []


def test_a_forum_changed_meanwhile_or_a_move_it_does_not_allow_is_refused_and_said(stack, api):
    forum = api.create_forum(capacity=10, status="draft", quotas={"citizen": 2})
    taken = api.create_forum(capacity=10, status="draft")
    client, _ = signed_in(stack.base_url, api.token)
    edit = f"{stack.base_url}/console/forums/{forum['id']}/edit"
    shown = form_of(client.get(edit, timeout=30).text)
    assert api.organiser("PATCH", f"/forums/{forum['id']}", json={"capacity": 15}).status_code == 200
    mine = forum_values(forum) | {"title": "Titre retenu"}
    conflict = client.post(edit, data=shown | mine, allow_redirects=False, timeout=30)
    assert conflict.status_code == 409
    assert "Ce forum a changé depuis que vous avez ouvert ce formulaire" in html.unescape(conflict.text)
    assert "Modifié entre-temps : Capacité (places en tout)." in html.unescape(conflict.text)
    assert 'value="Titre retenu"' in conflict.text  # what was typed is kept
    assert 'name="capacity" value="15"' in conflict.text  # what was not is brought up to date
    assert api.organiser("GET", f"/forums/{forum['id']}").json()["title"] == forum["title"]
    again = client.post(edit, data=form_of(conflict.text) | mine | {"capacity": "15"}, allow_redirects=False,
                        timeout=30)  # fmt: skip
    assert again.status_code == 303 and again.headers["Location"] == f"/console/forums/{forum['id']}"
    now = api.organiser("GET", f"/forums/{forum['id']}").json()
    assert (now["title"], now["capacity"]) == ("Titre retenu", 15)  # the change made meanwhile is kept

    shown = form_of(client.get(edit, timeout=30).text)
    slug = client.post(edit, data=shown | forum_values(now) | {"slug": taken["slug"]}, timeout=30)
    assert slug.status_code == 409 and 'aria-invalid="true"' in slug.text.split('id="slug"')[1].split(">")[0]
    assert "Un autre forum a déjà cette adresse" in html.unescape(slug.text)

    dashboard = client.get(f"{stack.base_url}/console/forums/{forum['id']}", timeout=30).text
    close = client.post(
        f"{stack.base_url}/console/forums/{forum['id']}/close", data=form_of(dashboard), timeout=30
    )
    assert close.status_code == 409
    assert (
        "Ce forum est à l'état « Brouillon », qui ne permet pas de fermer ses inscriptions."
        in html.unescape(close.text)
    )
    assert api.organiser("GET", f"/forums/{forum['id']}").json()["status"] == "draft"
    assert (
        client.get(f"{stack.base_url}/en/console/forums/{forum['id']}/cancel", timeout=30).status_code == 200
    )

    opened = api.create_forum(capacity=5)
    dashboard = client.get(f"{stack.base_url}/console/forums/{opened['id']}", timeout=30).text
    held = client.post(f"{stack.base_url}/console/forums/{opened['id']}/hold", data=form_of(dashboard),
                       allow_redirects=False, timeout=30)  # fmt: skip
    assert (
        held.status_code == 303 and api.organiser("GET", f"/forums/{opened['id']}").json()["status"] == "held"
    )
    dashboard = client.get(f"{stack.base_url}/console/forums/{opened['id']}", timeout=30).text
    assert (
        'class="moves"' not in dashboard and f"/console/forums/{opened['id']}/edit" not in dashboard
    )  # nothing left to do but look
    late = client.get(f"{stack.base_url}/console/forums/{opened['id']}/edit", timeout=30)
    assert late.status_code == 409 and "qui ne permet pas de le modifier" in html.unescape(late.text)

    reader = organiser_token(api, scope="read")
    looker, _ = signed_in(stack.base_url, reader["token"])
    page = looker.get(f"{stack.base_url}/console/forums/new", timeout=30)
    refused = looker.post(
        f"{stack.base_url}/console/forums/{forum['id']}/open", data=form_of(page.text), timeout=30
    )
    assert (
        refused.status_code == 403
        and api.organiser("GET", f"/forums/{forum['id']}").json()["status"] == "draft"
    )
    assert (
        requests.get(f"{stack.base_url}/console/forums/new", allow_redirects=False, timeout=30).status_code
        == 303
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_forum_pages_pass_axe(browser, api, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    forum = api.create_forum(capacity=10, title=f"Forum axe {uuid.uuid4().hex[:6]}", quotas={"citizen": 2})
    tab = browser(viewport=viewport, lang=lang)
    tab.open(f"{prefix}/console/sign-in")
    sign_in(tab, api.token, lang)
    for path, label in (
        ("/console", "forums"),
        ("/console/forums/new", "new"),
        (f"/console/forums/{forum['id']}", "forum"),
        (f"/console/forums/{forum['id']}/edit", "edit"),
        (f"/console/forums/{forum['id']}/cancel", "cancel"),
    ):
        assert tab.open(prefix + path) == []
        assert tab.axe() == [] and tab.broken_links() == [] and tab.console_errors() == []
        assert tab.js("document.documentElement.scrollWidth") <= tab.width, path
        tab.screenshot(f"{label}-{lang}")
    tab.open(f"{prefix}/console/forums/new")
    fill(tab, title="", ends_at="2027-05-12T08:00", starts_at="2027-05-12T09:30", quota_other="x")
    tab.send("Créer le forum" if lang == "fr" else "Create the forum")
    assert tab.js("document.querySelectorAll('.error-summary a').length") >= 3
    assert tab.axe() == [] and tab.broken_links() == []
    tab.screenshot(f"errors-{lang}")
