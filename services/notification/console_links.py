"""The organisers' emailed sign-in link to the console: sent only to an address of ORGANISER_EMAILS.

Asked by the gateway over RPC (``send_console_link(email, locale)``), whatever address a visitor typed:
this service, which holds ORGANISER_EMAILS and sends the email, decides. An address not on the list gets
nothing, and the answer is the same (None) either way. So a caller on the bus, whoever they are, can at
most have a link sent to an organiser's own address, never to one of their choosing; and the link itself
leaves this service only inside the email (the delivery log's body), never in an answer or an event.
Asked by anyone, an address gets at most what RATE_LIMIT_ADDRESS_EMAILS allows (key ``console_link:``).

The token is 256 random bits; the table keeps its sha256 with the address and the link's end (15 minutes
from sending). The gateway exchanges it (``spend_console_link(digest)``, the digest alone on the bus): in
one transaction, under the row's lock, a link unknown, expired or already used answers None, else it is
marked used and its address answered. PostgreSQL rather than Redis: spending must hold across a restart
(Redis here keeps nothing on disk) and must refuse when the store is away (the abuse limits let requests
through when Redis is), and the row commits with the delivery-log row of its email. Rows go once expired
(an expired link is refused whether its row is there or not).
"""

import hashlib
import logging
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import yaml
from markupsafe import Markup

from services.notification import deliveries
from services.notification.rendering import Rendered, one_line

log = logging.getLogger(__name__)
TEMPLATE = "console_link"
LIFETIME = timedelta(minutes=15)
WORDS = yaml.safe_load((Path(__file__).resolve().parent / "locales" / "console_link.yaml").read_text())
PAGE = "/console/session?token={token}"


def listed(addresses, email):
    """The address as ORGANISER_EMAILS spells it, if ``email`` is on it (trimmed, whatever the case)."""
    wanted = str(email or "").strip().lower()
    found = [address for address in addresses if address.strip().lower() == wanted]
    return found[0].strip() if wanted and found else None


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def refusal(row, now):
    """Why a link may not sign anyone in now (``row``: its ``expires_at`` and ``used_at``), or None."""
    if row is None:
        return "unknown"
    if row["used_at"] is not None:
        return "used"
    if now >= row["expires_at"]:
        return "expired"
    return None


def link(base_url, locale, token):
    """The console's page that exchanges the token for a session, in the email's language."""
    return base_url.rstrip("/") + ("/en" if locale == "en" else "") + PAGE.format(token=token)


def render(renderer, locale, url):
    """The message in the layout of every email (``email.html``, ``email.txt``), in ``locale``."""
    locale = locale if locale in WORDS else "fr"
    words, context = WORDS[locale], {"minutes": int(LIFETIME.total_seconds() // 60)}

    def layout(env, name):
        def say(text):
            said = env.from_string(text).render(context).strip()
            return Markup(said) if env.autoescape else said

        return env.get_template(name).render(
            locale=locale,
            subject=subject,
            heading=say(words["heading"]),
            paragraphs=[say(p) for p in words["paragraphs"]],
            items=[],
            quote=[],
            details=[],
            code=None,
            action={"label": say(words["label"]), "url": url, "hint": say(words["hint"])},
            footer=say(words["footer"]),
        )

    subject = one_line(words["subject"])
    return Rendered(
        subject=subject,
        text=layout(renderer.text_env, "email.txt"),
        html=layout(renderer.html_env, "email.html"),
    )


def send(tx, renderer, base_url, addresses, limits, email, locale):
    """Write the link's email to the delivery log if ``email`` is an organiser's (and its limit allows);
    None whatever happens, so that the answer says nothing about the address."""
    locale = locale if locale in WORDS else "fr"
    address = listed(addresses, email)
    if address is None or not limits.allows(f"{TEMPLATE}:{address.lower()}"):
        return None
    tx.cur.execute("DELETE FROM console_links WHERE expires_at < %s", (tx.now,))
    token = secrets.token_urlsafe(32)
    tx.cur.execute(
        "INSERT INTO console_links (digest, email, expires_at) VALUES (%s, %s, %s)",
        (digest(token), address, tx.now + LIFETIME),
    )
    organiser = {"email": address, "first_name": "", "last_name": "", "locale": locale}
    rendered = render(renderer, locale, link(base_url, locale, token))
    deliveries.log_message(tx.cur, {"id": uuid.uuid4()}, TEMPLATE, organiser, rendered)
    log.info("console sign-in link written to the delivery log")
    return None


def spend(tx, token_digest):
    """``{"email"}`` of the link with this digest, now used; None for one unknown, expired or used."""
    row = tx.cur.execute(
        "SELECT email, expires_at, used_at FROM console_links WHERE digest = %s FOR UPDATE",
        (str(token_digest),),
    ).fetchone()
    refused = refusal(row, tx.now)
    if refused:
        log.info("console sign-in link refused: %s", refused)
        return None
    tx.cur.execute("UPDATE console_links SET used_at = %s WHERE digest = %s", (tx.now, str(token_digest)))
    return {"email": row["email"]}
