"""A forum's restitution in the organiser console, JavaScript off: the organiser writes the draft (the
minutes in Markdown, a decision, a commitment with its owner and due date, rows added by a button),
previews it with the facts a version would state (attendance, the round's results, the topic carried
over), saves it; a save made on a version someone else replaced is refused (409) with both texts on the
page and nothing typed lost; they publish after a confirmation (a draft saved again after the confirmation
page was shown, even during the click, is not published: the page shows it to confirm, 409), anyone reads
the public page and a registrant receives the email at the real SMTP server; they record a commitment's
progress with a public note, which the public register shows. Hostile Markdown stays inert, bad input
changes nothing, and the pages pass axe-core in both languages at both widths."""

import re
import threading
import uuid

import psycopg
import pytest
from e2e.client import person, problem, token_from, wait_for_mails, wait_until_mail
from e2e.test_checkin import check_in
from e2e.test_restitution import closed_round, prefilled_draft
from e2e.test_restitution_outputs import CARRIED, carry_over_a_topic
from e2e.test_topics import known_to_topics
from selenium.webdriver.common.by import By

from harness.testing import wait_until

from .test_console import organiser_token, sign_in, signed_in, typed

HOSTILE = (
    "Un **forum** utile.\n\n<script>window.__pwned = 1</script>\n\n"
    '[clic](javascript:alert(1)) "><img src=x onerror="window.__pwned = 2">'
)
INERT = (
    "document.querySelectorAll('main script, main [onerror], main img, main a[href^=\"javascript\"]').length === 0"
    " && typeof window.__pwned === 'undefined'"
)
STATUS = "performance.getEntriesByType('navigation')[0].responseStatus"


@pytest.fixture(scope="module")
def forum(api, mail):
    """A held forum's facts: a registrant checked in (she will hear of the restitution), a closed round
    whose agenda prefills a section, a topic carried over to the backlog with a hostile reason."""
    created = api.create_forum(title=f"Forum restitution {uuid.uuid4().hex[:6]}")
    path = f"/forums/{created['id']}/restitution"
    someone = person(locale="fr", stakeholder_group="citizen")
    registered = api.registered(created["id"], someone)
    token = token_from(wait_for_mails(mail, {someone["email"]: 1})[someone["email"].lower()][0])
    known_to_topics(api, token)
    assert check_in(api, created, registered["attendee_code"]).status_code == 200
    topic, _ = closed_round(api, created, token)
    carry_over_a_topic(api, created, path)
    prefilled_draft(api, path)
    wait_until(
        lambda: [a["checked_in"] for a in api.organiser("GET", f"{path}/draft").json()["facts"]["attendance"]
                 if a["stakeholder_group"] == "citizen"] == [1],
        30,
        message="the check-in among the draft's facts",
    )  # fmt: skip
    return created | {"path": path, "email": someone["email"], "topic": topic}


@pytest.fixture(scope="module")
def published(api):
    """A forum whose restitution is published (version 1), with one commitment."""
    created = api.create_forum(title=f"Forum publié {uuid.uuid4().hex[:6]}")
    path = f"/forums/{created['id']}/restitution"
    wait_until(
        lambda: api.organiser("GET", f"{path}/draft").status_code == 200, 30, message="the forum known"
    )
    commitment = {"title": "Publier le code", "owner": "DINUM", "due_on": "2027-12-31"}
    assert (
        api.organiser("PUT", path, json={"summary": "Une synthèse.", "commitments": [commitment]}).status_code
        == 200
    )
    assert api.organiser("POST", f"{path}/publish", json={}).status_code == 201
    [commitment] = api.call("GET", path).json()["commitments"]
    return created | {"path": path, "commitment": commitment}


def draft(api, forum):
    return api.organiser("GET", f"{forum['path']}/draft").json()


def value(tab, field):
    return tab.js(f"(document.getElementById('{field}') || document.getElementsByName('{field}')[0]).value")


def set_date(tab, field, day):
    tab.driver.execute_script("document.getElementById(arguments[0]).value = arguments[1]", field, day)


def words(tab, selector="main"):
    return tab.js(f"document.querySelector('{selector}').innerText")


