"""Tokens never reach a log line or an answer; callers are told apart by their bearer token."""

import logging
from types import SimpleNamespace

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.auth import Callers
from gateway.errors import Forbidden, Unauthenticated, problem
from gateway.redact import RedactingFilter, RedactingLog, redact
from kit.organiser_tokens import digest
from kit.organiser_tokens import mint as mint_organiser_token
from kit.tokens import mint

TOKEN = mint("secret", "unsubscribe", "subscription-1")


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1 - - [x] "POST /api/v1/unsubscribe/{TOKEN} HTTP/1.1" 200 10 0.01',
        f'"GET /api/v1/unsubscribe/{TOKEN}?utm=mail HTTP/1.1"',
        f"InvalidToken: bad signature for {TOKEN}",
        f"GET /manage?token={TOKEN}&x=1",
        f"Authorization: Bearer {TOKEN}",
        '"GET /api/v1/unsubscribe/not-even-a-token HTTP/1.1"',
    ],
)
def test_tokens_are_redacted_wherever_they_sit(line):
    redacted = redact(line)
    assert TOKEN not in redacted and TOKEN.split(".")[1] not in redacted and "…" in redacted
    assert "not-even-a-token" not in redacted


def test_an_organiser_token_is_redacted_too():
    token = mint_organiser_token()
    reply = redact(f"RPC reply event complete {{'name': 'Camille', 'token': '{token}'}}")
    assert token not in reply and token[4:] not in reply and "…" in reply


def test_ordinary_text_is_left_alone():
    for text in ("An organiser bearer token is required.", "Forum not found", "/api/v1/forums/abc-def"):
        assert redact(text) == text


def test_the_access_log_and_filtered_loggers_write_no_token(caplog):
    caplog.set_level(logging.DEBUG)
    RedactingLog(logging.getLogger("test.access")).info(f"GET /api/v1/unsubscribe/{TOKEN} 100%")
    logger = logging.getLogger("test.filtered")
    logger.addFilter(RedactingFilter())
    logger.debug("reply %s", {"value": f"bad {TOKEN}"})
    try:
        raise ValueError(f"with {TOKEN}")
    except ValueError:
        logger.exception("failed")
    assert "/api/v1/unsubscribe/… 100%" in caplog.text and "ValueError: with …" in caplog.text
    assert TOKEN not in caplog.text


def test_a_problem_detail_never_echoes_a_token():
    answer = problem(401, "Invalid token", f"refused {TOKEN}")
    assert TOKEN not in answer.get_data(as_text=True)


def request(authorization=None):
    headers = {"Authorization": authorization} if authorization else {}
    return Request(EnvironBuilder(headers=headers).get_environ())


def test_callers_are_told_apart_by_their_token():
    callers = Callers([digest(b"org-1"), digest(b"org-2")], None, SimpleNamespace(data={}))
    assert callers.organiser(request("Bearer org-2")) is None
    assert callers.organiser_or_person(request("bearer org-1")) is None
    assert callers.organiser_or_person(request(f"Bearer {TOKEN}")) == TOKEN
    assert callers.person(request(f"Bearer  {TOKEN} ")) == TOKEN
    assert callers.is_organiser(request("Bearer org-1")) and not callers.is_organiser(
        request(f"Bearer {TOKEN}")
    )
    for refuse, authorization, error in [
        (callers.organiser, None, Unauthenticated),
        (callers.organiser, "Basic org-1", Unauthenticated),
        (callers.organiser, f"Bearer {TOKEN}", Forbidden),
        (callers.person, "Bearer org-1", Forbidden),
        (callers.person, "Bearer ", Unauthenticated),
        (callers.organiser_or_person, "Bearer " + "x" * 3000, Unauthenticated),
    ]:
        with pytest.raises(error):
            refuse(request(authorization))
