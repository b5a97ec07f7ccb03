"""A restitution published, from a real notification container to a real SMTP server: the forum's
registrants (confirmed and waitlisted, not cancelled) and the confirmed subscribers get one email each, a
person who is both gets one, the registrant's; a later version says it is an update, with its note. The
registration events are published first, so that the service knows the forum's registrants and the
subscribers; the restitution events are published signed on the restitution exchange as its relay would."""

import re
import uuid
from html.parser import HTMLParser

from services.restitution.events import catalog

from .test_notification_emails import forum_block, handled, mail_to, query, registration, someone, text_of
from .test_notification_topics import received, settled, subscribed

SUMMARY = "Cent participants ont travaillé sur trois sujets.\n\nLes administrations publieront leurs données."


def published(forum, version, note=""):
    data = {"forum_id": forum["id"], "title": forum["title"], "version": version, "note": note}
    return catalog.envelope("restitution_published", data | {"summary": SUMMARY, "commitments": 2})


def only(messages, *subject_parts):
    [message] = [m for m in messages if any(part in m["Subject"] for part in subject_parts)]
    return message


def test_a_restitution_reaches_registrants_and_subscribers_once_each_and_an_update_says_what_changed(
    notification, publish, publish_restitution, smtp_sink, service_config
):
    forum = forum_block(title="Forum de la restitution")
    confirmed, waitlisted, both, gone = someone("fr"), someone("en"), someone("fr"), someone("fr")
    fan, english_fan = someone("fr"), someone("en")
    cancelled_id = uuid.uuid4()
    setup = [
        registration("registration_confirmed", forum, confirmed),
        registration("registration_waitlisted", forum, waitlisted, waitlist_position=1),
        registration("registration_confirmed", forum, both),
        registration("registration_confirmed", forum, gone, registration_id=cancelled_id),
        subscribed(fan),
        subscribed(english_fan),
        subscribed(both),
    ]
    publish(*setup)
    handled(service_config, *setup)
    leaving = registration(
        "registration_cancelled",
        forum,
        gone,
        registration_id=cancelled_id,
        cancelled_by="person",
        previous_status="confirmed",
    )
    publish(leaving)
    handled(service_config, leaving)

    first = published(forum, 1)
    publish_restitution(first, first)  # delivered twice: handled once
    settled(service_config, first)
    everyone = [confirmed, waitlisted, both, gone, fan, english_fan]
    told = received(smtp_sink, everyone, "est publiée", "is published")
    assert told == {p["email"]: 1 for p in everyone} | {gone["email"]: 0}

    base = service_config["PUBLIC_BASE_URL"].rstrip("/")
    page, english_page = f"{base}/restitutions/{forum['id']}", f"{base}/en/restitutions/{forum['id']}"
    mail = only(mail_to(smtp_sink, confirmed["email"], 2), "La restitution de", "The restitution of")
    assert mail["Subject"] == "La restitution de « Forum de la restitution » est publiée"
    text = text_of(mail)
    assert "> Cent participants ont travaillé sur trois sujets.\n> Les administrations publieront" in text
    assert "Elle comporte 2 engagements" in text and page in text and "#token" not in text
    assert mail["List-Unsubscribe"] is None and "inscrit·e à ce forum" in text  # a registrant's copy
    theirs = only(mail_to(smtp_sink, both["email"], 2), "La restitution de", "The restitution of")
    assert theirs["List-Unsubscribe"] is None  # the registrant's copy, not the subscriber's

    english = only(mail_to(smtp_sink, english_fan["email"]), "La restitution de", "The restitution of")
    assert english["Subject"] == 'The restitution of "Forum de la restitution" is published'
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(\S+)>", english["List-Unsubscribe"]).group(1)
    english_text = text_of(english)
    assert unsubscribe in english_text and "It makes 2 commitments" in english_text
    assert english_page in english_text and page not in english_text  # the page in the email's language
    english_registrant = only(
        mail_to(smtp_sink, waitlisted["email"], 2), "La restitution de", "The restitution of"
    )
    assert (
        english_registrant["Subject"] == english["Subject"] and english_registrant["List-Unsubscribe"] is None
    )
    assert english_page in text_of(english_registrant) and page not in text_of(english_registrant)

    second = published(forum, 2, note="Ajout du compte rendu de l'atelier B.")
    publish_restitution(first, second)  # the first redelivered again: nothing more
    settled(service_config, second)
    updated = received(smtp_sink, everyone, "mise à jour", "is updated")
    assert updated == {p["email"]: 1 for p in everyone} | {gone["email"]: 0}
    update = only(mail_to(smtp_sink, fan["email"], 2), "mise à jour")
    assert update["Subject"] == "La restitution de « Forum de la restitution » est mise à jour"
    assert "Ce qui change : Ajout du compte rendu de l'atelier B." in text_of(update)
    assert "(version 2)" in text_of(update) and update["List-Unsubscribe"] is not None
    assert page in text_of(update) and english_page not in text_of(update)
    english_update = only(mail_to(smtp_sink, waitlisted["email"], 3), "is updated")
    assert "What changed: Ajout du compte rendu de l'atelier B." in text_of(english_update)

    rows = query(
        service_config,
        "SELECT event_id FROM deliveries WHERE event_id = ANY(%s) AND recipient = ANY(%s)",
        [first["id"], second["id"]],
        [p["email"] for p in everyone],
    )
    assert len(rows) == 5 + 5
    assert received(smtp_sink, everyone, "est publiée", "is published") == told


class Elements(HTMLParser):
    """The elements and attribute names a mail client would make of an HTML part."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def html_of(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/html"]
    return part.get_content()


def test_markup_typed_in_a_restitution_comes_out_inert_in_its_email(
    notification, publish, publish_restitution, smtp_sink, service_config
):
    hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)>"
    forum = forum_block(title=f"Forum {hostile}")
    reader = someone("fr")
    setup = [registration("registration_confirmed", forum, reader)]
    publish(*setup)
    handled(service_config, *setup)
    data = {"forum_id": forum["id"], "title": forum["title"], "version": 2, "note": hostile,
            "summary": f"Synthèse {hostile}", "commitments": 1}  # fmt: skip
    envelope = catalog.envelope("restitution_published", data)
    publish_restitution(envelope)
    settled(service_config, envelope)
    mail = only(mail_to(smtp_sink, reader["email"], 2), "La restitution de")
    html, text = html_of(mail), text_of(mail)
    elements = Elements()
    elements.feed(html)
    assert not {"script", "img"} & set(elements.tags) and not [
        a for a in elements.attributes if a.startswith("on")
    ]
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # the title, the note, the summary: text
    assert "Synthèse <script>alert(1)</script>" in text  # the text part says what was typed
