"""The site's pages for people, in French (at ``/…``) and English (at ``/en/…``), and the forms they post.

Language. A page's address says its language, so a link, a bookmark or a shared address keeps it: French
at ``/forums/…``, English at ``/en/forums/…``. Templates are written in French, each phrase in ``_()``;
``locales/en/*.yaml`` hold its English (a unit test checks that every phrase has one). Every page says
its ``lang``, links to itself in the other language (the switcher) and names it as ``alternate``. A
browser's ``Accept-Language`` is asked once, at the home page ``/``: one that prefers English is sent to
``/en/`` (``/?lang=fr`` stays in French, for the switcher).

Forms (``form``, ``csrf``). They work without JavaScript: an HTML form posted to the gateway, answered
with a page. Each carries a CSRF token: the HMAC of a random value that the visitor's browser keeps in an
HttpOnly, SameSite=Lax cookie (double submit, signed with the platform's key), so another site can neither
read the token nor post the form. A posted form is checked again by the same schema as the API's JSON,
and its errors are shown next to their fields and listed at the top, each linked to its field.
"""

import hashlib
import hmac
import secrets
from pathlib import Path

import yaml
from werkzeug.exceptions import Forbidden

from gateway.http import api

LANGS = ("fr", "en")
CATALOGS = Path(__file__).resolve().parent / "locales" / "en"


def english_catalog(folder=CATALOGS):
    """French phrase → English, from every ``locales/en/*.yaml`` (one file per area of the site); a phrase
    in two files is an error, not a silent choice."""
    catalog = {}
    for part in sorted(folder.glob("*.yaml")):
        for french, english in (yaml.safe_load(part.read_text()) or {}).items():
            if french in catalog:
                raise ValueError(f"{part.name}: {french!r} is already translated in another file")
            catalog[french] = english
    return catalog


ENGLISH = english_catalog()
CSRF_COOKIE = "odt_csrf"
CSRF_FIELD = "csrf"
CSRF_AGE = 12 * 3600  # seconds a form may stay open in a tab


def both_languages(method, path, doc):
    """The route in French at ``path`` and in English at ``/en`` + ``path``."""

    def decorate(handler):
        return api(method, path, doc=doc)(api(method, "/en" + path, doc=doc)(handler))

    return decorate


def lang_of(request):
    return "en" if request.path == "/en" or request.path.startswith("/en/") else "fr"


def in_lang(path, lang):
    """The address of the page at ``path`` (a French one) in ``lang``."""
    return ("/en" + path if path != "/" else "/en/") if lang == "en" else path


def french_path(request):
    """The request's address as the French page's (the ``/en`` prefix taken off)."""
    path = request.path
    if path == "/en" or path == "/en/":
        return "/"
    return path[3:] if path.startswith("/en/") else path


def translator(lang):
    """``_("phrase in French")``: the phrase in ``lang`` (French: itself; English: the catalog's, else
    the French, which the catalog's test does not let happen)."""
    if lang == "fr":
        return lambda phrase, **values: phrase.format(**values) if values else phrase
    return lambda phrase, **values: (
        (ENGLISH.get(phrase) or phrase).format(**values) if values else (ENGLISH.get(phrase) or phrase)
    )


def page_context(request, secret, page=None):
    """What every page of the site is rendered with: its language, ``_``, the switcher's address, and the
    CSRF token of this visitor's forms (with the cookie to set, if they have none yet). ``page``: the
    (French) address the switcher leads to in the other language, when it is not this request's own (a
    form's answer: the page of the form, since the form's address takes only a POST)."""
    lang = lang_of(request)
    path = page or french_path(request)
    other = "en" if lang == "fr" else "fr"
    query = ("?" + request.query_string.decode()) if request.query_string and not page else ""
    switch = in_lang(path, other) + query
    if other == "fr" and path == "/":
        switch = "/?lang=fr"
    visitor = request.cookies.get(CSRF_COOKIE)
    fresh = visitor is None or not _well_formed(visitor)
    if fresh:
        visitor = secrets.token_urlsafe(32)
    return {
        "lang": lang,
        "_": translator(lang),
        "here": path,
        "link": lambda french: in_lang(french, lang),
        "switch": switch,
        "switch_lang": other,
        "csrf": csrf_token(secret, visitor),
        "_csrf_cookie": visitor if fresh else None,
    }


def csrf_token(secret, visitor):
    return hmac.new(secret.encode(), f"csrf:{visitor}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request, secret):
    """A posted form is this visitor's, from one of our pages; else 403 (nothing is done)."""
    visitor = request.cookies.get(CSRF_COOKIE, "")
    sent = request.form.get(CSRF_FIELD, "")
    if not (visitor and _well_formed(visitor) and hmac.compare_digest(sent, csrf_token(secret, visitor))):
        raise Forbidden(
            "This form has expired or did not come from this site: reload the page and send it again."
        )


def set_csrf_cookie(response, request, context):
    if context.get("_csrf_cookie"):
        response.set_cookie(
            CSRF_COOKIE,
            context["_csrf_cookie"],
            max_age=CSRF_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.scheme == "https",
            path="/",
        )
    return response


def prefers_english(request):
    """At ``/``, without ``?lang=``: whether the browser asks for English before French."""
    if request.args.get("lang"):
        return False
    return request.accept_languages.best_match(LANGS, default="fr") == "en"


def addressed_page_context(request):
    """The context of a page whose address is the same in every language (the one-click unsubscribe link,
    which an email gives and RFC 8058 keeps as it is): ``?lang=fr|en`` if given (its switcher), else the
    browser's ``Accept-Language``, French by default. No form token: its one form is the link's own."""
    asked = request.args.get("lang")
    lang = asked if asked in LANGS else request.accept_languages.best_match(LANGS, default="fr")
    other = "en" if lang == "fr" else "fr"
    return {
        "lang": lang,
        "_": translator(lang),
        "link": lambda french: in_lang(french, lang),
        "switch": f"?lang={other}",  # this very address in the other language; its token not repeated
        "switch_lang": other,
    }


def _well_formed(visitor):
    return 20 <= len(visitor) <= 64 and all(c.isalnum() or c in "-_" for c in visitor)
