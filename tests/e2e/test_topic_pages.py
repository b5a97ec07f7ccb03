"""The pages the topics emails link to, from outside: a round's public results page (server-rendered, in
French at its address and in English at ``/en/…``, like every page of the site) and the participant's
vote page, whose script does the voting through the API; what each shows before the round closes, for a
round that does not exist, and with the registration service down."""

import re
import time
import uuid
from html import unescape

import requests

from harness.testing import wait_until

from .client import problem
from .test_topics import approval, ballot, participants

HTML = "text/html; charset=utf-8"


def page(api, path):
    response = requests.get(f"{api.base_url}{path}", timeout=30)
    assert response.status_code in (200, 404), response.text
    return response


def titled(api, forum, *titles):
    """Topics the organiser publishes at once, in this order (once the topics service has learnt the
    forum from its event); their ids."""

    def propose(title):
        made = api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": title})
        return made.json()["id"] if made.status_code == 201 else None

    ids = [wait_until(lambda: propose(titles[0]), 30, message="the forum known to the topics service")]
    ids += [propose(title) for title in titles[1:]]
    assert all(ids), ids
    return ids


def text_of(html):
    """The page's words, tags dropped and spaces joined, as a reader sees them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html, start, end):
    return html[html.index(start) : html.index(end, html.index(start))]


def test_a_closed_rounds_results_page_shows_agenda_rankings_groups_and_consensus(api, mail):
    forum = api.create_forum()
    alice, bob = participants(api, mail, forum, "civil_society", "company")
    water, rail, ports = f"Eau <potable> {uuid.uuid4().hex[:6]}", "Rail & fret", "Ports"
    first, second, third = titled(api, forum, water, rail, ports)
    opened = api.organiser(
        "POST", f"/forums/{forum['id']}/rounds", json=approval(max_choices=2, agenda_size=2)
    )
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["id"]
    assert ballot(api, round_id, alice, {"choices": [second, third]}).status_code == 200
    assert ballot(api, round_id, bob, {"choices": [second]}).status_code == 200
    paper = {"ballots": 3, "scores": {third: 3}}
    taken = api.organiser("PUT", f"/rounds/{round_id}/paper-tallies/civil_society", json=paper)
    assert taken.status_code == 200, taken.text
    assert api.organiser("POST", f"/rounds/{round_id}/close").status_code == 200

    shown = page(api, f"/rounds/{round_id}/results")
    assert (shown.status_code, shown.headers["Content-Type"]) == (200, HTML)
    assert "nonce-" in shown.headers["Content-Security-Policy"]
    html = shown.text
    words = text_of(html)
    assert forum["title"] in words
    assert "Eau &lt;potable&gt;" in html and "<potable>" not in html  # titles are escaped
    # overall: ports 1 online + 3 on paper, rail 2, water 0; the agenda is its first two
    agenda = text_of(section(html, '<ol id="agenda">', "</ol>"))
    assert agenda.split() == ["Ports", "Rail", "&amp;", "fret"]
    overall = text_of(section(html, "<caption>Classement général", "</table>"))
    assert re.search(r"1 Ports 4 .*2 Rail &amp; fret 2 .*3 Eau &lt;potable&gt; \w+ 0", overall), overall
    assert "5 bulletin(s), dont sur papier :" in words  # two online, three on paper
    assert "société civile : 3" in words
    company = text_of(section(html, "<caption>entreprises", "</table>"))
    assert re.search(r"1 Rail &amp; fret 1 ", company), company
    # consensus: the least share of any group that voted; civil society has 4 ballots (3 on paper), the
    # company 1: rail min(1/4, 1/1), ports min(4/4, 0/1)
    consensus = text_of(section(html, "<caption>Consensus entre collèges", "</table>"))
    assert re.search(r"1 Rail &amp; fret 25,00\W+% .*Ports 0,00\W+%", consensus), consensus
    english = requests.get(f"{api.base_url}/en/rounds/{round_id}/results", timeout=30)
    assert (english.status_code, english.headers["Content-Type"]) == (200, HTML)
    english_words = text_of(english.text)
    assert '<html lang="en">' in english.text and "5 ballot(s), of which on paper:" in english_words
    assert re.search(
        r"1 Rail &amp; fret 25.00%", text_of(section(english.text, "<caption>Cross-group", "</table>"))
    )
    for french, in_english in [
        ("Ordre du jour", "Agenda"),
        ("Classement général", "Overall ranking"),
        ("Par collège", "By stakeholder group"),
        ("Consensus entre collèges", "Cross-group consensus"),
        ("Approbation", "Approval"),
        ("le nombre de bulletins qui choisissent le sujet", "the ballots choosing the topic"),
        ("la plus faible part de soutien", "the least support among the groups"),
    ]:  # each page in its language, and only in it
        assert french in words and in_english not in words, (french, in_english)
        assert in_english in english_words and french not in english_words, (french, in_english)
    assert "pas encore clos" not in words


def test_an_open_rounds_results_page_says_it_is_not_closed_and_an_unknown_one_is_a_404_page(api, mail):
    forum = api.create_forum()
    (carol,) = participants(api, mail, forum, "citizen")
    (topic,) = titled(api, forum, "Budget participatif")
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    round_id = opened.json()["id"]
    assert ballot(api, round_id, carol, {"choices": [topic]}).status_code == 200

    shown = page(api, f"/rounds/{round_id}/results")
    assert (shown.status_code, shown.headers["Content-Type"]) == (200, HTML)
    words = unescape(text_of(shown.text))
    assert "Ce tour n'est pas encore clos" in words and "This round is not closed yet" not in words
    english = text_of(requests.get(f"{api.base_url}/en/rounds/{round_id}/results", timeout=30).text)
    assert "This round is not closed yet" in english and "Budget participatif" in english
    assert "Budget participatif" in words  # what is being voted on
    assert "<table" not in shown.text and "Classement général" not in words  # no results before closing

    missing = page(api, f"/rounds/{uuid.uuid4()}/results")
    assert (missing.status_code, missing.headers["Content-Type"]) == (404, HTML)
    assert "Page introuvable" in missing.text and "Page not found" not in missing.text
    english = page(api, f"/en/rounds/{uuid.uuid4()}/results")
    assert english.status_code == 404 and "Page not found" in english.text
    problem(requests.get(f"{api.base_url}/rounds/not-a-round/results", timeout=30), 404)


def test_the_results_page_goes_without_the_forum_title_while_registration_is_down(api, mail, stack):
    forum = api.create_forum()
    (dan,) = participants(api, mail, forum, "research_media")
    (topic,) = titled(api, forum, "Algorithmes publics")
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    round_id = opened.json()["id"]
    assert ballot(api, round_id, dan, {"choices": [topic]}).status_code == 200
    assert api.organiser("POST", f"/rounds/{round_id}/close").status_code == 200
    stack.kill("registration")
    try:
        started = time.monotonic()
        shown = page(api, f"/rounds/{round_id}/results")
        assert time.monotonic() - started < 8  # the title is not waited for as long as an API call
        assert shown.status_code == 200, shown.text
        words = text_of(shown.text)
        assert "Algorithmes publics" in words and forum["title"] not in words
    finally:
        stack.start("registration")
        stack.wait_ready()


def test_the_vote_page_is_served_and_says_voting_needs_javascript(api, mail):
    forum = api.create_forum()
    titled(api, forum, "Données ouvertes")
    opened = api.organiser("POST", f"/forums/{forum['id']}/rounds", json=approval())
    round_id = opened.json()["id"]

    shown = page(api, f"/forums/{forum['id']}/rounds/{round_id}")
    assert (shown.status_code, shown.headers["Content-Type"]) == (200, HTML)
    html = shown.text
    notice = text_of(section(html, "<noscript>", "</noscript>"))
    assert "Pour voter, cette page a besoin de JavaScript" in notice and "needs JavaScript" not in notice
    assert f'href="/rounds/{round_id}/results"' in section(html, "<noscript>", "</noscript>")
    english = page(api, f"/en/forums/{forum['id']}/rounds/{round_id}").text
    assert "needs JavaScript" in text_of(section(english, "<noscript>", "</noscript>"))
    assert f'href="/en/rounds/{round_id}/results"' in section(english, "<noscript>", "</noscript>")
    # the script is ours (a nonce), and no inline handler would run under the policy anyway
    nonce = re.search(r"'nonce-([^']+)'", shown.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in html
    assert not re.search(r"\son[a-z]+=", html)
    assert shown.headers["Referrer-Policy"] == "no-referrer"  # the address may hold the token
    assert 'for="stakeholder_group"' in html  # the group select has its label
