"""The few public HTML pages: jinja2 with autoescape, no outside assets, and headers that keep the
inline script ours (a nonce per answer) and the address (which may hold a token) out of referrers.

The pages of the public record (restitutions) may be cached (``cached=True``): they hold no token and no
script, so their style is allowed by its hash rather than by a nonce, and the same page is the same body
(its ETag lets a client ask again for free, ``fresh``)."""

import base64
import hashlib
import re
import secrets
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader
from werkzeug.wrappers import Response

TEMPLATES = Path(__file__).resolve().parent / "templates"
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
ENGLISH_MONTHS = (
    "January February March April May June July August September October November December".split()
)
# The words of the pages, French then English (the notification service's emails say the same).
GROUPS = {
    "administration": ("administrations", "public administrations"),
    "civil_society": ("société civile", "civil society"),
    "company": ("entreprises", "companies"),
    "citizen": ("citoyens", "citizens"),
    "research_media": ("recherche et médias", "research and media"),
    "other": ("autres", "other"),
}
COMMITMENT_STATUSES = {
    "planned": ("prévu", "planned"),
    "in_progress": ("en cours", "in progress"),
    "done": ("réalisé", "done"),
    "dropped": ("abandonné", "dropped"),
}
METHODS = {
    "approval": ("Approbation", "Approval"),
    "dots": ("Gommettes", "Dots"),
    "ranked": ("Classement (méthode de Schulze)", "Ranking (Schulze method)"),
}


def french_datetime(value, timezone="Europe/Paris", months=MONTHS):
    """``2027-03-01T09:00:00+01:00`` → ``1 mars 2027, 09:00`` in the forum's own time zone."""
    try:
        moment = datetime.fromisoformat(value).astimezone(ZoneInfo(timezone))
    except (TypeError, ValueError, KeyError):
        return value
    return f"{moment.day} {months[moment.month - 1]} {moment.year}, {moment:%H:%M}"


def english_datetime(value, timezone="Europe/Paris"):
    """``2027-03-01T09:00:00+01:00`` → ``1 March 2027, 09:00``."""
    return french_datetime(value, timezone, ENGLISH_MONTHS)


def french_date(value, months=MONTHS):
    """``2027-06-30`` → ``30 juin 2027``."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    return f"{day.day} {months[day.month - 1]} {day.year}"


def english_date(value):
    """``2027-06-30`` → ``30 June 2027``."""
    return french_date(value, ENGLISH_MONTHS)


def in_order(by_group):
    """The groups of a mapping in the order of the registration form (the stored results lost theirs)."""
    return sorted(
        by_group,
        key=lambda group: (list(GROUPS).index(group), "") if group in GROUPS else (len(GROUPS), group),
    )


def count(value):
    """A score that is a count (ballots, points, Schulze wins): ``2.0`` → ``2``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def share(value):
    """A consensus share (0 to 1, 4 decimals) as a percentage: ``0.6667`` → ``66,67 %``."""
    return f"{value * 100:.2f}".replace(".", ",") + "\u00a0%"


# auto_reload off: a template is read once per process, not stat()ed again on every page (they change
# only with a release, which restarts the process)
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
ENV.filters |= {"french_datetime": french_datetime, "english_datetime": english_datetime}
ENV.filters |= {"count": count, "share": share, "french_date": french_date, "english_date": english_date}
ENV.globals |= {"GROUPS": GROUPS, "METHODS": METHODS, "STATUSES": COMMITMENT_STATUSES, "in_order": in_order}
STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL)
PUBLIC_CACHE = "public, max-age=60"


def headers(nonce):
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def cached_headers(html):
    """For a page without script that anyone may keep: its styles allowed by their hashes."""
    hashes = (
        " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"
            for style in STYLE.findall(html, 0, head_end(html))
        )
        or "'none'"
    )
    policy = (
        f"default-src 'none'; script-src 'none'; style-src {hashes}; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return headers("") | {"Content-Security-Policy": policy, "Cache-Control": PUBLIC_CACHE}


def head_end(html):
    """Where a page's head ends (its styles are there): the search for them need not read the body."""
    end = html.find("</head>")
    return len(html) if end < 0 else end


def render(template, status=200, cached=False, **context):
    """The page; ``cached``: a public page with no script, that browsers and proxies may keep a minute."""
    nonce = None if cached else secrets.token_urlsafe(16)
    html = ENV.get_template(template).render(nonce=nonce, **context)
    sent = cached_headers(html) if cached else headers(nonce)
    return Response(html, status=status, headers=sent, content_type="text/html; charset=utf-8")


def fresh(request, response):
    """The answer with its ETag (a hash of its body); 304, without the body, to a client that has it."""
    response.add_etag()
    return response.make_conditional(request)


def wants_html(request):
    """A browser's form rather than a mail client's one-click POST (which takes anything)."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
