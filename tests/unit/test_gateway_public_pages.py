"""Public record pages may be cached: no nonce (the same page is the same body, in each language), their
style allowed by its hash, an ETag and 304 to a client that has the page; the other pages keep their nonce
and no-store."""

import base64
import hashlib
import re

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.pages import fresh, render
from gateway.site import page_context

SECRET = "s" * 40


def environ(path="/restitutions", **headers):
    return EnvironBuilder(path=path, headers=headers).get_environ()


def request(path="/restitutions", **headers):
    return Request(environ(path, **headers))


def index(path="/restitutions"):
    """What the index page is rendered with at ``path``: no restitution yet, and the page's language."""
    return {"items": []} | page_context(request(path), SECRET)


INDEX = index()


def test_a_cached_page_allows_its_style_by_hash_and_no_script():
    page = render("restitutions.html", cached=True, **INDEX)
    html = page.get_data(as_text=True)
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = page.headers["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "script-src 'none'" in policy
    assert "nonce" not in html and "nonce" not in policy
    assert page.headers["Cache-Control"] == "public, max-age=60"
    assert render("restitutions.html", cached=True, **INDEX).get_data() == page.get_data()
    english = render("restitutions.html", cached=True, **index("/en/restitutions")).get_data()
    assert english == render("restitutions.html", cached=True, **index("/en/restitutions")).get_data()
    assert b'<html lang="en">' in english and english != page.get_data()  # each language: its own ETag


def test_other_pages_keep_a_nonce_and_no_store():
    page = render("not_found.html", status=404, what="restitution", **INDEX)
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_a_client_that_has_the_page_is_answered_304_without_it():
    first = fresh(request(), render("restitutions.html", cached=True, **INDEX))
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    asked = {"If-None-Match": etag}
    again = fresh(request(**asked), render("restitutions.html", cached=True, **INDEX))
    assert (again.status_code, b"".join(again.get_app_iter(environ(**asked)))) == (304, b"")  # as sent
    other = fresh(
        request(**{"If-None-Match": '"something-else"'}), render("restitutions.html", cached=True, **INDEX)
    )
    assert other.status_code == 200 and other.get_data()
