"""The series' Atom feed (RFC 4287), from the restitution service's ``feed()`` entries: a published version
of a forum's restitution, or a recorded change of a commitment.

Whatever organisers typed stays text: every element is built by ElementTree (which escapes ``<``, ``&``
and ``>``, so ``]]>`` or a ``<script>`` are characters), summaries are ``type="text"``, there is no HTML
content; and the characters XML 1.0 cannot carry (control characters, lone surrogates) are dropped, so the
document is always well-formed. Entry ids are derived from what they name, hence stable across requests.
"""

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from gateway.pages import COMMITMENT_STATUSES

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
TITLE = "Forums Open d'État — restitutions et engagements / restitutions and commitments"
AUTHOR = "Forums Open d'État"
# what XML 1.0 allows, less the C0 and C1 control characters (tab and line breaks stay)
NOT_TEXT = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(value):
    return NOT_TEXT.sub("", str(value))


def moment(value):
    """An RFC 3339 date-time in UTC, to the second: ``2027-03-01T08:00:00Z``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add(parent, tag, content=None, **attributes):
    element = ET.SubElement(parent, tag, {key: clean(value) for key, value in attributes.items()})
    if content is not None:
        element.text = clean(content)
    return element


def build(items, base_url, now):
    """The feed document (UTF-8 bytes) of ``items`` (newest first), its links under ``base_url``; ``now``
    dates a feed with no entry."""
    base = clean(base_url).rstrip("/")
    self_link = f"{base}/restitutions/feed.atom"
    root = ET.Element("feed", {"xmlns": ATOM, XML_LANG: "fr"})
    add(root, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self_link)}")
    add(root, "title", TITLE, type="text")
    add(root, "updated", moment(items[0]["updated"] if items else now))
    add(root, "link", rel="self", type="application/atom+xml", href=self_link)
    add(root, "link", rel="alternate", type="text/html", href=f"{base}/restitutions")
    add(add(root, "author"), "name", AUTHOR)
    for item in items:
        entry(root, item, base)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def entry(root, item, base):
    if item["kind"] == "version":
        described = version_entry(item, base)
    else:
        described = change_entry(item, base)
    element = add(root, "entry")
    add(element, "id", described["id"])
    add(element, "title", described["title"], type="text")
    add(element, "updated", moment(item["updated"]))
    add(element, "link", rel="alternate", type="text/html", href=described["link"])
    add(element, "summary", described["summary"], type="text")


def version_entry(item, base):
    forum_id, number = item["forum_id"], item["version"]
    return {
        "id": f"urn:uuid:{uuid.uuid5(uuid.UUID(forum_id), f'restitution-version-{number}')}",
        "title": f"{item['forum_title'] or 'Forum'} — restitution, version {number}",
        "link": f"{base}/restitutions/{forum_id}/versions/{number}",
        "summary": item["summary"],
    }


def change_entry(item, base):
    commitment_id, change_id = item["commitment_id"], item["id"]
    french, english = COMMITMENT_STATUSES.get(item["to"], (item["to"], item["to"]))
    return {
        "id": f"urn:uuid:{uuid.uuid5(uuid.UUID(commitment_id), f'commitment-change-{change_id}')}",
        "title": f"{item['title']} — {french} / {english}",
        "link": f"{base}/restitutions/{item['forum_id']}#commitment-{commitment_id}",
        "summary": item["note"] or f"{french} / {english}",
    }
