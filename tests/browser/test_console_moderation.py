"""The console's moderation queues as an organiser meets them (JavaScript off): participants propose topics
and comment on a published restitution through the JSON API with their emailed link's token, one of each
with hostile markup; the organiser sees both queues on one page (the markup inert, no email shown),
publishes one topic (the forum's public topics page then lists it) and refuses the other with a public
reason (its proposer reads it through the API), publishes one comment and hides the other (the public
restitution page shows only the published one, and the reason in the other's place). A blank reason is
refused next to its field, a topic moderated meanwhile in another tab is said so (409), a read-only token
is refused (403) and nothing changes, a duplicate proposal is merged into another; axe-core finds nothing
serious in French or English, at both widths (with JavaScript on there: a script that got through would run)."""

import html
import re
import uuid

import pytest
from e2e.client import person, token_from, wait_for_mails
from e2e.test_topics import known_to_topics
from selenium.webdriver.common.by import By

from harness.testing import wait_until

from .test_console import organiser_token, sign_in, signed_in, typed

HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">'
QUEUE = "/console/moderation"


def participant(api, mail, forum, group):
    """A registrant of the forum with the token of their confirmation email, known to the topics service."""
    someone = api.registered(forum["id"], person(stakeholder_group=group))
    token = token_from(wait_for_mails(mail, {someone["email"]: 1})[someone["email"].lower()][0])
    known_to_topics(api, token)
    return {"email": someone["email"], "token": token}


def proposed(api, forum, who, title, description=""):
    body = {"title": title, "description": description}
    answer = api.call("POST", f"/forums/{forum['id']}/topics", who["token"], json=body)
    assert (answer.status_code, answer.json()["status"]) == (201, "proposed"), answer.text
    return answer.json()


def commented(api, forum, who, body):
    """A comment, pending (pre-moderation), once the restitution service knows the person."""
    path = f"/forums/{forum['id']}/restitution/comments"

    def post():
        answer = api.call("POST", path, who["token"], json={"body": body})
        return answer.json() if answer.status_code == 201 else None

    comment = wait_until(post, 30, message="the participant known to the restitution service")
    assert comment["status"] == "pending", comment
    return comment


@pytest.fixture(scope="module")
def queue(api, mail):
    """A forum with its restitution published; two participants, each with a topic and a comment waiting."""
    forum = api.create_forum(title=f"Forum modération {uuid.uuid4().hex[:6]}")
    alice, bob = participant(api, mail, forum, "civil_society"), participant(api, mail, forum, "company")
    content = {"summary": "Un forum utile.", "sections": [], "decisions": [], "commitments": []}
    path = f"/forums/{forum['id']}/restitution"
    wait_until(
        lambda: api.organiser("PUT", path, json=content).status_code == 200, 30, message="the draft saved"
    )
    assert api.organiser("POST", f"{path}/publish", json={}).status_code == 201
    tag = uuid.uuid4().hex[:6]
    return {
        "forum": forum,
        "alice": alice,
        "bob": bob,
        "good_topic": proposed(
            api, forum, alice, f"Ouvrir les données des marchés {tag}", "Les montants et\nles lots."
        ),
        "bad_topic": proposed(api, forum, bob, HOSTILE),
        "good_comment": commented(api, forum, alice, f"Merci pour ce compte rendu {tag}"),
        "bad_comment": commented(api, forum, bob, HOSTILE),
    }


def pending(api, forum):
    """(ids of the topics, ids of the comments) waiting for moderation, as the API says."""
    topics = api.organiser("GET", "/topics", params={"forum_id": forum["id"]}).json()["items"]
    comments = api.organiser("GET", "/comments/pending", params={"forum_id": forum["id"]}).json()["items"]
    return {t["id"] for t in topics}, {c["id"] for c in comments}


def card(tab, kind, item_id):
    """The queue's words about one topic or comment (its <article>), or None once it left the queue."""
    return tab.js(f"document.getElementById('{kind}-{item_id}')?.closest('article').innerText ?? null")


def press(tab, action):
    """Send the form posted to ``action`` (its path under /console/moderation) and wait for the answer."""
    tab.arrive(lambda: tab.driver.find_element(By.CSS_SELECTOR, f"form[action$='{action}'] button").click())