def test_an_organiser_drafts_previews_saves_publishes_and_follows_a_commitment(browser, api, mail, forum):
    editor = f"/console/forums/{forum['id']}/restitution"
    tab = browser(javascript=False)
    tab.open(f"/console/forums/{forum['id']}")
    sign_in(tab, api.token)
    tab.follow(f"a[href='{editor}']")  # the forum's page leads to the editor
    assert tab.js("location.pathname") == editor and tab.broken_links() == []
    assert value(tab, "sections-0-title") == "Données ouvertes"  # prefilled from the round's agenda
    assert value(tab, "version") == "0"
    typed(tab, "summary-text", HOSTILE)
    typed(tab, "sections-0-body", "Ce qui a été dit de *l'ouverture*.")
    typed(tab, "decisions-0", "Publier les données")
    typed(tab, "commitments-0-title", "Ouvrir le jeu <b>de données</b>")
    typed(tab, "commitments-0-owner", "DINUM")
    set_date(tab, "commitments-0-due_on", "2027-06-30")
    rows = tab.js("document.querySelectorAll('textarea[id^=decisions-]').length")
    tab.send("Ajouter une décision")  # the form again, one more row, nothing typed lost
    assert tab.js("document.querySelectorAll('textarea[id^=decisions-]').length") == rows + 1
    assert value(tab, "summary-text") == HOSTILE and value(tab, "commitments-0-due_on") == "2027-06-30"
    assert tab.js(f"document.getElementById('decisions-{rows}') === document.activeElement")

    tab.send("Aperçu")
    assert tab.js(STATUS) == 200 and tab.js(INERT), tab.js("document.getElementById('preview').innerHTML")
    preview = words(tab, "#preview")
    assert "Un forum utile." in preview and "<script>window.__pwned = 1</script>" in preview  # shown as typed
    assert tab.js("document.querySelector('#preview #summary strong').textContent") == "forum"
    assert tab.js("document.querySelector('#preview #summary a') === null")  # javascript: loses its link
    citizens = tab.js(
        "Array.from(document.querySelectorAll('#preview #attendance tbody tr'), (tr) => tr.innerText)"
        ".find((row) => row.startsWith('citoyens'))"
    )
    assert citizens.split("\t")[1:] == ["1", "1"], citizens
    assert words(tab, "#preview #agenda") == "Données ouvertes"  # the round's results
    assert CARRIED in preview  # the topic carried over, its hostile title as text
    assert "Ouvrir le jeu <b>de données</b>" in preview and "DINUM" in preview and "30 juin 2027" in preview
    assert draft(api, forum)["version"] == 0  # a preview saves nothing
    tab.screenshot("preview")

    tab.send("Enregistrer le brouillon")
    assert tab.js("location.search") == "?saved=1"
    assert words(tab, "#outcome") == "Brouillon enregistré : version 1."
    saved = draft(api, forum)
    assert (saved["version"], saved["summary"], saved["decisions"]) == (1, HOSTILE, ["Publier les données"])
    assert [(c["title"], c["owner"], c["due_on"], c["status"]) for c in saved["commitments"]] == [
        ("Ouvrir le jeu <b>de données</b>", "DINUM", "2027-06-30", "planned")
    ]

    # another organiser saves in between: this form, made on version 1, is refused and keeps its text
    theirs = {key: saved[key] for key in ("version", "sections", "decisions", "commitments")}
    replaced = api.organiser("PUT", forum["path"], json=theirs | {"summary": "Leur synthèse."})
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    mine = "Ma synthèse, tapée pendant ce temps."
    typed(tab, "summary-text", mine)
    tab.send("Enregistrer le brouillon")
    assert tab.js(STATUS) == 409
    assert "Quelqu'un a enregistré ce brouillon entre-temps" in words(tab, "#conflict")
    assert words(tab, "#their-version .source") == "Leur synthèse."  # their version, shown
    assert value(tab, "summary-text") == mine and value(tab, "sections-0-body").startswith("Ce qui a été dit")
    assert value(tab, "version") == "2"  # saving again is a choice made knowing their version
    assert draft(api, forum)["summary"] == "Leur synthèse."  # nothing overwritten
    tab.screenshot("conflict")
    typed(tab, "summary-text", HOSTILE)
    tab.send("Enregistrer le brouillon")
    assert tab.js("location.search") == "?saved=3" and draft(api, forum)["summary"] == HOSTILE

    tab.send("Publier le brouillon enregistré…")
    assert tab.js(INERT) and "Ouvrir le jeu <b>de données</b>" in words(tab, "#preview")
    tab.screenshot("publish")
    tab.send("Publier cette version")
    assert tab.js("location.pathname") == f"{editor}/versions" and tab.js("location.search") == "?published=1"
    assert words(tab, "#outcome").startswith("Version 1 publiée")
    assert tab.broken_links() == []  # the public page of each version answers

    message = wait_until_mail(mail, forum["email"], "est publiée")[0]
    assert forum["title"] in message["Subject"]
    assert f"/restitutions/{forum['id']}" in message.get_body(preferencelist=("plain",)).get_content()

    tab.open(f"/restitutions/{forum['id']}")
    assert tab.js("document.querySelector('#summary strong').textContent") == "forum" and tab.js(INERT)
    assert "Publier les données" in words(tab, "#decisions")

    [commitment] = api.call("GET", forum["path"]).json()["commitments"]
    tab.open(f"{editor}/versions")
    status = f"status-{commitment['id']}"
    tab.driver.find_element(By.CSS_SELECTOR, f"#{status} option[value=in_progress]").click()
    tab.send("Enregistrer le changement")  # no note: refused, nothing recorded
    assert tab.js(STATUS) == 422
    assert (
        tab.js(f"document.getElementById('note-{commitment['id']}').getAttribute('aria-invalid')") == "true"
    )
    assert value(tab, status) == "in_progress"  # what was chosen, kept
    assert api.call("GET", forum["path"]).json()["commitments"][0]["history"] == []
    typed(tab, f"note-{commitment['id']}", "Jeu <em>en cours</em> de préparation")
    tab.send("Enregistrer le changement")
    assert tab.js("location.search") == f"?updated={commitment['id']}"
    assert "Suivi enregistré" in words(tab, "#outcome")
    tab.screenshot("versions")
    tab.follow("#outcome a")
    assert tab.js("location.pathname") == "/commitments"
    register = words(tab)
    assert "Jeu <em>en cours</em> de préparation" in register and tab.js(INERT)


