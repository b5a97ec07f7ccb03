"""A participant's session on the site (gateway.participant) and its pages' handlers with fake services: the
cookie holds the token signed and dated, and anything tampered, expired or malformed is no session; the
token exchange answers 303 to a clean address with the cookie's attributes, a refused link sets no
cookie; a form without its CSRF token reaches no service; the ballot form reads as the API's JSON."""

import html
from types import SimpleNamespace

import pytest
from nameko.exceptions import RemoteError
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import participant, site
from gateway.pages import render
from gateway.redact import redact
from gateway.routes.participant import ParticipantRoutes
from kit import tokens

SECRET = "s" * 40
TOKEN = tokens.mint(SECRET, "manage", "6f1c7c1e-7c1e-4c1e-8c1e-7c1e7c1e7c1e")
NOW = 1_800_000_000
HELD = {"person": {"id": "p", "email": "camille@example.org", "created_at": "2027-01-01T00:00:00+00:00"},
        "registrations": [], "subscriptions": []}  # fmt: skip


def test_a_sealed_token_opens_within_two_hours_only():
    value = participant.seal(SECRET, TOKEN, now=NOW)
    assert participant.opened(SECRET, value, now=NOW + 1) == TOKEN
    assert participant.opened(SECRET, value, now=NOW + participant.AGE - 1) == TOKEN
    assert participant.opened(SECRET, value, now=NOW + participant.AGE) is None  # expired
    assert participant.opened("t" * 40, value, now=NOW) is None  # another key


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace(v.split(".")[0], str(int(v.split(".")[0]) + 3600), 1),  # a longer life
        lambda v: v[:-1] + ("0" if v[-1] != "0" else "1"),  # the signature
        lambda v: v.split(".")[0] + ".x" + v[v.index(".") + 1 :],  # the token
        lambda v: v.rsplit(".", 1)[0],  # no signature
        lambda v: "",
        lambda v: "99999999999999." + v.split(".", 1)[1],
        lambda v: "１" + v,  # a non-ASCII digit
    ],
)
def test_a_tampered_cookie_is_no_session(tamper):
    assert participant.opened(SECRET, tamper(participant.seal(SECRET, TOKEN, now=NOW)), now=NOW) is None


def test_no_cookie_is_no_session():
    assert participant.opened(SECRET, None) is None
    assert participant.session_token(request("/me"), SECRET) is None


def test_the_access_log_line_of_the_exchange_shows_no_token():
    line = f'127.0.0.1 - - [01/Jan/2027 10:00:00] "GET /me/session?token={TOKEN}&round=x HTTP/1.1" 303 0 0.01'
    shown = redact(line)
    assert TOKEN not in shown and TOKEN.split(".")[0] not in shown and TOKEN.split(".")[1] not in shown
    assert "/me/session?token=…" in shown
    assert "abc" not in redact('"GET /en/me/session?token=abc HTTP/1.1"')


def test_the_ballot_form_reads_as_the_apis_body():
    topics = ["t1", "t2", "t3"]
    form = MultiDict([("choices", "t2"), ("choices", "t1"), ("stakeholder_group", "citizen")])
    assert participant.ballot_of("approval", topics, form) == (
        {"choices": ["t2", "t1"], "stakeholder_group": "citizen"},
        {},
    )
    form = MultiDict({"points-t1": "3", "points-t2": "", "points-t3": "0"})
    assert participant.ballot_of("dots", topics, form) == ({"points": {"t1": 3}}, {})
    assert participant.ballot_of("dots", topics, MultiDict({"points-t1": "-1"}))[1] == {"points": "whole"}
    assert participant.ballot_of("dots", topics, MultiDict({"points-t1": "1.5"}))[1] == {"points": "whole"}
    form = MultiDict({"rank-t1": "2", "rank-t2": "", "rank-t3": "1"})
    assert participant.ballot_of("ranked", topics, form) == ({"ranking": ["t3", "t1"]}, {})
    twice = MultiDict({"rank-t1": "1", "rank-t3": "1"})
    assert participant.ballot_of("ranked", topics, twice)[1] == {"ranking": "twice"}


