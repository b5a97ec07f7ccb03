"""Browser tier: the platform's HTML pages as a person's browser shows them.

Real: the platform exactly as in ``e2e`` (its ``stack``, ``api`` and ``mail`` fixtures, one stack per test
module: every service its own process, RabbitMQ, PostgreSQL, a real SMTP server), and a real headless
Chromium (Debian's, driven through its chromedriver) loading the pages, running their scripts under their
Content-Security-Policy, with JavaScript on or off, a desktop or phone viewport, French or English.
axe-core (npm, locked in package-lock.json) checks accessibility inside the page. Nothing is mocked.

A page test: ``tab = browser(viewport="phone")``, ``errors = tab.open(path, ready=js_expression)``,
then ``tab.axe()``, ``tab.broken_links()``, ``tab.screenshot()`` (var/screenshots/<test>-<width>.png).
Without Chromium, chromedriver or axe-core every test here fails, naming the make target that installs it.
"""

from pathlib import Path

import pytest
from e2e.conftest import api, mail, module_amqp_uri, pytest_runtest_makereport, stack

from .chromium import Browser, missing_tools

__all__ = ["api", "mail", "module_amqp_uri", "pytest_runtest_makereport", "stack"]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def browser_tools():
    """Checked before any stack starts: a missing browser is a failure of the tier, never a skip."""
    missing = missing_tools()
    if missing:
        pytest.fail("the browser tier needs " + ", ".join(missing), pytrace=False)


@pytest.fixture
def browser(request, stack):
    """``browser(javascript=True, viewport="desktop"|"phone", lang="fr"|"en")``: a fresh Chromium on the
    platform, quit when the test ends."""
    started = []

    def start(javascript=True, viewport="desktop", lang="fr"):
        tab = Browser(stack.base_url, SCREENSHOTS, request.node.originalname, javascript, viewport, lang)
        started.append(tab)
        return tab

    yield start
    for tab in started:
        tab.quit()