def a_draft_read(api):
    """A forum whose draft, version 1, an organiser reads before publishing it."""
    created = api.create_forum(title=f"Forum à confirmer {uuid.uuid4().hex[:6]}")
    path = f"/forums/{created['id']}/restitution"
    wait_until(
        lambda: api.organiser("GET", f"{path}/draft").status_code == 200, 30, message="the forum known"
    )
    assert api.organiser("PUT", path, json={"version": 0, "summary": "Ce que j'ai relu."}).status_code == 200
    return created | {"path": path}


def at_the_confirmation(browser, api, forum, lang="fr"):
    """A signed-in tab (JavaScript off) on the publishing page, which shows version 1 of the draft."""
    page = f"{'/en' if lang == 'en' else ''}/console/forums/{forum['id']}/restitution/publish"
    tab = browser(javascript=False, lang=lang)
    tab.open(page)
    sign_in(tab, api.token, lang)
    assert tab.open(page) == []
    assert value(tab, "draft_version") == "1" and "Ce que j'ai relu." in words(tab, "#preview")
    return tab, page


CHANGED = {
    "fr": "Le brouillon a été enregistré de nouveau depuis l'affichage de cette page : rien n'est publié.",
    "en": "The draft was saved again since this page was shown: nothing is published.",
}
PUBLISH = {"fr": "Publier cette version", "en": "Publish this version"}


def shows_the_draft_saved_since(tab, api, forum, page, lang="fr"):
    """The publishing page again (409): it says the draft changed and shows version 2, to confirm;
    nothing is published."""
    assert tab.js(STATUS) == 409 and tab.js("location.pathname") == page
    assert words(tab, "#changed").startswith(CHANGED[lang])
    preview = words(tab, "#preview")
    assert "Ce que je n'ai pas vu." in preview and "Ce que j'ai relu." not in preview
    assert value(tab, "draft_version") == "2"
    problem(api.call("GET", forum["path"]), 404)  # nothing published


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_draft_saved_again_while_publishing_is_confirmed_is_not_published_but_shown_to_confirm(
    browser, api, lang
):
    """The confirmation page shows version 1 of the draft; another organiser saves version 2 before the
    click: nothing is published (409), the page says the draft changed and shows version 2, the note typed
    kept; confirming again publishes version 2."""
    forum = a_draft_read(api)
    tab, page = at_the_confirmation(browser, api, forum, lang)
    typed(tab, "note", "Première version")
    theirs = api.organiser("PUT", forum["path"], json={"version": 1, "summary": "Ce que je n'ai pas vu."})
    assert (theirs.status_code, theirs.json()["version"]) == (200, 2), theirs.text
    tab.send(PUBLISH[lang])
    shows_the_draft_saved_since(tab, api, forum, page, lang)
    assert value(tab, "note") == "Première version"
    tab.screenshot(f"changed-{lang}")

    tab.send(PUBLISH[lang])  # confirmed, knowing version 2
    assert tab.js("location.pathname") == page.replace("/publish", "/versions")
    assert tab.js("location.search") == "?published=1"
    latest = api.call("GET", forum["path"]).json()
    assert (latest["version"], latest["summary"], latest["note"]) == (
        1,
        "Ce que je n'ai pas vu.",
        "Première version",
    )


