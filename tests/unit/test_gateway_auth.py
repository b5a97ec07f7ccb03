"""Organiser tokens at the gateway: the configured one and the created ones (asked of the registration
service by digest, here a fake), their scopes, and any header value answered as 401 or 403."""

import hashlib
from types import SimpleNamespace

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.auth import Callers, claims_organiser, configured
from gateway.errors import Forbidden, Unauthenticated
from kit import organiser_tokens
from kit.tokens import mint

CONFIGURED = "configured-organiser-token"
PARTICIPANT = mint("secret", "manage", "person-1")
WRITER, READER, REVOKED = (organiser_tokens.mint() for _ in range(3))


class Registration:
    """Answers ``organiser_for_digest`` as the service would, and keeps what it was sent."""

    def __init__(self):
        self.asked = []
        self.known = {
            hashlib.sha256(WRITER.encode()).hexdigest(): {"name": "Camille", "scope": "write"},
            hashlib.sha256(READER.encode()).hexdigest(): {"name": "Dominique", "scope": "read"},
        }

    def organiser_for_digest(self, digest):
        self.asked.append(digest)
        return self.known.get(digest)


def callers():
    registration = Registration()
    ctx = SimpleNamespace(data={})
    return Callers([organiser_tokens.digest(CONFIGURED)], registration, ctx), registration, ctx


def request(token=None, method="GET", authorization=None):
    headers = {"Authorization": authorization or f"Bearer {token}"} if token or authorization else {}
    return Request(EnvironBuilder(method=method, headers=headers).get_environ())


def test_a_created_token_is_asked_for_by_digest_and_its_name_goes_with_every_call():
    who, registration, ctx = callers()
    who.organiser(request(WRITER, "POST"))
    assert registration.asked == [hashlib.sha256(WRITER.encode()).hexdigest()]
    assert ctx.data == {"organiser": "Camille"}
    assert WRITER not in str(registration.asked)


def test_the_configured_token_is_a_write_organiser_named_after_its_setting():
    who, registration, ctx = callers()
    who.organiser(request(CONFIGURED, "DELETE"))
    assert ctx.data == {"organiser": "ORGANISER_TOKEN"} and registration.asked == []


def test_a_read_token_may_only_read():
    for method in ("GET", "HEAD"):
        who, _, ctx = callers()
        who.organiser(request(READER, method))
        assert ctx.data == {"organiser": "Dominique"}
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        who, _, ctx = callers()
        with pytest.raises(Forbidden, match="only read"):
            who.organiser(request(READER, method))
        assert ctx.data == {}
    who, _, _ = callers()
    with pytest.raises(Forbidden, match="only read"):
        who.organiser_or_person(request(READER, "DELETE"))
    assert who.organiser_or_person(request(READER, "GET")) is None
    assert who.is_organiser(request(READER)) and who.is_organiser(request(WRITER))


def test_a_revoked_or_unknown_token_is_refused_as_invalid():
    for refuse in ("organiser", "organiser_or_person"):
        who, registration, ctx = callers()
        with pytest.raises(Unauthenticated):
            getattr(who, refuse)(request(REVOKED, "POST"))
        assert len(registration.asked) == 1 and ctx.data == {}
    who, _, _ = callers()
    assert not who.is_organiser(request(REVOKED))


def test_participant_tokens_are_never_looked_up_and_organiser_tokens_never_act_as_a_person():
    who, registration, _ = callers()
    with pytest.raises(Forbidden):
        who.organiser(request(PARTICIPANT, "POST"))
    assert who.organiser_or_person(request(PARTICIPANT)) == PARTICIPANT
    assert not who.is_organiser(request(PARTICIPANT))
    for token in (WRITER, REVOKED, CONFIGURED):
        with pytest.raises(Forbidden):
            who.person(request(token))
    assert registration.asked == []


@pytest.mark.parametrize(
    "value",
    [
        "Bearer caf\u00e9",  # latin-1 bytes on the wire: WSGI decodes headers as latin-1
        "Bearer caf\u00c3\u00a9",  # the same word sent as UTF-8
        "Bearer jeton\u00ff\u00fe",
        "Bearer tok\u00e9n" + WRITER[4:],
        "Bearer " + CONFIGURED + "\u00e9",
    ],
)
def test_any_header_value_is_a_401_never_an_error(value):
    who, registration, ctx = callers()
    for refuse in (who.organiser, who.person, who.organiser_or_person):
        with pytest.raises(Unauthenticated):
            refuse(request(authorization=value, method="POST"))
    assert not who.is_organiser(request(authorization=value))
    assert registration.asked == [] and ctx.data == {}


def test_a_token_is_minted_at_the_gateway_and_only_its_digest_goes_to_the_service():
    from gateway.routes.organisers import OrganiserRoutes

    class Registration:
        def create_organiser_token(self, *args):
            self.args = args
            return {"id": "t-1", "name": args[0], "scope": args[1]}

    caller = SimpleNamespace(auth=callers()[0], registration=Registration())
    body = b'{"name": "Camille", "scope": "read"}'
    environ = EnvironBuilder(
        method="POST",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {CONFIGURED}"},
    ).get_environ()
    status, headers, answer = OrganiserRoutes.create_organiser_token(caller, Request(environ))
    assert status == 201 and headers["Location"] == "/api/v1/organiser-tokens/t-1"
    token = answer["token"]
    assert organiser_tokens.looks_stored(token)
    assert caller.registration.args == ("Camille", "read", hashlib.sha256(token.encode()).hexdigest())


def test_the_client_limit_tells_an_organisers_request_by_its_token_without_asking_anyone():
    bootstrap = configured({"ORGANISER_TOKEN": f" another, {CONFIGURED} "})
    assert len(bootstrap) == 2
    for token in (CONFIGURED, WRITER, REVOKED):  # a false one of the created shape is refused by the route
        assert claims_organiser(request(token, method="POST"), bootstrap)
    assert not claims_organiser(request(method="POST"), bootstrap)
    for header in (
        f"Bearer {PARTICIPANT}",
        "Bearer configured",
        f"Basic {CONFIGURED}",
        "Bearer " + "a" * 3000,
    ):
        assert not claims_organiser(request(authorization=header, method="POST"), bootstrap), header
