"""The console's session cookie (gateway.console): signed with the platform's key, ending 8 hours after
sign-in, refused once touched, naming its token without holding it, and worth nothing once the token is
revoked."""

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from gateway import console
from gateway.auth import BOOTSTRAP, Organiser
from kit import organiser_tokens

SECRET = "k" * 40
NOW = 1_900_000_000
CREATED_TOKEN = organiser_tokens.mint()
CONFIGURED_TOKEN = "weak-but-configured"
BOOTSTRAP_DIGESTS = [organiser_tokens.digest(CONFIGURED_TOKEN)]


class Tokens:
    """The registration service's lookup, as the gateway's ``Callers`` holds it: created tokens in use."""

    def __init__(self, **in_use):
        self.in_use = in_use  # digest hex -> {"name", "scope"}

    def organiser_for_digest(self, digest):
        return self.in_use.get(digest)


class Callers:
    def __init__(self, bootstrap, lookup):
        self.bootstrap, self.lookup = bootstrap, lookup


def session_of(token, now=NOW, secret=SECRET):
    return console.seal(
        secret, *console.identity(secret, BOOTSTRAP_DIGESTS, organiser_tokens.digest(token)), now
    )


def test_a_session_opens_until_it_expires_eight_hours_later():
    value = session_of(CREATED_TOKEN)
    named = (console.CREATED, organiser_tokens.digest(CREATED_TOKEN).hex())
    assert console.opened(SECRET, value, NOW) == named
    assert console.opened(SECRET, value, NOW + 8 * 3600 - 1) == named
    assert console.opened(SECRET, value, NOW + 8 * 3600) is None
    assert console.opened(SECRET, value, NOW - 3600) is None  # not from the future either


def test_the_cookie_names_the_token_without_holding_it():
    for token in (CREATED_TOKEN, CONFIGURED_TOKEN):
        value = session_of(token)
        assert token not in value
    configured = session_of(CONFIGURED_TOKEN)
    kind, ident = console.opened(SECRET, configured, NOW)
    # a configured token (which a person may have chosen weak) is not even named by its sha256
    assert kind == console.CONFIGURED and organiser_tokens.digest(CONFIGURED_TOKEN).hex() not in configured
    assert ident != organiser_tokens.digest(CONFIGURED_TOKEN).hex()


@pytest.mark.parametrize("part", [0, 1, 2, 3])
def test_a_touched_cookie_is_refused(part):
    value = session_of(CREATED_TOKEN)
    pieces = value.split(".")
    pieces[part] = {
        0: "b",  # the other kind
        1: organiser_tokens.digest(organiser_tokens.mint()).hex(),  # another token
        2: str(NOW + 10 * 3600),  # a later end
        3: "0" * 64,  # a made-up signature
    }[part]
    assert console.opened(SECRET, ".".join(pieces), NOW) is None


@pytest.mark.parametrize("value", [None, "", "x", "t.abc.1.def", "t." + "0" * 64 + ".9" * 20])
def test_anything_else_is_refused(value):
    assert console.opened(SECRET, value, NOW) is None


def test_a_session_signed_with_another_key_is_refused():
    assert console.opened(SECRET, session_of(CREATED_TOKEN, secret="other" * 8), NOW) is None


def test_each_request_names_the_organiser_again_and_a_revoked_token_ends_its_sessions():
    digest = organiser_tokens.digest(CREATED_TOKEN).hex()
    lookup = Tokens(**{digest: {"name": "accueil", "scope": "write"}})
    callers = Callers(BOOTSTRAP_DIGESTS, lookup)
    session = console.opened(SECRET, session_of(CREATED_TOKEN), NOW)
    assert console.holder(callers, SECRET, *session) == Organiser("accueil", "write")
    del lookup.in_use[digest]  # revoked: the service no longer finds it
    assert console.holder(callers, SECRET, *session) is None


def test_a_configured_token_holds_while_it_is_configured():
    session = console.opened(SECRET, session_of(CONFIGURED_TOKEN), NOW)
    assert console.holder(Callers(BOOTSTRAP_DIGESTS, Tokens()), SECRET, *session) == Organiser(
        BOOTSTRAP, "write"
    )
    assert console.holder(Callers([], Tokens()), SECRET, *session) is None  # taken out of ORGANISER_TOKEN


@pytest.mark.parametrize("https", [False, True])
def test_the_cookie_is_httponly_strict_and_set_for_both_languages(https):
    request = Request(
        EnvironBuilder(path="/console/sign-in", base_url="https://x" if https else "http://x").get_environ()
    )
    headers = console.set_session(Response(), request, session_of(CREATED_TOKEN)).headers.getlist(
        "Set-Cookie"
    )
    assert len(headers) == 2
    for header, path in zip(headers, console.PATHS, strict=True):
        assert header.startswith(f"{console.SESSION_COOKIE}=")
        assert "HttpOnly" in header and "SameSite=Strict" in header and f"Path={path}" in header
        assert "Max-Age=28800" in header and ("Secure" in header) is https
    cleared = console.clear_session(Response(), request).headers.getlist("Set-Cookie")
    assert all("Max-Age=0" in header for header in cleared) and len(cleared) == 2


@pytest.mark.parametrize(
    ("asked", "kept"),
    [("/console", True), ("/en/console", True), ("/console/forums/abc-1/check-in", True), ("/consoles", False),
     ("//evil.example/console", False), ("https://evil.example/console", False), ("/forums/x", False),
     ("/console/../api", False), ("/console?x=1", False), ("", False), (None, False)],
)  # fmt: skip
def test_only_a_console_page_is_where_a_sign_in_leads(asked, kept):
    assert console.safe_next(asked) == (asked if kept else None)
