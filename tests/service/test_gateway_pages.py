"""The public HTML pages the emailed links lead to, served by the real gateway (fake service behind)."""

import re

from .gateway_support import FAKE, FORUM_ID, REGISTRATION_ID, TOKEN


def page(response, lang="fr"):
    """The HTML of a page, after checking what every page must be (in ``lang``)."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = response.text
    assert html.startswith("<!doctype html>") and f'<html lang="{lang}">' in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no outside asset"
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, f"{tag} would be refused by the policy"
    return html


def test_the_manage_page_reads_the_token_from_the_fragment_and_calls_the_api(api):
    html = page(api("GET", "/manage"))
    assert "Mes inscriptions" in html and "My registrations" not in html
    for use in ("location.hash", '"Bearer "', '"/people/me"', '"/registrations/"', '"DELETE"'):
        assert use in html
    assert "/consents" in html and "/people/management-link" in html
    english = page(api("GET", "/en/manage"), "en")  # the same page in English, at its own address
    assert "My registrations" in english and "Mes inscriptions" not in english
    assert 'href="/manage" hreflang="fr" lang="fr">Français</a>' in english and '"/people/me"' in english
    assert FAKE.calls == []


def test_the_confirmation_page_posts_the_confirmation_with_the_token(api):
    html = page(api("GET", "/subscriptions/confirm"))
    assert '"/subscriptions/confirm"' in html and "location.hash" in html and '"POST"' in html
    assert "Je confirme" in html and 'href="/en/subscriptions/confirm" hreflang="en"' in html
    english = page(api("GET", "/en/subscriptions/confirm"), "en")
    assert "I confirm" in english and "Je confirme" not in english and '"/subscriptions/confirm"' in english
    assert FAKE.calls == []


def test_the_vote_page_is_served_in_each_language_for_any_round(api):
    path = f"/forums/{FORUM_ID}/rounds/{REGISTRATION_ID}"
    assert "Enregistrer mon vote" in page(api("GET", path))
    english = page(api("GET", "/en" + path), "en")
    assert "Save my vote" in english and f'href="/en/rounds/{REGISTRATION_ID}/results"' in english
    assert FAKE.calls == []  # the page asks no service: its script asks the API


def test_the_unsubscribe_page_changes_nothing_until_its_button_posts(api):
    html = page(api("GET", f"/api/v1/unsubscribe/{TOKEN}"))
    assert '<form method="post">' in html and "<button" in html
    assert TOKEN not in html  # the form posts to the page's own address
    assert FAKE.calls == []  # a link scanner following the link unsubscribes nobody


def test_the_unsubscribe_page_speaks_the_browsers_language_and_switches_at_the_same_address(api):
    """The link is the email's, the same in every language (RFC 8058 keeps it as it is)."""
    address = f"/api/v1/unsubscribe/{TOKEN}"
    french = api("GET", address, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    html = page(french)
    assert (
        "Me désabonner" in html and "Unsubscribe" not in html and french.headers["Vary"] == "Accept-Language"
    )
    assert 'href="?lang=en" hreflang="en"' in html and TOKEN not in html  # the same address, relative
    english = page(api("GET", address, headers={"Accept-Language": "en-GB,en;q=0.9"}), "en")
    assert "Stop receiving announcements" in english and "désabonner" not in english
    assert 'href="?lang=fr" hreflang="fr"' in english
    chosen = page(api("GET", address + "?lang=fr", headers={"Accept-Language": "en"}))  # the switcher wins
    assert "Me désabonner" in chosen
    assert "Aller au contenu" in page(api("GET", address + "?lang=xx"))  # anything else: the default
    answer = api("POST", address + "?lang=en", headers={"Accept": "text/html"})
    assert '<html lang="en">' in answer.text and "You are unsubscribed" in answer.text
    assert FAKE.args("unsubscribe") == [TOKEN]


def test_the_home_page_lists_the_upcoming_forums_escaped(api):
    html = page(api("GET", "/"))
    assert FAKE.args("list_forums") == ["all", 100, None, False]  # upcoming and past: one call
    assert "Forum &lt;b&gt;de&lt;/b&gt; test" in html and "<b>de</b>" not in html
    assert "1 mars 2027, 09:00" in html and "3 place(s)" in html
    assert f'href="/forums/{FAKE.replies["list_forums"]["items"][0]["id"]}"' in html
    FAKE.replies["list_forums"] = {"items": [], "next_cursor": None}
    assert "Aucun forum" in page(api("GET", "/"))


def test_the_home_page_speaks_the_browsers_language_until_the_visitor_chooses(api):
    english = {"Accept-Language": "en-GB,en;q=0.9,fr;q=0.4"}
    sent = api("GET", "/", headers=english, allow_redirects=False)
    assert (sent.status_code, sent.headers["Location"], sent.headers["Vary"]) == (
        302,
        "/en/",
        "Accept-Language",
    )
    html = api("GET", "/en/", headers=english).text
    assert '<html lang="en">' in html and "Upcoming forums" in html and 'href="/?lang=fr"' in html
    kept = api("GET", "/?lang=fr", headers=english)
    assert kept.status_code == 200 and '<html lang="fr">' in kept.text
