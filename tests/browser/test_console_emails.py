"""The console's emails and downloads as an organiser meets them (JavaScript off): a registration's email
shows in the delivery log as sent once the real SMTP server took it, with the recipient masked; one the
server refuses for good shows as failed, and once the server takes it again the organiser sends it again
from the console (one message, or every failed one of the forum after a confirmation page): it arrives
once, not twice. An unsigned event published on the bus shows among the dead letters, its hostile body
as inert text. The forum's CSV files come from the console with the session's cookie, the same bytes as
the API's, a formula-looking name guarded. Every page passes axe-core in both languages at both widths."""

import html
import json
import re
import uuid

import pytest
import requests
from e2e.client import Bus, inbox, person, stays_true, unique, wait_for_mails
from e2e.test_bus_trust import forge, made_up
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness.testing import SmtpSink, wait_until

from .test_console import sign_in

REFUSED = "@refused.example"
HOSTILE = '<script>window.__pwned = 1</script>"><img src=x onerror="window.__pwned = 2">'
FORMULA = '=HYPERLINK("http://evil.example","clic")'
GUARDED = "\"'" + FORMULA.replace('"', '""') + '"'  # as the CSV writes it: quoted, a quote mark first


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    """The platform's SMTP server, refusing for good (550) any address ending with REFUSED, until a test
    restarts it without (same port, same mailbox)."""
    sink = SmtpSink(tmp_path_factory.mktemp("mail") / "maildir", refuse=REFUSED).start()
    yield sink
    sink.stop()


def console(browser, api, javascript=False, viewport="desktop", lang="fr"):
    """A browser signed in to the console, on the dead letters' page (one quick call: a loaded machine
    makes the forums' list slow)."""
    tab = browser(javascript=javascript, viewport=viewport, lang=lang)
    prefix = "/en" if lang == "en" else ""
    tab.open(f"{prefix}/console/sign-in?next={prefix}/console/emails/dead-letters")
    sign_in(tab, api.token, lang)
    return tab


def deliveries(api, **filters):
    answer = api.organiser("GET", "/notifications", params=filters | {"limit": 100})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def statuses(api, address):
    """The statuses of the address's deliveries; None while a loaded machine makes the service late."""
    answer = api.organiser("GET", "/notifications", params={"recipient": address})
    return [d["status"] for d in answer.json()["items"]] if answer.status_code == 200 else None


def failed_for(api, address):
    """The address's deliveries once every one of them failed (the relay refused them for good); None
    until then (or while a loaded machine makes the service late: asked again)."""
    answer = api.organiser("GET", "/notifications", params={"recipient": address})
    found = answer.json()["items"] if answer.status_code == 200 else None
    return found if found and all(d["status"] == "failed" for d in found) else None


def rows(tab):
    """The log's rows: {delivery number: [cell texts]}."""
    cells = tab.js(
        "Array.from(document.querySelectorAll('table.log tbody tr'), "
        "(tr) => Array.from(tr.cells, (c) => c.innerText.trim()))"
    )
    return {int(re.match(r"(?:n°|no\.) ([0-9]+)", row[0]).group(1)): row for row in cells}


def cookies(tab):
    return {cookie["name"]: cookie["value"] for cookie in tab.driver.get_cookies()}


@pytest.fixture(scope="module")
def dead_letter(api, module_amqp_uri):
    """An unsigned event with hostile words, published straight onto the bus: the notification service
    sets it aside as a dead letter."""
    victim = person() | {"first_name": HOSTILE}
    forged = made_up("management_link_requested", {"person": victim | {"person_id": str(uuid.uuid4())}})
    bus = Bus(module_amqp_uri)
    try:
        forge(bus, forged)
    finally:
        bus.close()

    def recorded():
        items = api.organiser("GET", "/notifications/dead-letters").json()["items"]
        return next((item for item in items if item["event_id"] == forged["id"]), None)

    return wait_until(recorded, 30, message="the forged event among the dead letters")


