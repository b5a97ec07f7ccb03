import json

import pytest

from kit.tokens import LIFETIMES, InvalidToken, _b64, _sign, mint, read

SECRET = "test-secret"


def test_a_token_reads_back_its_subject_and_version():
    token = mint(SECRET, "manage", "person-1", version=3)
    assert read(SECRET, token, "manage") == ("person-1", 3)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: "eyJwIjoibWFuYWdlIiwicyI6InBlcnNvbi0yIiwidiI6MCwiZSI6OTk5OTk5OTk5OX0." + t.split(".")[1],
        lambda t: t.replace(".", ""),
        lambda t: "",
    ],
)
def test_a_tampered_token_is_refused(mangle):
    with pytest.raises(InvalidToken):
        read(SECRET, mangle(mint(SECRET, "manage", "person-1")), "manage")


def test_expired_wrong_purpose_and_wrong_key_are_refused():
    with pytest.raises(InvalidToken, match="expired"):
        read(SECRET, mint(SECRET, "manage", "p", ttl=60, now=1_000), "manage", now=2_000)
    with pytest.raises(InvalidToken, match="something else"):
        read(SECRET, mint(SECRET, "unsubscribe", "p"), "manage")
    with pytest.raises(InvalidToken, match="signature"):
        read("another-key", mint(SECRET, "manage", "p"), "manage")


@pytest.mark.parametrize("purpose", sorted(LIFETIMES))
def test_a_token_living_longer_than_its_purpose_allows_is_refused(purpose):
    now = 1_000_000_000
    lifetime = LIFETIMES[purpose]
    # Signed with our key, but its expiry lies further than the purpose's lifetime: we never mint that.
    hand_made = forge(purpose, expiry=now + lifetime + 3600)
    with pytest.raises(InvalidToken, match="outlives"):
        read(SECRET, hand_made, purpose, now=now)
    assert read(SECRET, forge(purpose, expiry=now + lifetime + 60), purpose, now=now) == ("s", 0)  # skew
    assert read(SECRET, mint(SECRET, purpose, "s", now=now), purpose, now=now) == ("s", 0)


def test_minting_never_gives_more_than_the_purpose_lifetime():
    token = mint(SECRET, "confirm_subscription", "s", ttl=365 * 24 * 3600, now=1_000)
    read(SECRET, token, "confirm_subscription", now=1_000)
    with pytest.raises(InvalidToken, match="expired"):
        read(SECRET, token, "confirm_subscription", now=1_000 + LIFETIMES["confirm_subscription"] + 1)


def forge(purpose, expiry):
    """A token signed with the key but with any expiry (as someone holding the key could make)."""
    payload = _b64(json.dumps({"p": purpose, "s": "s", "v": 0, "e": expiry}).encode())
    return f"{payload}.{_sign(SECRET, payload)}"