def outcome(tab):
    return tab.js("document.getElementById('outcome').innerText.trim()")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_queue_passes_axe_and_its_markup_stays_inert(browser, api, queue, lang, viewport):
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)  # JavaScript on: a script that got through would run
    tab.open(f"{prefix}{QUEUE}")
    sign_in(tab, api.token, lang)
    assert tab.js("location.pathname") == f"{prefix}{QUEUE}"
    assert tab.js("document.documentElement.lang") == lang
    assert tab.axe() == [] and tab.broken_links() == [] and tab.console_errors() == []
    assert tab.js("document.documentElement.scrollWidth") <= tab.width
    assert tab.js("typeof window.__pwned") == "undefined"
    assert tab.js("document.querySelectorAll('main img, main script').length") == 0
    assert tab.js(f"document.getElementById('topic-{queue['bad_topic']['id']}').textContent") == HOSTILE
    nav = tab.js("Array.from(document.querySelectorAll('.console-nav a'), (a) => a.getAttribute('href'))")
    assert f"{prefix}{QUEUE}" in nav
    tab.screenshot(f"queue-{lang}")
    if lang == "en":
        words = tab.js("document.body.innerText")
        assert (
            "proposed topic(s) waiting" in words
            and "Refuse the topic" in words
            and "Hide the comment" in words
        )


def test_an_organiser_publishes_refuses_and_hides_from_the_queue(browser, stack, api, queue):
    forum, good, bad = queue["forum"], queue["good_topic"], queue["bad_topic"]
    good_comment, bad_comment = queue["good_comment"], queue["bad_comment"]
    token = organiser_token(api)
    tab = browser(javascript=False)
    tab.open(QUEUE)
    assert (tab.js("location.pathname"), tab.js("location.search")) == ("/console/sign-in", f"?next={QUEUE}")
    sign_in(tab, token["token"])
    assert tab.js("location.pathname") == QUEUE
    words = tab.js("document.body.innerText")
    assert "2 sujet(s) proposé(s) en attente" in words and "2 commentaire(s) en attente" in words
    assert queue["alice"]["email"] not in words and queue["bob"]["email"] not in words  # never an address
    assert forum["title"] in card(tab, "topic", good["id"]) and "Les montants et\nles lots." in card(
        tab, "topic", good["id"]
    )
    assert (
        HOSTILE in card(tab, "topic", bad["id"])
        and tab.js("document.querySelectorAll('main img').length") == 0
    )
    assert "(entreprises)" in card(tab, "comment", bad_comment["id"])  # the commenter's group
    assert "(société civile)" in card(tab, "comment", good_comment["id"])

    # a refusal without its reason: the field says so, the summary leads to it, nothing changed
    press(tab, f"/topics/{bad['id']}/reject")
    field = f"reason-topic-{bad['id']}"
    assert tab.js("document.querySelector('.error-summary a').getAttribute('href')") == f"#{field}"
    assert tab.js(f"document.getElementById('{field}').getAttribute('aria-invalid')") == "true"
    assert "Indiquez le motif" in tab.js(f"document.getElementById('{field}-error').innerText")
    assert tab.js(f"document.getElementById('{field}').getAttribute('aria-describedby')").startswith(
        f"{field}-error"
    )
    assert bad["id"] in pending(api, forum)[0]
    tab.screenshot("blank-reason")

    press(tab, f"/topics/{good['id']}/publish")
    assert (tab.js("location.pathname"), tab.js("location.search")) == (QUEUE, "?done=topic_published")
    assert outcome(tab) == "Sujet publié : il figure sur la page publique des sujets de son forum."
    assert card(tab, "topic", good["id"]) is None
    tab.screenshot("published")

    # the same queue in a second tab: there the topic is refused; this older tab then tries to publish it
    first = tab.driver.current_window_handle
    tab.driver.switch_to.new_window("tab")
    tab.open(QUEUE)
    typed(tab, f"reason-topic-{bad['id']}", "Hors du champ des forums <b>ouverts</b>")
    press(tab, f"/topics/{bad['id']}/reject")
    assert tab.js("location.search") == "?done=topic_rejected"
    assert outcome(tab) == "Sujet refusé : son motif est public."
    tab.driver.close()
    tab.driver.switch_to.window(first)
    assert card(tab, "topic", bad["id"]) is not None  # this tab still shows it
    press(tab, f"/topics/{bad['id']}/publish")
    assert outcome(tab).startswith("Ce sujet a déjà été modéré entre-temps"), outcome(tab)
    assert card(tab, "topic", bad["id"]) is None
    tab.screenshot("moderated-meanwhile")

    listed = tab.open(f"/forums/{forum['id']}/topics")
    assert listed == []
    shown = tab.js("document.querySelector('main').innerText")
    assert good["title"] in shown and "window.__pwned" not in shown
    mine = api.call("GET", "/people/me/topics", queue["bob"]["token"]).json()["proposals"]
    assert [(t["id"], t["status"], t["rejection_reason"]) for t in mine] == [
        (bad["id"], "rejected", "Hors du champ des forums <b>ouverts</b>")
    ]

    tab.open(QUEUE)
    press(tab, f"/comments/{good_comment['id']}/publish")
    assert outcome(tab) == "Commentaire publié sur la page de la restitution."
    typed(tab, f"reason-comment-{bad_comment['id']}", "Propos hors sujet")
    press(tab, f"/comments/{bad_comment['id']}/hide")
    assert outcome(tab) == "Commentaire masqué : son motif est affiché à sa place."
    assert "0 sujet(s) proposé(s) en attente" in tab.js("document.body.innerText")
    assert pending(api, forum) == (set(), set())
    tab.screenshot("emptied")

    tab.open(f"/restitutions/{forum['id']}")
    discussion = tab.js("document.querySelector('main').innerText")
    assert good_comment["body"] in discussion and "Propos hors sujet" in discussion
    assert "window.__pwned" not in discussion


