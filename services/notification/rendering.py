"""Rendering messages: one HTML and one text layout, and the words of each message per locale.

A message is a subject, a heading, paragraphs and (for forum messages) the date and place; its words
live in ``locales/<locale>.yaml`` as small jinja2 templates. The HTML is rendered with autoescaping, so a
name containing markup arrives as text; subjects never contain line breaks (no header injection).
"""

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

HERE = Path(__file__).resolve().parent
LOCALES = ("fr", "en")
FALLBACK = "fr"
DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def longdate(moment, locale, timezone):
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{DAYS[locale][local.weekday()]} {local.day} {MONTHS[locale][local.month - 1]} {local.year}"


def clock(moment, timezone):
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def one_line(text):
    return " ".join(str(text).split())


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
            env.filters.update(longdate=longdate, clock=clock)
        self.compiled = {}
        self.words = {
            locale: yaml.safe_load((HERE / "locales" / f"{locale}.yaml").read_text()) for locale in LOCALES
        }

    def templates(self):
        return sorted(name for name in self.words[FALLBACK] if name != "common")

    def render(self, template, locale, context):
        locale = locale if locale in LOCALES else FALLBACK
        words = self.words[locale]
        subject = one_line(self._say(self.text_env, words[template]["subject"], context))
        return Rendered(
            subject=subject,
            text=self._layout(self.text_env, "email.txt", words, template, locale, subject, context),
            html=self._layout(self.html_env, "email.html", words, template, locale, subject, context),
        )

    def _say(self, env, words, context):
        """Render one sentence; in HTML it is already escaped, so mark it safe for the layout."""
        key = (env.autoescape, words)
        if key not in self.compiled:  # a few dozen sentences in all: compile each once
            self.compiled[key] = env.from_string(words)
        said = self.compiled[key].render(context)
        return Markup(said) if env.autoescape else said

    def _layout(self, env, layout, words, template, locale, subject, context):
        def say(words):
            return self._say(env, words, context)

        message, common = words[template], words["common"]
        details = []
        if message.get("details"):
            details = [(common["date"], say(common["when"])), (common["place"], say(common["where"]))]
        return env.get_template(layout).render(
            locale=locale,
            subject=subject,
            heading=say(message["heading"]),
            paragraphs=[say(common["greeting"])] + [say(p) for p in message["paragraphs"]],
            details=details,
            footer=say(common["footer"]),
        )
