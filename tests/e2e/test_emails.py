"""Registering through the API brings a confirmation email, in the registrant's language."""

import html

import pytest

from .client import parts, person, recipient, wait_for_mail

EXPECTED = {
    "en": {
        "subject": "Registration confirmed: {title}",
        "phrases": ["Hello Camille", "Monday 1 March 2027", "from 09:00 to 17:00"],
    },
    "fr": {
        "subject": "Inscription confirmée : {title}",
        "phrases": ["Bonjour Camille", "lundi 1 mars 2027", "de 09:00 à 17:00"],
    },
}
VENUE = ["Hôtel de Ville", "Place de l'Hôtel de Ville", "Paris"]


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_registrant_gets_a_confirmation_email_in_their_language(api, mail, locale):
    forum = api.create_forum(capacity=5)
    someone = person(locale)
    response = api.register(forum["id"], someone)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "confirmed"

    (message,) = wait_for_mail(mail, [someone["email"]])[someone["email"]]
    expected = EXPECTED[locale]
    assert recipient(message) == someone["email"]
    assert message["Subject"] == expected["subject"].format(title=forum["title"])
    assert message.get_content_type() == "multipart/mixed"  # text and HTML, then the .ics and the QR code
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"invitation.ics", "attendee-code.png"}, attachments
    code = response.json()["attendee_code"]
    text, markup = parts(message)
    shown = html.unescape(markup)  # what a mail client displays
    assert f'<html lang="{locale}">' in markup
    for body in (text, shown):
        for phrase in [forum["title"], someone["last_name"], code, *expected["phrases"], *VENUE]:
            assert phrase in body, f"{phrase!r} missing from:\n{body}"