def test_a_read_only_token_is_refused_every_action_and_nothing_changes_then_a_duplicate_is_merged(
    stack, api, mail, queue
):
    forum, alice = queue["forum"], queue["alice"]
    topic = proposed(api, forum, alice, f"Un sujet en attente {uuid.uuid4().hex[:6]}")
    duplicate = proposed(api, forum, alice, f"Le même, en double {uuid.uuid4().hex[:6]}")
    comment = commented(api, forum, alice, "Un commentaire en attente")
    before = pending(api, forum)
    assert topic["id"] in before[0] and comment["id"] in before[1]
    reader = organiser_token(api, scope="read")
    client, answer = signed_in(stack.base_url, reader["token"])
    assert answer.status_code == 200
    page = client.get(f"{stack.base_url}{QUEUE}", timeout=30)
    assert page.status_code == 200 and html.escape(topic["title"], quote=True) in page.text  # it may look
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    for action, form in (
        (f"/topics/{topic['id']}/publish", {}),
        (f"/topics/{topic['id']}/reject", {"reason": "Non"}),
        (f"/topics/{duplicate['id']}/merge", {"into": topic["id"]}),
        (f"/comments/{comment['id']}/publish", {}),
        (f"/comments/{comment['id']}/hide", {"reason": "Non"}),
    ):
        refused = client.post(
            f"{stack.base_url}{QUEUE}{action}", data={"csrf": csrf} | form, allow_redirects=False, timeout=30
        )
        assert refused.status_code == 403 and "Lecture seule" in refused.text, (action, refused.status_code)
        switcher = re.search(r'<a [^>]*hreflang="en"[^>]*href="([^"]+)"|<a [^>]*href="([^"]+)"[^>]*hreflang="en"',
                             refused.text)  # fmt: skip
        assert (
            switcher.group(1) or switcher.group(2)
        ) == f"/en{QUEUE}"  # a page, not the form's POST address
    assert pending(api, forum) == before

    # a writer's form without its CSRF token, a blank reason, an unknown topic: refused, nothing changed
    writer, _ = signed_in(stack.base_url, organiser_token(api)["token"])
    page = writer.get(f"{stack.base_url}{QUEUE}", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def post(action, data, lang=""):
        return writer.post(
            f"{stack.base_url}{lang}{QUEUE}{action}", data=data, allow_redirects=False, timeout=30
        )

    assert post(f"/topics/{topic['id']}/publish", {}).status_code == 403
    blank = post(f"/comments/{comment['id']}/hide", {"csrf": csrf, "reason": "  \n "})
    assert blank.status_code == 422 and "Indiquez le motif" in html.unescape(blank.text)
    unknown = post(f"/topics/{uuid.uuid4()}/publish", {"csrf": csrf})
    assert unknown.status_code == 404 and "Ce sujet n'existe pas" in html.unescape(unknown.text)
    for into in (duplicate["id"], "", "<b>"):  # itself, none chosen, not an id
        wrong = post(f"/topics/{duplicate['id']}/merge", {"csrf": csrf, "into": into})
        assert wrong.status_code == 422 and f'id="into-topic-{duplicate["id"]}-error"' in wrong.text, into
    assert pending(api, forum) == before

    merged = post(f"/topics/{duplicate['id']}/merge", {"csrf": csrf, "into": topic["id"]})
    assert (merged.status_code, merged.headers["Location"]) == (303, f"{QUEUE}?done=topic_merged")
    joined = api.organiser("GET", f"/topics/{duplicate['id']}").json()
    assert (joined["status"], joined["merged_into"]) == ("merged", topic["id"])
    done = post(f"/topics/{topic['id']}/publish", {"csrf": csrf})
    assert (done.status_code, done.headers["Location"]) == (303, f"{QUEUE}?done=topic_published")
    english = post(f"/comments/{comment['id']}/publish", {"csrf": csrf}, lang="/en")
    assert (english.status_code, english.headers["Location"]) == (303, f"/en{QUEUE}?done=comment_published")
    again = post(f"/comments/{comment['id']}/publish", {"csrf": csrf})
    assert again.status_code == 409 and "Ce commentaire a déjà été modéré" in html.unescape(again.text)
    assert writer.get(f"{stack.base_url}{QUEUE}?done=%3Cscript%3E", timeout=30).text.count("<script") == 0