def test_a_save_under_way_when_publish_is_clicked_is_waited_for_and_its_draft_not_published(
    browser, api, database_url
):
    """Another organiser's save has the draft's row (its transaction under way: held here) at the click.
    The page's own look at the draft still sees version 1; publishing waits for the save, then publishes
    nothing, and the page shows version 2 to confirm."""
    forum = a_draft_read(api)
    tab, page = at_the_confirmation(browser, api, forum)
    held = threading.Event()

    def save_under_way():
        with psycopg.connect(database_url) as saving:  # what save_draft does, committed once publishing waits
            saving.execute("SELECT 1 FROM restitution.drafts WHERE forum_id = %s FOR UPDATE", (forum["id"],))
            saving.execute(
                "UPDATE restitution.drafts SET version = 2, content = jsonb_set(content, '{summary}',"
                " to_jsonb(%s::text)) WHERE forum_id = %s",
                ("Ce que je n'ai pas vu.", forum["id"]),
            )
            held.set()
            waiting = (
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                " AND query LIKE %s"
            )
            with psycopg.connect(database_url, autocommit=True) as looking:  # a fresh view each time
                wait_until(
                    lambda: looking.execute(waiting, ("%drafts%",)).fetchone(),
                    20,
                    message="publishing waiting",
                )

    saver = threading.Thread(target=save_under_way)
    saver.start()
    try:
        assert held.wait(10)
        tab.send(PUBLISH["fr"])
    finally:
        saver.join()
    shows_the_draft_saved_since(tab, api, forum, page)


