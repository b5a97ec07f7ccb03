"""The signature an outbox relay puts on each event, and what a consumer accepts."""

from kit.signing import HEADER, event_key, sign, verify

KEY = event_key("s" * 40)
BODY = '{"type": "management_link_requested", "data": {"email": "lou@example.org", "name": "Léa"}}'.encode()


def test_a_signed_body_is_accepted_as_bytes_or_as_the_text_the_client_decoded():
    headers = {HEADER: sign(KEY, BODY)}
    assert verify(KEY, BODY, headers)
    assert verify(KEY, BODY.decode(), headers)
    assert verify(KEY, BODY, {HEADER: sign(KEY, BODY).encode()})


def test_anything_else_is_refused():
    good = sign(KEY, BODY)
    assert not verify(KEY, BODY, None)
    assert not verify(KEY, BODY, {})
    assert not verify(KEY, BODY.replace(b"lou@", b"eve@"), {HEADER: good})
    assert not verify(event_key("another key of forty characters........"), BODY, {HEADER: good})
    assert not verify(KEY, BODY, {HEADER: good.upper()})
    assert not verify(KEY, BODY, {HEADER: 42})
    assert not verify(KEY, BODY, {HEADER: "hmac-sha256=é"})


def test_the_event_key_is_not_the_secret_itself():
    assert event_key("s" * 40) != ("s" * 40).encode() and len(event_key("x")) == 32
