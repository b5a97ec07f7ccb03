"""Bulk messages: rendered once per locale, filled in per recipient when sent.

An announcement goes to every subscriber. Rendering it once per subscriber (two jinja layouts each) and
storing as many copies of nearly the same bodies would cost minutes and gigabytes for 100,000 of them.
So it is rendered once per locale with markers where the recipient's name and unsubscribe link go,
stored once (``bulk_messages``); each delivery row holds the recipient and what fills the markers
(``fill``: names, subscription id, and the person id where a message carries their personal link). The
mail sender fills them in right before composing, minting the links then: as they are in the subject,
the text and the headers (names on one line), escaped in the HTML. The markers carry a random key, so
nothing a forum's title or description says can pass for one. The statements are in
``store.announcements``.
"""

import secrets
from dataclasses import dataclass

from markupsafe import escape
from psycopg.types.json import Jsonb

from services.notification import store
from services.notification.rendering import FALLBACK, LOCALES, one_line

FIELDS = ("first_name", "last_name", "unsubscribe", "token")  # token: the person's management token
CACHED = 16  # bulk messages a sender keeps at hand (one per announcement being sent)


def markers(key):
    return {name: f"\u27e6{key}:{name}\u27e7" for name in FIELDS}


def prepare(cur, renderer, template, context, headers=None, marked_links=None):
    """Render ``template`` in every locale with markers for the recipient; store it, return its id.

    ``headers`` is a function of the markers, giving the extra headers (``List-Unsubscribe``...);
    ``marked_links(mark, locale)`` too, giving links that hold one (a page of the site in the message's
    language, with the recipient's token).
    """
    key = secrets.token_hex(8)
    mark = markers(key)
    context = context | {"person": {"first_name": mark["first_name"], "last_name": mark["last_name"]}}
    locales = {}
    for locale in LOCALES:
        links = context.get("links", {}) | {"unsubscribe": mark["unsubscribe"]}
        links |= marked_links(mark, locale) if marked_links else {}
        rendered = renderer.render(template, locale, context | {"links": links})
        locales[locale] = {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
    return store.announcements.insert_bulk_message(
        cur, template, key, Jsonb(locales), Jsonb(headers(mark)) if headers else None
    )


@dataclass(frozen=True)
class Filled:
    subject: str
    text: str
    html: str
    headers: dict


class BulkMessage:
    def __init__(self, row):
        self.marks = markers(row["marker_key"])
        self.locales = row["locales"]
        self.headers = row["headers"] or {}

    def fill(self, locale, fill, links):
        words = self.locales.get(locale) or self.locales[FALLBACK]
        version = fill.get("token_version") or 0
        plain = {
            "first_name": one_line(fill["first_name"]),
            "last_name": one_line(fill["last_name"]),
            "unsubscribe": links.unsubscribe(fill["subscription_id"], version),
            "token": links.manage_token(fill["person_id"], version) if fill.get("person_id") else "",
        }
        html = {name: str(escape(value)) for name, value in plain.items()}
        return Filled(
            subject=self._put(words["subject"], plain),
            text=self._put(words["text"], plain),
            html=self._put(words["html"], html),
            headers={name: self._put(value, plain) for name, value in self.headers.items()},
        )

    def _put(self, text, values):
        for name, mark in self.marks.items():
            if mark in text:
                text = text.replace(mark, values[name])
        return text


class BulkMessages:
    """The bulk messages a sender has read, by id (a few at a time: one per announcement in progress)."""

    def __init__(self):
        self.cache = {}

    def get(self, conn, bulk_id):
        if bulk_id not in self.cache:
            if len(self.cache) >= CACHED:
                self.cache.pop(next(iter(self.cache)))
            self.cache[bulk_id] = BulkMessage(store.announcements.bulk_message(conn, bulk_id))
        return self.cache[bulk_id]
