"""The few public HTML pages: jinja2 with autoescape, no outside assets, and headers that keep the
inline script ours (a nonce per answer) and the address (which may hold a token) out of referrers."""

import secrets
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader
from werkzeug.wrappers import Response

TEMPLATES = Path(__file__).resolve().parent / "templates"
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def french_datetime(value, timezone="Europe/Paris"):
    """``2027-03-01T09:00:00+01:00`` → ``1 mars 2027, 09:00`` in the forum's own time zone."""
    try:
        moment = datetime.fromisoformat(value).astimezone(ZoneInfo(timezone))
    except (TypeError, ValueError, KeyError):
        return value
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"


ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
ENV.filters["french_datetime"] = french_datetime


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


def render(template, status=200, **context):
    nonce = secrets.token_urlsafe(16)
    html = ENV.get_template(template).render(nonce=nonce, **context)
    return Response(html, status=status, headers=headers(nonce), content_type="text/html; charset=utf-8")


def wants_html(request):
    """A browser's form rather than a mail client's one-click POST (which takes anything)."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
