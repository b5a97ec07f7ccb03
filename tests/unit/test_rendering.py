from datetime import UTC, datetime

import pytest

from services.notification.rendering import Renderer

RENDERER = Renderer()


def context(first_name="Ana", title="Forum ouvert"):
    return {
        "forum": {
            "title": title,
            "starts_at": datetime(2027, 1, 10, 8, tzinfo=UTC),
            "ends_at": datetime(2027, 1, 10, 16, 30, tzinfo=UTC),
            "timezone": "Europe/Paris",
            "venue": {"name": "Ségur", "address": "20 avenue de Ségur", "city": "Paris"},
        },
        "person": {"first_name": first_name, "last_name": "Martin"},
        "waitlist_position": 4,
    }


@pytest.mark.parametrize("template", RENDERER.templates())
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_message_renders_in_both_locales_with_the_forum(template, locale):
    rendered = RENDERER.render(template, locale, context())
    assert "Forum ouvert" in rendered.subject
    for body in (rendered.text, rendered.html):
        assert "Ana Martin" in body
        assert "20 avenue de Ségur" in body
        assert "09:00" in body and "17:30" in body  # local time in Paris, not UTC


def test_french_and_english_differ_and_unknown_locale_falls_back_to_french():
    fr = RENDERER.render("registration_confirmed", "fr", context())
    en = RENDERER.render("registration_confirmed", "en", context())
    de = RENDERER.render("registration_confirmed", "de", context())
    assert fr.subject == "Inscription confirmée : Forum ouvert"
    assert en.subject == "Registration confirmed: Forum ouvert"
    assert "dimanche 10 janvier 2027" in fr.text
    assert "Sunday 10 January 2027" in en.text
    assert de == fr


def test_waitlisted_message_gives_the_position():
    assert "position 4" in RENDERER.render("registration_waitlisted", "fr", context()).text
    assert "number 4" in RENDERER.render("registration_waitlisted", "en", context()).html


def test_markup_in_names_is_escaped_in_html_and_subjects_stay_on_one_line():
    rendered = RENDERER.render(
        "registration_confirmed", "en", context(first_name="<script>x</script>", title="A\r\nBcc: x@evil")
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
