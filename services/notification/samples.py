"""Sample data to preview every message: a fixed forum, a fixed person, codes and links.

The links point at the platform's own pages (``PUBLIC_BASE_URL``) but carry a placeholder shaped like a
token, never a minted one: a preview is looked at, copied and shared, and must open nothing. One context
fits every message (each takes the keys it needs), with a few per-message touches so that each preview
shows its message at its fullest (the changes of an update, the reason of a cancellation).
"""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from kit.tokens import PAGES
from services.notification.errors import TemplateNotFound, UnsupportedLocale
from services.notification.rendering import LOCALES

PLACEHOLDER_TOKEN = "exemple-apercu.jeton-non-valide"  # matches the token shape; verifies as nothing
STARTS = datetime(2027, 6, 15, 7, 30, tzinfo=UTC)
VENUE = {
    "name": "Maison de la Chimie",
    "address": "28 bis rue Saint-Dominique",
    "city": "Paris",
    "accessibility": "Accès de plain-pied, boucle magnétique en salle principale",
}
FORUM = {
    "id": "00000000-0000-4000-8000-000000000001",
    "slug": "forum-exemple",
    "title": "Forum de l'Open d'Etat : données ouvertes et participation",
    "description": "Une journée d'ateliers entre administrations, société civile et chercheurs.",
    "starts_at": STARTS,
    "ends_at": STARTS + timedelta(hours=8),
    "timezone": "Europe/Paris",
    "venue": VENUE,
    "capacity": 120,
    "status": "open",
}
PREVIOUS_FORUM = FORUM | {
    "starts_at": STARTS - timedelta(days=7),
    "ends_at": STARTS - timedelta(days=7) + timedelta(hours=8),
    "venue": {"name": "Hôtel de Ville", "address": "Place de l'Hôtel de Ville", "city": "Paris",
              "accessibility": ""},
}  # fmt: skip
PERSON = {
    "person_id": "00000000-0000-4000-8000-000000000002",
    "token_version": 0,
    "email": "camille.martin@example.org",
    "first_name": "Camille",
    "last_name": "Martin",
    "registration_id": "00000000-0000-4000-8000-000000000003",
}
NOTICE = {
    "status": "confirmed",
    "waitlist_position": 3,
    "attendee_code": "K7P2QX",
    "reason": "La salle n'est plus disponible à cette date.",
    "cancelled_by": "person",
    "cause": "cancellation",
    "reserved_for": None,
}
ROUND = {
    "id": "00000000-0000-4000-8000-000000000004",
    "method": "approval",
    "closes_at": STARTS - timedelta(days=14),
    "timezone": "Europe/Paris",
}
TOPIC_TITLES = [
    "Ouvrir les données des marchés publics",
    "Associer les citoyens à l'évaluation des politiques publiques",
    "Publier les algorithmes utilisés par l'administration",
]
TOPIC = {"id": "00000000-0000-4000-8000-000000000005", "title": TOPIC_TITLES[2], "forum_id": FORUM["id"]}
INTO = {"id": "00000000-0000-4000-8000-000000000006", "title": "Transparence des algorithmes publics"}
RESTITUTION = {
    "title": FORUM["title"],
    "version": 2,
    "updated": True,
    "note": "Ajout du compte rendu de l'atelier sur les algorithmes publics.",
    "commitments": 3,
}
SUMMARY = [
    "Cent douze participants, dont un tiers de la société civile, ont travaillé sur trois sujets.",
    "Les administrations présentes s'engagent à publier leurs données de marchés publics d'ici fin 2027.",
]
COMMENT_ID = "00000000-0000-4000-8000-000000000007"
REPLY = [
    "Merci pour cette question : le calendrier de publication sera présenté au prochain forum.",
    "Les premiers jeux de données sont attendus dès septembre.",
]
WAITING_FORUM = {"forum_id": FORUM["id"], "title": FORUM["title"], "timezone": "Europe/Paris"}
PER_TEMPLATE = {
    "registration_waitlisted": {"status": "waitlisted", "attendee_code": None},
    "registration_cancelled": {
        "status": "cancelled",
        "cancelled_by": "forum_cancelled",
        "attendee_code": None,
    },
    "forum_updated": {"previous_forum": PREVIOUS_FORUM, "changed": ["date", "venue", "accessibility"]},
    "round_opened": {"round": ROUND, "topics": TOPIC_TITLES},
    "round_closing_soon": {"round": ROUND, "hours_left": 24},
    "round_closed": {"round": ROUND, "agenda": TOPIC_TITLES[:2]},
    "topic_published": {"topic": TOPIC},
    "topic_rejected": {"topic": TOPIC, "reason": "Ce sujet relève d'un autre forum de la série."},
    "topic_merged": {"topic": TOPIC, "into": INTO},
    "restitution_published": {"restitution": RESTITUTION, "excerpt": SUMMARY},
    "comment_replied": {"comment": {"author_name": "Sacha, association Données en commun"}, "reply": REPLY},
}


def digest(base_url):
    """A digest of one forum's three waiting comments, one of them new."""
    base = base_url.rstrip("/")
    line = WAITING_FORUM | {"waiting": 3, "new": 1, "oldest": STARTS + timedelta(days=30)}
    line |= {
        "page": f"{base}/restitutions/{FORUM['id']}#comments",
        "pending": f"{base}/api/v1/comments/pending?forum_id={FORUM['id']}",
    }
    return {"digest": {"waiting": 3, "new": 1}, "waiting_forums": [line]}


def sample_link(base_url, purpose):
    return base_url.rstrip("/") + PAGES[purpose].format(token=PLACEHOLDER_TOKEN)


def links(base_url, locale="fr"):
    """Every link a message may show, each with the placeholder instead of a token; a page of the site at
    its address in ``locale`` (``/en/…`` in English), as ``Links`` mints them."""
    base = base_url.rstrip("/")
    site = base + ("/en" if locale.startswith("en") else "")
    return {
        purpose: sample_link(site if purpose != "unsubscribe" else base, purpose) for purpose in PAGES
    } | {
        "register": base + "/",
        "vote": f"{site}/me/session?token={PLACEHOLDER_TOKEN}&round={ROUND['id']}",
        "results": f"{site}/rounds/{ROUND['id']}/results",
        "restitution": f"{site}/restitutions/{FORUM['id']}",
        "comment": f"{site}/restitutions/{FORUM['id']}#comment-{COMMENT_ID}",
    }


def context(template, locale, base_url):
    """What ``Renderer.render`` takes to render ``template`` as the sample person in ``locale``."""
    person = PERSON | {"locale": locale}
    found = (
        NOTICE
        | {"forum": FORUM, "person": person, "links": links(base_url, locale)}
        | PER_TEMPLATE.get(template, {})
    )
    return found | (digest(base_url) if template == "moderation_digest" else {})


def preview(renderer, template, locale, base_url):
    """The message ``template`` as the sample person would receive it in ``locale``."""
    if template not in renderer.templates():
        raise TemplateNotFound(f"no message template named {template!r}")
    if locale not in LOCALES:
        raise UnsupportedLocale(f"locale must be one of {', '.join(LOCALES)}")
    rendered = renderer.render(template, locale, context(template, locale, base_url))
    return {"template": template, "locale": locale} | asdict(rendered)
