"""A participant's session on the site, and the reading of their forms (the pages: ``routes.participant``).

The emailed link's token opens a session once (``GET /me/session?token=…``): the gateway asks the
registration service whether it is valid, then keeps it in a cookie and sends the browser on to ``/me``,
an address without it. Every page of the session hands that token to the services, exactly as the API's
``Authorization: Bearer`` does, so a revoked link (or an erased person) ends the session at once.

The cookie (``odt_me``) is ``<expiry>.<token>.<HMAC-SHA256 of both under SECRET_KEY>``: signed, not
encrypted. The person already holds the token in their mailbox, so hiding it from them gains nothing; the
standard library has no authenticated cipher and none is worth a new dependency here. What protects it
from others: HttpOnly (no script reads it), Secure over https, SameSite=Lax (no other site's form posts
with it), Path=/ (both ``/me`` and ``/en/me``), and a life of two hours, written inside the signed value
so that a cookie kept past its ``Max-Age`` is refused all the same: long enough to read, vote and change
one's choices in one sitting, short enough that a shared computer does not keep the person's session
until the next day. Following the email's link again opens a new one.
"""

import hashlib
import hmac
import re
import time

COOKIE = "odt_me"
AGE = 2 * 3600  # seconds
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,500}\.[A-Za-z0-9_-]{1,100}$")  # a kit.tokens token's shape
MOST = 600  # characters: ours are about 160
FIELDS = {"approval": "choices", "dots": "points", "ranked": "ranking"}


def _mac(secret, expires, token):
    message = f"participant-session:{expires}.{token}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def well_formed(token):
    return isinstance(token, str) and len(token) <= MOST and TOKEN.fullmatch(token) is not None


def seal(secret, token, now=None):
    """The cookie's value for this token, valid ``AGE`` seconds from ``now``."""
    expires = int((now or time.time()) + AGE)
    return f"{expires}.{token}.{_mac(secret, expires, token)}"


def opened(secret, value, now=None):
    """The token a cookie holds, or None: tampered, expired or not one of ours."""
    expires, _, rest = (value or "").partition(".")
    token, _, mac = rest.rpartition(".")
    if not (expires.isascii() and expires.isdigit() and len(expires) < 12 and well_formed(token)):
        return None
    if not hmac.compare_digest(mac, _mac(secret, int(expires), token)):
        return None
    return token if int(expires) > (now or time.time()) else None


def session_token(request, secret):
    return opened(secret, request.cookies.get(COOKIE))


def set_session(response, request, value):
    response.set_cookie(COOKIE, value, max_age=AGE, httponly=True, samesite="Lax",
                        secure=request.scheme == "https", path="/")  # fmt: skip
    return response


def clear_session(response, request):
    response.delete_cookie(COOKIE, path="/", secure=request.scheme == "https", httponly=True, samesite="Lax")
    return response


def consents_of(form):
    """The consents form: a box left unticked is a consent withdrawn."""
    return {name: form.get(name) == "yes" for name in ("consent_updates", "consent_public_list")}


def ballot_of(method, topic_ids, form):
    """The ballot form as the API's JSON body (``BallotSchema``), and what cannot be read from it by field.

    approval: the ticked ``choices``; dots: ``points-<topic id>`` whole numbers (blank: 0); ranked:
    ``rank-<topic id>`` (blank: unranked), turned into a ranking best first. Whether the ballot keeps the
    round's limits is the topics service's to say."""
    body, errors = {}, {}
    if method == "approval":
        body["choices"] = form.getlist("choices")
    elif method == "dots":
        points = {}
        for topic_id in topic_ids:
            text = (form.get(f"points-{topic_id}") or "").strip() or "0"
            if not (text.isascii() and text.isdigit() and len(text) <= 6):
                errors["points"] = "whole"
                continue
            if int(text):
                points[topic_id] = int(text)
        body["points"] = points
    elif method == "ranked":
        ranks = {}
        for topic_id in topic_ids:
            text = (form.get(f"rank-{topic_id}") or "").strip()
            if text:
                if not (text.isascii() and text.isdigit() and len(text) <= 4):
                    errors["ranking"] = "rank"
                    continue
                ranks[topic_id] = int(text)
        if len(set(ranks.values())) < len(ranks):
            errors["ranking"] = "twice"
        body["ranking"] = sorted(ranks, key=ranks.get)
    group = (form.get("stakeholder_group") or "").strip()
    if group:
        body["stakeholder_group"] = group
    return body, errors


def form_values(method, content):
    """A ballot as it counts (``{"choices": […]}``…) as the form's fields, to show it filled in."""
    field = FIELDS.get(method)
    value = (content or {}).get(field) if field else None
    if method == "approval":
        return {"choices": list(value or ())}
    if method == "dots":
        return {f"points-{topic}": str(n) for topic, n in (value or {}).items()}
    if method == "ranked":
        return {f"rank-{topic}": str(place) for place, topic in enumerate(value or (), start=1)}
    return {}
