"""Rendering messages: one HTML and one text layout, and the words of each message per locale.

A message is a subject, a heading, paragraphs, and optionally a numbered list (a round's topics, an agenda,
a digest's forums, each said by the message's ``item`` words), a quoted excerpt (a restitution's summary, a
reply), a table of details (the forum's date and place, what changed, or
a round's method and closing time), an attendee code shown large, and one link (a button in HTML). Its words
live in ``locales/<locale>.yaml`` as small jinja2 templates; a paragraph that renders empty is left out. The
HTML is rendered with autoescaping, so a name containing markup arrives as text; subjects never contain line
breaks (no header injection).
"""

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta
from markupsafe import Markup

from kit.tokens import LIFETIMES

HERE = Path(__file__).resolve().parent
LOCALES = ("fr", "en")
SAID_KEPT = 4096  # sentences kept rendered (then forgotten all at once)
FALLBACK = "fr"
# Every key a message's words may test, so that a missing one reads as "absent", not as an error.
DEFAULTS = {
    "forum": None,
    "previous_forum": None,
    "changed": (),
    "status": None,
    "waitlist_position": None,
    "attendee_code": None,
    "reason": None,
    "cancelled_by": None,
    "links": {},
    "round": None,
    "topics": (),
    "agenda": (),
    "hours_left": None,
    "topic": None,
    "into": None,
    "restitution": None,
    "excerpt": (),
    "comment": None,
    "reply": (),
    "digest": None,
    "waiting_forums": (),
}


def clock(moment, timezone):
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def one_line(text):
    return " ".join(str(text).split())


def named(person):
    """The person with their names on one line each: a name cannot break a header or a layout."""
    return dict(person) | {
        "first_name": one_line(person["first_name"]),
        "last_name": one_line(person["last_name"]),
    }


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self):
        loader = FileSystemLoader(HERE / "templates")
        self.html_env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
        self.text_env = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)
        for env in (self.html_env, self.text_env):
            env.filters.update(longdate=self.longdate, clock=clock)
        self.compiled = {}  # (autoescape, words) -> (template, the context's names it reads)
        self.said = {}  # (autoescape, words, those names' values) -> the sentence rendered
        self.words = {
            locale: yaml.safe_load((HERE / "locales" / f"{locale}.yaml").read_text()) for locale in LOCALES
        }

    def templates(self):
        return sorted(name for name in self.words[FALLBACK] if name != "common")

    def longdate(self, moment, locale, timezone):
        common = self.words[locale]["common"]
        local = moment.astimezone(ZoneInfo(timezone))
        return (
            f"{common['days'][local.weekday()]} {local.day} {common['months'][local.month - 1]} {local.year}"
        )

    def render(self, template, locale, context):
        locale = locale if locale in LOCALES else FALLBACK
        words, context = self.words[locale], DEFAULTS | context
        subject = one_line(self._say(self.text_env, words[template]["subject"], context))
        return Rendered(
            subject=subject,
            text=self._layout(self.text_env, "email.txt", words, template, locale, subject, context),
            html=self._layout(self.html_env, "email.html", words, template, locale, subject, context),
        )

    def _say(self, env, words, context):
        """Render one sentence; in HTML it is already escaped, so mark it safe for the layout. A sentence
        that names no value of the context (half of a confirmation's), or only values that can be keys
        (a number of days, an item's text), is rendered once and kept: a message renders some 25, and
        each jinja render costs a new context."""
        key = (env.autoescape, words)
        if key not in self.compiled:  # a few dozen sentences in all: compile each once
            self.compiled[key] = (
                env.from_string(words),
                tuple(sorted(meta.find_undeclared_variables(env.parse(words)))),
            )
        template, names = self.compiled[key]
        try:
            kept = (key, tuple((type(context[name]), context[name]) for name in names))
            hash(kept)
        except (KeyError, TypeError):  # a value missing (StrictUndefined says so) or a dict: rendered
            kept = None
        if kept is not None and kept in self.said:
            return self.said[kept]
        said = template.render(context).strip()
        said = Markup(said) if env.autoescape else said
        if kept is not None:
            if len(self.said) >= SAID_KEPT:
                self.said.clear()
            self.said[kept] = said
        return said

    def _layout(self, env, layout, words, template, locale, subject, context):
        def say(words, **changes):
            return self._say(env, words, context | changes)

        message, common = words[template], words["common"]
        greeting = message.get("greeting", common["greeting"])  # a message may greet without a name
        paragraphs = [say(greeting)] + [say(p) for p in message["paragraphs"]]
        return env.get_template(layout).render(
            locale=locale,
            subject=subject,
            heading=say(message["heading"]),
            paragraphs=[p for p in paragraphs if p],
            items=self._items(say, message, context),
            quote=[one_line(line) for line in context[message["quote"]]] if message.get("quote") else [],
            details=self._details(say, message.get("details"), common, context, env.autoescape),
            code=self._code(say, message, common, context),
            action=self._action(say, message.get("link"), common, context),
            footer=say(message.get("footer", common["footer"])),
        )

    @staticmethod
    def _items(say, message, context):
        """The list's items: each as given, or each said by the message's ``item`` words (``item`` in them)."""
        if not message.get("list"):
            return []
        if message.get("item"):
            return [say(message["item"], item=item) for item in context[message["list"]]]
        return [one_line(item) for item in context[message["list"]]]

    @staticmethod
    def _details(say, kind, common, context, markup):
        forum, block = context["forum"], context["round"]
        if kind == "round" and block:
            rows = [(common["method"], common["methods"].get(block["method"], block["method"]))]
            return rows + ([(common["closes"], say(common["closes_at"]))] if block.get("closes_at") else [])
        if kind not in ("forum", "changes") or forum is None:
            return []
        accessibility = forum["venue"].get("accessibility")
        if kind == "forum":
            rows = [(common["date"], say(common["when"])), (common["place"], say(common["where"]))]
            return rows + ([(common["accessibility"], accessibility)] if accessibility else [])
        # kind == "changes": each changed thing as "before → now"
        before = context["previous_forum"]
        arrow = Markup(" → ") if markup else " → "
        rows = []
        if "date" in context["changed"]:
            rows.append(
                (common["date"], arrow.join([say(common["when"], forum=before), say(common["when"])]))
            )
        if "venue" in context["changed"]:
            rows.append(
                (common["place"], arrow.join([say(common["where"], forum=before), say(common["where"])]))
            )
        if "accessibility" in context["changed"]:
            was = before["venue"].get("accessibility") or "—"
            rows.append((common["accessibility"], arrow.join([was, accessibility or "—"])))
        return rows

    @staticmethod
    def _code(say, message, common, context):
        if not (message.get("code") and context["attendee_code"]):
            return None
        return {
            "label": say(common["code_label"]),
            "value": context["attendee_code"],
            "hint": say(common["code_hint"]),
        }

    @staticmethod
    def _action(say, purpose, common, context):
        url = context["links"].get(purpose) if purpose else None
        if not url:
            return None
        words = common["links"][purpose]
        days = LIFETIMES.get(purpose, 0) // 86400
        return {"label": say(words["label"]), "url": url, "hint": say(words["hint"], days=days)}