def test_the_log_shows_emails_sent_and_a_refused_one_is_sent_again_once_from_the_console(browser, api, mail):
    forum = api.create_forum(title=unique("Forum courriels"))
    welcome = person(locale="fr")
    first, second = (person(locale="fr", email=f"r-{uuid.uuid4().hex[:8]}{REFUSED}") for _ in range(2))
    for someone in (welcome, first, second):
        api.registered(forum["id"], someone)
    wait_for_mails(mail, {welcome["email"]: 1})
    [refused_one] = wait_until(lambda: failed_for(api, first["email"]), 30, message="the refusal recorded")
    [refused_two] = wait_until(lambda: failed_for(api, second["email"]), 30, message="the refusal recorded")
    [sent] = [
        d for d in deliveries(api, forum_id=forum["id"], status="sent") if d["recipient"] == welcome["email"]
    ]

    tab = console(browser, api, viewport="phone")
    tab.driver.find_element(By.LINK_TEXT, "Courriels").click()
    tab.wait("location.pathname === '/console/emails'")
    Select(tab.driver.find_element(By.ID, "forum_id")).select_by_visible_text(forum["title"])
    tab.send("Filtrer")
    assert tab.js("location.search") == f"?forum_id={forum['id']}&status=&recipient="
    shown = rows(tab)
    assert set(shown) == {sent["id"], refused_one["id"], refused_two["id"]}
    message, recipient, status, _ = shown[sent["id"]]
    assert message.splitlines()[:2] == [f"n° {sent['id']}", "registration_confirmed (fr)"]
    assert recipient.splitlines() == ["e…@example.org", forum["title"]]  # the address masked
    assert status.splitlines()[0].startswith("Envoyé le ") and status.splitlines()[1] == "1 tentative(s)"
    status = shown[refused_one["id"]][2].splitlines()
    assert status[:2] == ["En échec", "1 tentative(s)"] and status[2].startswith("Dernière erreur : ")
    assert "550" in status[2] and "r…@refused.example" in status[2]  # the relay's words, the address masked
    source = tab.driver.page_source
    assert all(
        someone["email"] not in source for someone in (welcome, first, second)
    )  # never more than masked
    assert tab.js("document.querySelectorAll('table.log button').length") == 2  # only the failed ones
    tab.screenshot("log")

    mail.stop()
    mail.refuse = None
    mail.start()  # the server takes every address now
    tab.send(f"Renvoyer le message n° {refused_one['id']}")
    assert tab.js("location.pathname") == "/console/emails"
    assert tab.js("location.search").startswith(f"?forum_id={forum['id']}&retried={refused_one['id']}")
    assert tab.js("document.querySelector('[role=status]').innerText.trim()") == (
        f"Le message n° {refused_one['id']} est de nouveau en file d'envoi : il part dans quelques instants."
    )
    wait_for_mails(mail, {first["email"]: 1})
    wait_until(
        lambda: statuses(api, first["email"]) == ["sent"],
        30,
        message="the message sent again recorded as sent",
    )
    tab.open(f"/console/emails?forum_id={forum['id']}")
    assert rows(tab)[refused_one["id"]][2].startswith("Envoyé le ")

    # the same retry posted again (a stale page): refused, 409, nothing sent
    page = requests.get(f"{tab.base_url}/console/emails", cookies=cookies(tab), timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    again = requests.post(f"{tab.base_url}/console/emails/{refused_one['id']}/retry", cookies=cookies(tab),
                          data={"csrf": csrf, "idempotency_key": str(uuid.uuid4())}, allow_redirects=False,
                          timeout=30)  # fmt: skip
    assert again.status_code == 409 and "Rien n'a été fait." in html.unescape(again.text)
    # every failed one of the forum, after the confirmation page
    tab.follow("a[href^='/console/emails/retry-failed']")
    words = tab.js("document.querySelector('main').innerText")
    assert "1 courriel(s) de ce forum sont en échec." in words
    tab.screenshot("retry-all")
    tab.send("Oui, renvoyer les courriels en échec")
    assert tab.js("document.querySelector('[role=status]').innerText.trim()") == (
        "1 courriel(s) en échec remis en file d'envoi."
    )
    wait_for_mails(mail, {second["email"]: 1})
    stays_true(
        lambda: [len(got) for got in inbox(mail, first["email"], second["email"]).values()] == [1, 1],
        3.0,
        "a message sent again went out twice",
    )


def test_bad_filters_and_forms_are_refused_and_change_nothing(browser, api, stack):
    tab = console(browser, api)
    assert tab.open("/console/emails?status=bogus&recipient=nobody", status=400) == []
    summary = tab.js("document.querySelector('.error-summary').innerText")
    assert "Choisissez un état de la liste." in summary and "Indiquez une adresse complète" in summary
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == "#status"
    assert tab.js("document.getElementById('status').getAttribute('aria-invalid')") == "true"
    assert tab.js("document.querySelector('table.log')") is None
    tab.screenshot("refused")
    assert tab.open("/console/emails?cursor=deliveries.x", status=400) == []
    assert "Ce lien de page n'est plus valide" in tab.js("document.body.innerText")
    session = cookies(tab)
    page = requests.get(f"{stack.base_url}/console/emails", cookies=session, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    for path, data, status in (
        ("/console/emails/retry-failed", {"forum_id": "not-a-forum"}, 400),
        ("/console/emails/retry-failed", {"forum_id": str(uuid.uuid4())}, 404),
        ("/console/emails/999999999/retry", {}, 404),
        ("/console/emails/99999999999999999999/retry", {}, 404),
        ("/console/emails/retry-failed", {"forum_id": str(uuid.uuid4()), "csrf": "forged"}, 403),
    ):
        answer = requests.post(stack.base_url + path, data={"csrf": csrf} | data, cookies=session,
                               allow_redirects=False, timeout=30)  # fmt: skip
        assert answer.status_code == status, (path, data, answer.status_code)
    gone = requests.get(f"{stack.base_url}/console/emails", allow_redirects=False, timeout=30)
    assert gone.status_code == 303 and gone.headers["Location"] == "/console/sign-in?next=/console/emails"


def test_a_dead_letter_shows_in_the_console_with_its_body_inert(browser, api, dead_letter):
    tab = console(browser, api, javascript=True)
    assert tab.open("/console/emails/dead-letters") == []
    link = f"a[href='/console/emails/dead-letters/{dead_letter['id']}']"
    assert tab.js(f"document.querySelector(\"{link}\").closest('tr').innerText").count("Invalide") == 1
    tab.follow(link)
    facts = tab.js("document.querySelector('dl.facts').innerText")
    assert "registration.events" in facts and "management_link_requested" in facts
    assert "notification" in facts  # the queue of the handler that gave up on it
    assert "signature" in tab.js("document.querySelector('main').innerText")
    body = tab.js("document.querySelector('pre.body').textContent")
    assert json.loads(body)["data"]["person"]["first_name"] == HOSTILE  # the words, as text
    assert tab.js("typeof window.__pwned") == "undefined"
    assert tab.js("document.querySelectorAll('main img, main script').length") == 0
    assert "aucun service ne l'a publiée" in tab.js("document.querySelector('main').innerText")
    assert tab.console_errors() == []
    tab.screenshot("dead-letter")
    assert tab.open("/console/emails/dead-letters/999999999", status=404) == []
    assert tab.js("document.querySelector('h1').innerText") == "Lettre morte introuvable"


def test_the_forums_files_download_from_the_console_as_the_api_answers_them(browser, api, stack, mail):
    forum = api.create_forum(title=unique("Forum fichiers"))
    api.registered(forum["id"], person(first_name=FORMULA, stakeholder_group="citizen"))
    api.registered(forum["id"], person(stakeholder_group="company"))
    tab = console(browser, api)
    tab.open(f"/console/forums/{forum['id']}")
    tab.driver.find_element(By.LINK_TEXT, "Téléchargements").click()
    tab.wait(f"location.pathname === '/console/forums/{forum['id']}/downloads'")
    assert tab.broken_links() == []
    links = tab.js("Array.from(document.querySelectorAll('ul.files a'), (a) => a.href)")
    assert [link.removeprefix(stack.base_url) for link in links] == [
        f"/console/forums/{forum['id']}/registrations.csv",
        f"/console/forums/{forum['id']}/attendance.csv",
        "/console/commitments.csv",
    ]
    tab.screenshot("downloads")
    session = cookies(tab)

    def fetched(link):
        return requests.get(link, cookies=session, allow_redirects=False, timeout=30)

    registrations = fetched(links[0])
    assert (
        registrations.status_code == 200
        and registrations.headers["Content-Type"] == "text/csv; charset=utf-8"
    )
    assert (
        registrations.headers["Content-Disposition"]
        == f'attachment; filename="registrations-{forum["id"]}.csv"'
    )
    assert registrations.headers["Cache-Control"] == "no-store"
    assert registrations.content == api.organiser("GET", f"/forums/{forum['id']}/registrations.csv").content
    lines = registrations.text.splitlines()
    assert len(lines) == 3 and lines[0].startswith("id,status,")
    assert sum(GUARDED in line for line in lines) == 1  # a quote mark first: text
    assert not any(",=HYPERLINK" in line or ',"=HYPERLINK' in line for line in lines)
    assert requests.get(links[0], allow_redirects=False, timeout=30).status_code == 303  # no session, no file

    assert fetched(links[1]).status_code == 404  # before the restitution is published
    path = f"/forums/{forum['id']}/restitution"

    def draft():
        answer = api.organiser("GET", f"{path}/draft")
        return answer.json() if answer.status_code == 200 else None

    version = wait_until(draft, 30, message="the draft")["version"]
    commitment = {"title": "+1+1", "owner": "@SUM(A1)", "due_on": "2027-06-30", "status": "planned"}
    content = {
        "version": version,
        "summary": "Bilan.",
        "sections": [],
        "decisions": [],
        "commitments": [commitment],
    }
    assert api.organiser("PUT", path, json=content).status_code == 200
    assert api.organiser("POST", f"{path}/publish", json={}).status_code == 201
    attendance = fetched(links[1])
    assert attendance.status_code == 200
    assert (
        attendance.headers["Content-Disposition"]
        == f'attachment; filename="forum-{forum["id"]}-attendance.csv"'
    )
    assert attendance.content == api.call("GET", f"/forums/{forum['id']}/attendance.csv").content
    assert attendance.text.splitlines()[0] == "stakeholder_group,registered,checked_in"
    commitments = fetched(links[2])
    assert commitments.status_code == 200
    assert commitments.headers["Content-Disposition"] == 'attachment; filename="commitments.csv"'
    assert commitments.content == api.call("GET", "/commitments.csv").content
    assert ",'+1+1,'@SUM(A1)," in commitments.text


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_emails_pages_pass_axe(browser, api, dead_letter, lang, viewport):
    forum = api.create_forum(title=unique("Forum axe"))
    api.registered(forum["id"], person())
    prefix = "/en" if lang == "en" else ""
    # axe-core runs as a script of the page (its promises never settle with JavaScript off); the pages have none
    tab = console(browser, api, javascript=True, viewport=viewport, lang=lang)
    for path, label, status in (
        (f"/console/emails?forum_id={forum['id']}", "log", 200),
        ("/console/emails?status=bogus", "log-refused", 400),
        (f"/console/emails/retry-failed?forum_id={forum['id']}", "retry-all", 200),
        ("/console/emails/summary", "summary", 200),
        ("/console/emails/dead-letters", "dead-letters", 200),
        (f"/console/emails/dead-letters/{dead_letter['id']}", "dead-letter", 200),
        (f"/console/forums/{forum['id']}/downloads", "downloads", 200),
    ):
        assert tab.open(prefix + path, status=status) == []
        assert tab.js("document.documentElement.lang") == lang
        assert tab.axe() == [], path
        assert tab.broken_links() == []
        assert tab.js("document.documentElement.scrollWidth") <= tab.width, path
        tab.screenshot(f"{label}-{lang}")
    if lang == "en":
        tab.open(f"/en/console/emails?forum_id={forum['id']}")
        assert "Emails sent" in tab.js("document.querySelector('h1').innerText")


def test_the_log_pages_on_with_the_apis_cursor_keeping_its_filters(browser, api):
    forum = api.create_forum(capacity=30, title=unique("Forum pages"))
    for _ in range(21):  # one email each: one more than a page holds
        api.registered(forum["id"], person(locale="fr"))
    wait_until(lambda: len(deliveries(api, forum_id=forum["id"])) == 21, 30, message="21 emails in the log")
    ids = [d["id"] for d in deliveries(api, forum_id=forum["id"])]  # newest first
    tab = console(browser, api)
    tab.open(f"/console/emails?forum_id={forum['id']}")
    assert list(rows(tab)) == ids[:20]
    assert tab.js("document.querySelector('a[rel=next]').getAttribute('href')").startswith(
        f"/console/emails?forum_id={forum['id']}&cursor=deliveries."
    )
    tab.send("Page suivante")
    assert list(rows(tab)) == ids[20:]
    assert tab.js("document.querySelector('a[rel=next]')") is None
    tab.send("Première page")
    assert list(rows(tab)) == ids[:20]
