"""The site's languages and forms (gateway.site): every phrase has its English, addresses keep their
language, and a form is taken only with the token that goes with the visitor's cookie."""

import ast
from pathlib import Path

import pytest
from jinja2 import Environment
from jinja2.ext import extract_from_ast
from werkzeug.exceptions import Forbidden
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import site

GATEWAY = Path(site.__file__).resolve().parent
SECRET = "s" * 40


def phrases():
    """Every phrase put in _() by a template or a module of the gateway."""
    found = set()
    for template in (GATEWAY / "templates").glob("*.html"):
        for _, _, message in extract_from_ast(
            Environment().parse(template.read_text()), gettext_functions=("_",)
        ):
            found |= (
                {message} if isinstance(message, str) else {m for m in message or () if isinstance(m, str)}
            )
    for module in GATEWAY.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            called = isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            if called and (
                (isinstance(node.func, ast.Name) and node.func.id == "_")
                or (isinstance(node.func, ast.Subscript) and getattr(node.func.slice, "value", None) == "_")
            ):
                found.add(node.args[0].value)
    return found


def test_every_phrase_has_its_english_and_the_catalog_nothing_else():
    found = phrases()
    assert len(found) > 40
    assert sorted(found - set(site.ENGLISH)) == []
    assert sorted(set(site.ENGLISH) - found) == []
    for french, english in site.ENGLISH.items():  # the same placeholders on both sides
        assert sorted(part.split("}")[0] for part in french.split("{")[1:]) == sorted(
            part.split("}")[0] for part in english.split("{")[1:]
        ), french


def request(path, method="GET", **kwargs):
    return Request(EnvironBuilder(path=path, method=method, **kwargs).get_environ())


@pytest.mark.parametrize(
    ("path", "lang", "french"),
    [("/", "fr", "/"), ("/en/", "en", "/"), ("/en", "en", "/"), ("/forums/x", "fr", "/forums/x"),
     ("/en/forums/x", "en", "/forums/x"), ("/english", "fr", "/english")],
)  # fmt: skip
def test_an_address_says_its_language(path, lang, french):
    asked = request(path)
    assert (site.lang_of(asked), site.french_path(asked)) == (lang, french)
    assert site.in_lang(french, lang) == (path if path != "/en" else "/en/")


def test_the_switcher_keeps_the_page_and_its_query():
    context = site.page_context(request("/en/forums/x", query_string="a=1"), SECRET)
    assert (context["lang"], context["switch"], context["switch_lang"]) == ("en", "/forums/x?a=1", "fr")
    assert site.page_context(request("/en/"), SECRET)["switch"] == "/?lang=fr"
    assert site.page_context(request("/forums/x"), SECRET)["switch"] == "/en/forums/x"
    assert site.translator("en")("{n} place(s) restante(s) sur {capacity}.", n=2, capacity=5) == (
        "2 seat(s) left out of 5."
    )
    assert site.translator("fr")("Lieu") == "Lieu"


def test_a_form_needs_the_token_of_the_visitors_cookie():
    context = site.page_context(request("/forums/x"), SECRET)
    visitor, token = context["_csrf_cookie"], context["csrf"]
    assert visitor and token == site.csrf_token(SECRET, visitor)

    def posted(cookie, sent):
        asked = request("/forums/x/register", "POST", data={"csrf": sent})
        if cookie:
            asked.environ["HTTP_COOKIE"] = f"{site.CSRF_COOKIE}={cookie}"
        return asked

    site.check_csrf(posted(visitor, token), SECRET)  # taken
    for cookie, sent in ((None, token), (visitor, ""), (visitor, site.csrf_token(SECRET, "x" * 30)),
                         ("a" * 40, token), (visitor, site.csrf_token("other" * 8, visitor))):  # fmt: skip
        with pytest.raises(Forbidden):
            site.check_csrf(posted(cookie, sent), SECRET)
    again = site.page_context(posted(visitor, token), SECRET)
    assert again["_csrf_cookie"] is None and again["csrf"] == token  # a visitor keeps their cookie


def test_the_browser_language_is_asked_at_the_home_page_only_without_a_choice():
    assert site.prefers_english(request("/", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}))
    assert not site.prefers_english(request("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}))
    assert not site.prefers_english(request("/", query_string="lang=fr", headers={"Accept-Language": "en"}))
    assert not site.prefers_english(request("/"))


def test_a_phrase_translated_in_two_catalog_files_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("Bonjour: Hello\n")
    (tmp_path / "b.yaml").write_text("Bonjour: Hi\n")
    with pytest.raises(ValueError, match="Bonjour"):
        site.english_catalog(tmp_path)
