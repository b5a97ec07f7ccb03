"""The organisers' emailed sign-in link to the console: sent only to an address of ORGANISER_EMAILS, valid
15 minutes on a clock, spent once, and the session it opens holds only while the address is listed."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from gateway import console
from gateway.auth import Organiser
from gateway.redact import redact
from services.notification import console_links
from services.notification.service import RENDERER

SECRET = "k" * 40
T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
LISTED = ("Orga.One@Example.org", "deux@example.org")
TOKEN = re.compile(r"/console/session\?token=([A-Za-z0-9_-]+)")


class Cursor:
    """The statements ``console_links`` makes, on a table in memory; what else it writes is kept."""

    def __init__(self):
        self.links, self.written, self.found = {}, [], None

    def execute(self, sql, params):
        if sql.startswith("SELECT email, expires_at, used_at FROM console_links"):
            self.found = dict(self.links[params[0]]) if params[0] in self.links else None
        elif sql.startswith("UPDATE console_links SET used_at"):
            self.links[params[1]]["used_at"] = params[0]
        elif sql.startswith("INSERT INTO console_links"):
            self.links[params[0]] = {"email": params[1], "expires_at": params[2], "used_at": None}
        elif sql.startswith("DELETE FROM console_links"):
            self.links = {k: v for k, v in self.links.items() if v["expires_at"] >= params[0]}
        else:
            self.written.append(params)  # the delivery log's row
        self.rowcount = 1
        return self

    def fetchone(self):
        return self.found


class Tx:
    def __init__(self, cur, now):
        self.cur, self.now = cur, now


class Limits:
    def __init__(self, allowed=True):
        self.allowed, self.asked = allowed, []

    def allows(self, key):
        self.asked.append(key)
        return self.allowed


def sent(cur, email, locale="fr", limits=None, now=T0):
    console_links.send(
        Tx(cur, now), RENDERER, "https://forums.example", LISTED, limits or Limits(), email, locale
    )
    return cur.written


def test_only_an_address_on_the_list_gets_a_link_whatever_its_case_and_spaces():
    cur = Cursor()
    assert sent(cur, "someone@example.org") == [] and cur.links == {}
    assert sent(cur, "orga.one@example.org.evil") == [] and cur.links == {}
    [message] = sent(cur, "  ORGA.ONE@example.ORG ")
    assert message["recipient"] == "Orga.One@Example.org"  # as the list spells it
    assert message["template"] == "console_link" and message["person_id"] is None
    [row] = cur.links.values()
    assert row == {"email": "Orga.One@Example.org", "expires_at": T0 + timedelta(minutes=15), "used_at": None}
    token = TOKEN.search(message["body_text"]).group(1)
    assert console_links.digest(token) in cur.links  # only its digest is kept
    assert f"https://forums.example/console/session?token={token}" in message["body_text"]
    assert f'href="https://forums.example/console/session?token={token}"' in message["body_html"]
    assert "15 minutes" in message["body_text"] and "ne sert qu'une fois" in message["body_text"]
    assert message["subject"] == "Votre lien de connexion à la console Open d'Etat"


def test_the_link_is_in_the_pages_language_and_the_per_address_limit_holds():
    cur = Cursor()
    [message] = sent(cur, "deux@example.org", locale="en")
    assert "https://forums.example/en/console/session?token=" in message["body_text"]
    assert "valid for 15 minutes and works once" in message["body_text"] and message["locale"] == "en"
    limited = Limits(allowed=False)
    assert sent(Cursor(), "deux@example.org", limits=limited) == []
    assert limited.asked == ["console_link:deux@example.org"]
    unknown = Limits()
    sent(Cursor(), "someone@example.org", limits=unknown)
    assert unknown.asked == []  # an address off the list is not even counted


def spend(cur, token, now):
    return console_links.spend(Tx(cur, now), console.link_digest(token))


def test_a_link_signs_in_once_within_fifteen_minutes_on_the_clock():
    cur = Cursor()
    token = TOKEN.search(sent(cur, "deux@example.org")[0]["body_text"]).group(1)
    late = Cursor()
    late.links = {k: dict(v) for k, v in cur.links.items()}
    assert spend(late, token, T0 + timedelta(minutes=15)) is None  # expired at the 15th minute
    assert spend(late, token, T0 + timedelta(days=1)) is None
    assert spend(cur, token, T0 + timedelta(minutes=14, seconds=59)) == {"email": "deux@example.org"}
    assert spend(cur, token, T0 + timedelta(minutes=15, seconds=1)) is None  # a second use
    assert spend(cur, token, T0 + timedelta(minutes=1)) is None  # a second use, even in time
    assert spend(cur, "x" * 43, T0) is None  # none we sent


def test_refusals_are_told_apart_for_the_log():
    row = {"expires_at": T0 + timedelta(minutes=15), "used_at": None}
    assert console_links.refusal(row, T0) is None
    assert console_links.refusal(row, T0 + timedelta(minutes=15)) == "expired"
    assert console_links.refusal(row | {"used_at": T0}, T0) == "used"
    assert console_links.refusal(None, T0) == "unknown"


@pytest.mark.parametrize("token", ["", "short", "x" * 44, "a.b", "<script>" + "x" * 35, None])
def test_the_gateway_asks_nothing_for_what_cannot_be_a_link(token):
    assert console.link_digest(token) is None


def test_the_gateway_names_a_link_as_the_notification_service_does():
    token = "A" * 43
    assert console.link_digest(token) == console_links.digest(token)


class Callers:
    bootstrap, lookup = [], None


def test_a_session_opened_by_a_link_holds_while_the_address_is_listed():
    value = console.seal(
        SECRET, *console.address_identity(SECRET, " Orga.One@Example.org"), now=1_900_000_000
    )
    session = console.opened(SECRET, value, now=1_900_000_001)
    assert session[0] == console.ADDRESS and "orga" not in value.lower()
    listed = console.listed(" orga.one@example.org ,deux@example.org,,")
    assert listed == ("orga.one@example.org", "deux@example.org")
    assert console.holder(Callers(), SECRET, *session, addresses=listed) == Organiser(
        "orga.one@example.org", "write"
    )
    assert console.holder(Callers(), SECRET, *session, addresses=("deux@example.org",)) is None  # taken off
    assert console.holder(Callers(), SECRET, *session) is None
    other = console.opened(
        SECRET, console.seal(SECRET, *console.address_identity("other" * 8, "deux@example.org"))
    )
    assert console.holder(Callers(), SECRET, *other, addresses=listed) is None  # another platform's key


def test_the_access_log_hides_the_links_token():
    token = "Zx9_" * 10 + "abc"
    line = f'127.0.0.1 - - "GET /en/console/session?token={token} HTTP/1.1" 200 1234 0.01'
    assert token not in redact(line) and "/en/console/session?token=" in redact(line)