def test_bad_input_is_refused_and_changes_nothing(stack, api, forum, published):
    client, answer = signed_in(stack.base_url, api.token)
    assert answer.status_code == 200
    base = f"{stack.base_url}/console/forums/{forum['id']}/restitution"
    page = client.get(base, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    version = re.search(r'name="version" value="([0-9]+)"', page.text).group(1)
    before = draft(api, forum)
    form = {"csrf": csrf, "version": version, "action": "save", "summary": "Autre chose",
            "commitments-0-title": "Sans responsable", "commitments-0-owner": " ",
            "commitments-0-due_on": "2027-13-45", "commitments-0-status": "planned"}  # fmt: skip
    refused = client.post(base, data=form, timeout=30)
    assert refused.status_code == 422
    for field in ("commitments-0-owner", "commitments-0-due_on"):
        assert f'href="#{field}"' in refused.text and f'id="{field}-error"' in refused.text
    assert 'value="Sans responsable"' in refused.text and "Autre chose" in refused.text
    assert client.post(base, data=form | {"version": "x"}, timeout=30).status_code == 422
    assert client.post(base, data=form | {"csrf": "x" * 64}, timeout=30).status_code == 403
    assert draft(api, forum) == before

    latest = api.call("GET", forum["path"]).json()
    stale = {"csrf": csrf, "draft_version": str(before["version"] + 1), "note": "Tentative"}
    refused = client.post(f"{base}/publish", data=stale, timeout=30)
    assert refused.status_code == 409 and 'id="changed"' in refused.text
    assert (
        api.call("GET", forum["path"]).json() == latest and draft(api, forum) == before
    )  # nothing published
    other = f"{stack.base_url}/console/forums/{published['id']}/restitution"
    blank = {"csrf": csrf, "draft_version": "1", "note": "  "}  # version 2 would need its note
    refused = client.post(f"{other}/publish", data=blank, timeout=30)
    assert (
        refused.status_code == 422
        and 'href="#note"' in refused.text
        and 'aria-invalid="true"' in refused.text
    )
    assert api.call("GET", published["path"]).json()["version"] == 1

    at = f"{other}/commitments/{published['commitment']['id']}"
    done = client.post(
        at, data={"csrf": csrf, "status": "done", "note": "Fait"}, allow_redirects=False, timeout=30
    )
    assert done.status_code == 303
    back = client.post(at, data={"csrf": csrf, "status": "planned", "note": "Retour"}, timeout=30)
    assert back.status_code == 409 and "ce statut ne peut pas suivre le statut actuel" in back.text
    assert 'value="planned" selected' in back.text  # what was chosen, kept
    unknown = client.post(f"{other}/commitments/{uuid.uuid4()}", data={"csrf": csrf, "status": "done", "note": "x"},
                          timeout=30)  # fmt: skip
    assert unknown.status_code == 404
    [commitment] = api.call("GET", published["path"]).json()["commitments"]
    assert [(h["from"], h["to"]) for h in commitment["history"]] == [("planned", "done")]
    missing = client.get(f"{stack.base_url}/console/forums/{uuid.uuid4()}/restitution", timeout=30)
    assert missing.status_code == 404

    # a section left without its report: the draft saves, publishing says which section to write
    current = draft(api, published)
    kept = {key: current[key] for key in ("version", "summary", "decisions", "commitments")}
    blank = kept | {"sections": [{"title": "Atelier sans compte rendu", "body": ""}]}
    assert api.organiser("PUT", published["path"], json=blank).status_code == 200
    page = client.get(f"{other}/publish", timeout=30)
    shown = re.search(r'name="draft_version" value="([0-9]+)"', page.text).group(1)
    note = {"csrf": csrf, "draft_version": shown, "note": "Un atelier de plus"}
    refused = client.post(f"{other}/publish", data=note, timeout=30)
    assert refused.status_code == 422 and "Section(s) sans compte rendu : 1." in refused.text
    assert api.call("GET", published["path"]).json()["version"] == 1

    # a read token may look at the editor, not change the draft
    reader, _ = signed_in(stack.base_url, organiser_token(api, scope="read")["token"])
    assert reader.get(base, timeout=30).status_code == 200
    read_csrf = re.search(r'name="csrf" value="([^"]+)"', reader.get(base, timeout=30).text).group(1)
    refused = reader.post(
        base, data={"csrf": read_csrf, "version": version, "summary": "Lu seulement"}, timeout=30
    )
    assert refused.status_code == 403 and draft(api, forum) == before


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_restitution_pages_pass_axe(browser, api, forum, published, lang, viewport):
    """JavaScript on (axe runs in the page; the pages have no script): a script that got through the
    preview would run."""
    prefix = "/en" if lang == "en" else ""
    editor = f"{prefix}/console/forums/{forum['id']}/restitution"
    tab = browser(viewport=viewport, lang=lang)
    tab.open(editor)
    sign_in(tab, api.token, lang)

    def checked(label):
        assert tab.js("document.documentElement.lang") == lang
        assert tab.axe() == [] and tab.js(INERT)
        assert tab.js("document.documentElement.scrollWidth") <= tab.width
        tab.screenshot(f"{label}-{lang}")

    assert tab.open(editor) == []
    checked("editor")
    typed(tab, "summary-text", HOSTILE)
    tab.send("Aperçu" if lang == "fr" else "Preview")
    assert tab.js("document.querySelector('#preview #summary strong').textContent") == "forum"
    checked("preview")
    last = tab.js("Array.from(document.querySelectorAll('input[id$=-owner]')).pop().id").removesuffix(
        "-owner"
    )
    typed(tab, f"{last}-title", "Sans responsable ni échéance")
    tab.send("Enregistrer le brouillon" if lang == "fr" else "Save draft")
    assert tab.js(STATUS) == 422
    checked("errors")
    typed(tab, f"{last}-title", "")
    current = draft(api, forum)
    theirs = {key: current[key] for key in ("version", "sections", "decisions", "commitments")}
    assert api.organiser("PUT", forum["path"], json=theirs | {"summary": "Leur synthèse."}).status_code == 200
    tab.send("Enregistrer le brouillon" if lang == "fr" else "Save draft")
    assert tab.js(STATUS) == 409
    checked("conflict")

    assert tab.open(f"{editor}/publish") == []
    checked("publish")
    versions = f"{prefix}/console/forums/{published['id']}/restitution/versions"
    assert tab.open(versions) == []
    checked("versions")
    tab.send("Enregistrer le changement" if lang == "fr" else "Record the change")  # no note
    assert tab.js(STATUS) == 422
    checked("versions-refused")
