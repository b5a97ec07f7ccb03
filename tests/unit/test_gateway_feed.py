"""The Atom feed's document: well-formed and inert whatever organisers typed, with the elements RFC 4287
requires, stable ids and absolute links."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import feedparser
import pytest

from gateway import feed

ATOM = "{http://www.w3.org/2005/Atom}"
FORUM = "11111111-1111-4111-8111-111111111111"
COMMITMENT = "22222222-2222-4222-8222-222222222222"
HOSTILE = "<script>alert(1)</script> ]]> &amp; \x00\x07\x1b\x7f\x85\ufffe end"
NOW = datetime(2027, 3, 5, 12, 0, tzinfo=UTC)


def version(
    number=1, title="Forum de mars", summary="Ce qui a été dit.", updated="2027-03-02T09:00:00+01:00"
):
    return {"kind": "version", "forum_id": FORUM, "forum_title": title, "version": number,
            "summary": summary, "updated": updated}  # fmt: skip


def change(
    title="Ouvrir le jeu", note="Jeu en cours", to="in_progress", updated="2027-03-01T10:30:00.5+00:00"
):
    return {"kind": "commitment_change", "id": 42, "commitment_id": COMMITMENT, "forum_id": FORUM,
            "title": title, "on": "2027-03-01", "from": "planned", "to": to, "note": note,
            "updated": updated}  # fmt: skip


def built(items, base="https://forums.example.org/"):
    return ET.fromstring(feed.build(items, base, NOW))


def test_the_feed_has_what_atom_requires_with_absolute_links():
    document = built([version(2), change()])
    assert document.tag == f"{ATOM}feed"
    assert document.find(f"{ATOM}id").text.startswith("urn:uuid:")
    assert document.find(f"{ATOM}updated").text == "2027-03-02T08:00:00Z"  # the newest entry, in UTC
    assert document.find(f"{ATOM}author/{ATOM}name").text
    links = {link.get("rel"): link.get("href") for link in document.findall(f"{ATOM}link")}
    assert links == {
        "self": "https://forums.example.org/restitutions/feed.atom",
        "alternate": "https://forums.example.org/restitutions",
    }
    first, second = document.findall(f"{ATOM}entry")
    assert first.find(f"{ATOM}title").text == "Forum de mars — restitution, version 2"
    assert (
        first.find(f"{ATOM}link").get("href") == f"https://forums.example.org/restitutions/{FORUM}/versions/2"
    )
    assert second.find(f"{ATOM}title").text == "Ouvrir le jeu — en cours / in progress"
    assert second.find(f"{ATOM}link").get("href") == (
        f"https://forums.example.org/restitutions/{FORUM}#commitment-{COMMITMENT}"
    )
    assert second.find(f"{ATOM}updated").text == "2027-03-01T10:30:00Z"
    assert second.find(f"{ATOM}summary").text == "Jeu en cours"
    for entry in (first, second):
        assert entry.find(f"{ATOM}summary").get("type") == "text"
        assert entry.find(f"{ATOM}content") is None  # no HTML in the feed


def test_entry_ids_are_derived_from_what_they_name():
    def ids():
        entries = built([version(1), version(2), change()]).findall(f"{ATOM}entry")
        return [entry.find(f"{ATOM}id").text for entry in entries]

    ids, again = ids(), ids()
    assert ids == again and len(set(ids)) == 3 and all(i.startswith("urn:uuid:") for i in ids)


@pytest.mark.parametrize("field", ["title", "summary", "note"])
def test_hostile_text_stays_text_in_a_well_formed_document(field):
    items = [version(title=HOSTILE if field == "title" else "F", summary=HOSTILE if field == "summary" else "s"),
             change(note=HOSTILE if field == "note" else "n")]  # fmt: skip
    raw = feed.build(items, "http://127.0.0.1:8000", NOW)
    assert b"<script" not in raw and b"]]>" not in raw
    document = ET.fromstring(raw)  # well-formed: the control characters are gone
    texts = [element.text or "" for element in document.iter()]
    expected = "<script>alert(1)</script> ]]> &amp;  end"
    assert expected in "\n".join(texts)
    assert not any(character in text for text in texts for character in "\x00\x07\x1b\x7f\x85\ufffe")
    parsed = feedparser.parse(raw)
    assert parsed.bozo == 0, parsed.get("bozo_exception")


def test_an_empty_feed_is_dated_now_and_links_join_a_base_without_a_trailing_slash():
    document = built([], "http://127.0.0.1:8000")
    assert document.find(f"{ATOM}updated").text == "2027-03-05T12:00:00Z"
    assert document.findall(f"{ATOM}entry") == []
    assert document.find(f"{ATOM}link").get("href") == "http://127.0.0.1:8000/restitutions/feed.atom"


def test_a_change_without_a_note_is_summed_up_by_its_status():
    (entry,) = built([change(note="", to="done")]).findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}summary").text == "réalisé / done"