def test_a_ballot_as_it_counts_fills_the_form_again():
    assert participant.form_values("approval", {"choices": ["a"]}) == {"choices": ["a"]}
    assert participant.form_values("dots", {"points": {"a": 2}}) == {"points-a": "2"}
    assert participant.form_values("ranked", {"ranking": ["b", "a"]}) == {"rank-b": "1", "rank-a": "2"}
    assert participant.form_values("ranked", None) == {}


# the handlers, with fake services
class Registration:
    def __init__(self, valid=True):
        self.valid, self.calls = valid, []

    def me(self, token):
        self.calls.append(("me", token))
        if not self.valid:
            raise RemoteError("InvalidToken", "this link is no longer valid")
        return HELD

    def update_consents(self, token, registration_id, consents):
        self.calls.append(("update_consents", token, registration_id, consents))


def routes(registration):
    service = type("Pages", (ParticipantRoutes,), {})()
    service.config, service.registration = {"SECRET_KEY": SECRET}, registration
    service.topics = service.restitution = SimpleNamespace()
    return service


def request(path, method="GET", cookie=None, **kwargs):
    builder = EnvironBuilder(path=path, method=method, **kwargs)
    if cookie:
        builder.headers["Cookie"] = cookie
    return Request(builder.get_environ())


def text(answer):
    return html.unescape(answer.get_data(as_text=True))


def cookies_of(answer):
    return [value for name, value in answer.headers.items() if name.lower() == "set-cookie"]


@pytest.mark.parametrize("lang", ["", "/en"])
def test_the_exchange_answers_303_to_a_clean_address_with_the_session_cookie(lang):
    registration = Registration()
    answer = routes(registration).participant_session(request(f"{lang}/me/session?token={TOKEN}"))
    assert answer.status_code == 303 and answer.headers["Location"] == f"{lang}/me"
    assert (
        answer.headers["Referrer-Policy"] == "no-referrer" and answer.headers["Cache-Control"] == "no-store"
    )
    [cookie] = [c for c in cookies_of(answer) if c.startswith("odt_me=")]
    assert (
        "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Max-Age=7200" in cookie
    )
    assert "Secure" not in cookie  # plain http here; https: Secure (below)
    assert registration.calls == [("me", TOKEN)]
    secure = routes(registration).participant_session(
        request(f"/me/session?token={TOKEN}", base_url="https://forums.example")
    )
    assert "Secure" in [c for c in cookies_of(secure) if c.startswith("odt_me=")][0]


def test_the_exchange_can_lead_to_a_rounds_ballot():
    round_id = "0d8a2b1c-1111-4222-8333-944455556666"
    answer = routes(Registration()).participant_session(
        request(f"/me/session?token={TOKEN}&round={round_id}")
    )
    assert answer.headers["Location"] == f"/me/rounds/{round_id}"
    elsewhere = routes(Registration()).participant_session(request(f"/me/session?token={TOKEN}&round=//evil"))
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    tracked = routes(Registration()).participant_session(
        request(f"/me/session?token={TOKEN}&utm_source=mail")
    )
    assert tracked.headers["Location"] == "/me"  # what a link tracker adds is left aside


@pytest.mark.parametrize(("token", "status"), [(TOKEN, 401), ("not-a-token", 400), ("a" * 3000 + ".b", 400)])
def test_a_refused_link_says_so_and_sets_no_session(token, status):
    registration = Registration(valid=False)
    answer = routes(registration).participant_session(request(f"/me/session?token={token}"))
    assert answer.status_code == status and "Ce lien n'est plus valide" in text(answer)
    assert not [c for c in cookies_of(answer) if c.startswith("odt_me=")]
    assert token not in text(answer) or not token


def test_the_exchange_without_a_token_is_the_page_to_ask_a_link():
    answer = routes(Registration()).participant_session(request("/me/session"))
    assert answer.status_code == 200 and "Recevoir un nouveau lien" in text(answer)
    assert not [c for c in cookies_of(answer) if c.startswith("odt_me=")]


def test_my_page_with_a_tampered_cookie_is_the_page_to_ask_a_link():
    value = participant.seal(SECRET, TOKEN)
    registration = Registration()
    answer = routes(registration).participant_home(request("/en/me", cookie=f"odt_me={value[:-2]}xx"))
    assert answer.status_code == 200 and "Get a new link" in text(answer)
    assert registration.calls == []
    answer = routes(registration).participant_home(request("/en/me", cookie=f"odt_me={value}"))
    assert "camille@example.org" in text(answer)


