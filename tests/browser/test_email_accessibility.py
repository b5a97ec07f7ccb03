"""The emails' HTML as a reader's mail client shows it: every message, in French and English, rendered with
the notification service's samples (the same renderer as the emails sent) and loaded in Chromium from a
``data:`` address: its language said, one real heading, no serious or critical axe-core violation at a
desktop or a phone width. No stack is needed: the HTML is the renderer's, the browser is real."""

import base64

import pytest

from services.notification.rendering import LOCALES, Renderer
from services.notification.samples import context

from .chromium import Browser
from .conftest import SCREENSHOTS

RENDERER = Renderer()
BASE_URL = "https://forums.example.org"
MESSAGES = [(template, locale) for template in RENDERER.templates() for locale in LOCALES]


@pytest.fixture(scope="module", params=["desktop", "phone"])
def tab(request):
    browser = Browser("", SCREENSHOTS, "email", javascript=True, viewport=request.param)
    yield browser
    browser.quit()


def html_of(template, locale):
    return RENDERER.render(template, locale, context(template, locale, BASE_URL)).html


def test_every_message_and_language_has_a_sample():
    assert len(MESSAGES) >= 2 * 15 and set(LOCALES) == {"fr", "en"}


@pytest.mark.parametrize(("template", "locale"), MESSAGES, ids=[f"{t}-{lang}" for t, lang in MESSAGES])
def test_each_email_passes_axe(tab, template, locale):
    encoded = base64.b64encode(html_of(template, locale).encode()).decode()
    tab.driver.get(f"data:text/html;charset=utf-8;base64,{encoded}")
    tab.wait("document.readyState === 'complete'")
    assert tab.js("document.documentElement.lang") == locale
    assert tab.js("document.querySelectorAll('h1').length") == 1
    assert tab.js("document.querySelector('h1').textContent.trim() !== ''")
    layout = "Array.from(document.querySelectorAll('table'), (t) => t.getAttribute('role'))"
    assert set(tab.js(layout)) <= {"presentation"}
    assert tab.js("document.documentElement.scrollWidth") <= tab.width  # reflows: no sideways scroll
    assert tab.axe() == []
    if template in ("registration_confirmed", "moderation_digest"):
        tab.screenshot(f"{template}-{locale}")