def test_a_revoked_link_ends_the_session():
    value = participant.seal(SECRET, TOKEN)
    answer = routes(Registration(valid=False)).participant_home(request("/me", cookie=f"odt_me={value}"))
    assert "Votre session est terminée" in text(answer)
    assert [c for c in cookies_of(answer) if c.startswith("odt_me=;") or c.startswith('odt_me="";')]


def test_a_form_without_its_csrf_token_reaches_no_service():
    registration = Registration()
    value = participant.seal(SECRET, TOKEN)
    path = "/me/registrations/0d8a2b1c-1111-4222-8333-944455556666/consents"
    visitor = "v" * 30
    posted = {"consent_updates": "yes", "csrf": "0" * 64}
    answer = routes(registration).participant_consents(
        request(path, "POST", cookie=f"odt_me={value}; odt_csrf={visitor}", data=posted),
        registration_id="0d8a2b1c-1111-4222-8333-944455556666",
    )
    assert answer.status_code == 403 and registration.calls == []
    posted["csrf"] = site.csrf_token(SECRET, visitor)
    answer = routes(registration).participant_consents(
        request(path, "POST", cookie=f"odt_me={value}; odt_csrf={visitor}", data=posted),
        registration_id="0d8a2b1c-1111-4222-8333-944455556666",
    )
    assert answer.status_code == 200
    assert registration.calls[0] == (
        "update_consents",
        TOKEN,
        "0d8a2b1c-1111-4222-8333-944455556666",
        {"consent_updates": True, "consent_public_list": False},
    )


ROUND = {"id": "0d8a2b1c-1111-4222-8333-944455556666", "forum_id": "f", "status": "open", "max_choices": 2,
         "budget": 5, "max_per_topic": 3, "topic_ids": ["t1", "t2"], "closes_at": "2099-01-01T10:00:00+00:00"}  # fmt: skip
REGISTRATION = {"id": "r1", "status": "waitlisted", "waitlist_position": 2, "attendee_code": "ABC",
                "consents": {"updates": True, "public_list": False},
                "forum": {"title": "Forum <b>", "starts_at": "2027-03-01T09:00:00+01:00"}}  # fmt: skip


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("method", ["approval", "dots", "ranked"])
def test_the_ballot_form_and_its_answer_render_for_each_method(lang, method):
    context = site.page_context(request("/en/me/rounds/x" if lang == "en" else "/me/rounds/x"), SECRET)
    values = {"choices": ["t2"], "points-t1": "2", "rank-t2": "1"}
    field = participant.FIELDS[method]
    shown = text(render("me_vote.html", round=ROUND | {"method": method}, forum={"title": "F"}, is_open=True,
                        titles={"t1": "One", "t2": "Two"}, values=values, errors={field: ["x"]}, current=None,
                        need_group=True, groups=["citizen"], idempotency_key="k", **context))  # fmt: skip
    assert 'href="#topics"' in shown and 'id="topics-error"' in shown and "Two" in shown
    assert ('name="stakeholder_group"' in shown) and ("—" in shown)
    taken = {
        "stakeholder_group": "citizen",
        "ballot": {"choices": ["t2"], "points": {"t1": 2}, "ranking": ["t2"]},
    }
    voted = text(render("me_voted.html", round=ROUND | {"method": method}, taken=taken,
                        titles={"t1": "One", "t2": "Two"}, **context))  # fmt: skip
    assert ("Your vote is recorded" if lang == "en" else "Votre vote est enregistré") in voted


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_my_page_and_its_confirmations_render(lang):
    context = site.page_context(request("/en/me" if lang == "en" else "/me"), SECRET)
    held = HELD | {"registrations": [REGISTRATION]}
    shown = render("me.html", held=held, notice=None, keys={"r1": "k"}, sign_out_key="k", **context)
    assert "Forum &lt;b&gt;" in shown.get_data(as_text=True) and "/me/registrations/r1/consents" in text(
        shown
    )
    for action in ("cancel", "erase"):
        confirm = text(render("me_confirm.html", action=action, registration=REGISTRATION, held=held,
                              idempotency_key="k", **context))  # fmt: skip
        assert 'class="danger"' in confirm
    for outcome in ("cancelled", "erased", "signed_out", "asked", "expired"):
        assert "<h1>" in text(render("me_done.html", outcome=outcome, **context))
