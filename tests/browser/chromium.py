"""One headless Chromium on the platform, driven over WebDriver (plain HTTP to Debian's chromedriver, so
nothing here minds eventlet's patched sockets), and what the browser tests ask of a page: the console's
errors, axe-core's serious and critical violations, the same-origin links that do not answer, a screenshot.
"""

import base64
import functools
import re
import tempfile
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import requests
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
LANGUAGES = {"fr": "fr-FR,fr", "en": "en-GB,en"}
# As root, and with no network beyond the platform: no sandbox, and none of Chromium's own connections.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS = ("serious", "critical")
# axe.run, called through execute_async_script (whose last argument is the callback): the violations only.
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (result) => done(result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + " | " + n.failureSummary)}))),
  (error) => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]));
"""


def missing_tools():
    """What the tier needs and this machine lacks, with the command that installs it."""
    missing = [f"{path} (make browser-tool)" for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    return missing + ([f"{AXE} (make axe)"] if not AXE.exists() else [])


class Browser:
    """A fresh Chromium profile with one viewport and language, JavaScript on or off."""

    def __init__(self, base_url, screenshots, test, javascript=True, viewport="desktop", lang="fr"):
        self.base_url, self.screenshots, self.test = base_url, screenshots, test
        self.width, self.height = VIEWPORTS[viewport]
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS + [f"--user-data-dir={self.profile.name}", f"--lang={lang}"]:
            options.add_argument(flag)
        prefs = {"intl.accept_languages": LANGUAGES[lang]}
        if not javascript:
            prefs["profile.managed_default_content_settings.javascript"] = 2
        options.add_experimental_option("prefs", prefs)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        options.set_capability("unhandledPromptBehavior", "ignore")  # an alert stays open, to be seen
        self.driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        self.driver.set_script_timeout(60)
        metrics = {"width": self.width, "height": self.height, "deviceScaleFactor": 1}
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", metrics | {"mobile": viewport == "phone"}
        )

    def open(self, path, ready="true", status=200):
        """Load ``path`` (fragment included), wait until the JavaScript expression ``ready`` holds; the
        console errors meanwhile. A page answered 404 on purpose logs its own status: not an error."""
        self.console_errors()  # forget the earlier page's
        url = f"{self.base_url}{path}"
        self.driver.get(url)
        self.wait("document.readyState === 'complete' && (" + ready + ")")
        own = f"{urldefrag(url).url} - Failed to load resource: the server responded with a status of "
        return [e for e in self.console_errors() if status == 200 or not e.startswith(f"{own}{status}")]

    def wait(self, expression, timeout=20):
        WebDriverWait(self.driver, timeout).until(lambda d: d.execute_script(f"return Boolean({expression})"))

    def send(self, words):
        """Click the button (or link) that reads ``words`` and wait for the page that answers."""
        xpath = f'//*[self::button or self::a][normalize-space()="{words}"]'
        self.arrive(lambda: self.driver.find_element(By.XPATH, xpath).click())

    def follow(self, selector):
        """Click the link ``selector`` (CSS) and wait for the page it leads to."""
        self.arrive(lambda: self.driver.find_element(By.CSS_SELECTOR, selector).click())

    def tab_to(self, is_there, presses=30):
        """Press Tab until the JavaScript expression ``is_there`` holds (the keyboard alone)."""
        for _ in range(presses):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            if self.js(is_there):
                return
        raise AssertionError(f"Tab never reached {is_there}")

    def arrive(self, go):
        """Do ``go`` and wait for the next page: a mark left on the old page's window is gone from the new
        one's (JavaScript on or off)."""
        self.driver.execute_script("window.__before_leaving = true")
        go()
        self.wait("typeof window.__before_leaving === 'undefined' && document.readyState === 'complete'")
        self.wait("document.querySelector('h1')")

    def js(self, expression):
        return self.driver.execute_script(f"return {expression}")

    def console_errors(self):
        """SEVERE entries of the console since the last call; the favicon nobody serves is not one."""
        logs = self.driver.get_log("browser")
        return [
            entry["message"]
            for entry in logs
            if entry["level"] == "SEVERE" and not re.search(r"/favicon\.ico .*\b404\b", entry["message"])
        ]

    def axe(self):
        """axe-core's violations of impact serious or critical. WebDriver's scripts are not the page's, so
        its Content-Security-Policy lets them run."""
        if not self.js("typeof axe !== 'undefined'"):
            self.driver.execute_script(axe_source())
        found = self.driver.execute_async_script(RUN_AXE)
        return [violation for violation in found if violation["impact"] in SERIOUS]

    def broken_links(self):
        """Every <a href> of this origin that does not answer below 400: [(address, status)]."""
        origin = urlsplit(self.base_url)[:2]
        # in-page anchors (href="#…") lead to this very page: a form's answer has no address to ask again
        hrefs = self.js("Array.from(document.querySelectorAll('a[href]:not([href^=\"#\"])'), (a) => a.href)")
        targets = {urldefrag(href).url for href in hrefs if urlsplit(href)[:2] == origin}
        answers = {target: requests.get(target, timeout=30).status_code for target in sorted(targets)}
        return [(target, code) for target, code in answers.items() if code >= 400]

    def screenshot(self, label=""):
        """The whole page, not only the viewport: var/screenshots/<test>[-label]-<width>.png."""
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )
        name = "-".join(part for part in (self.test, label, str(self.width)) if part)
        path = self.screenshots / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def alert(self):
        """The text of an open alert, confirm or prompt dialog, or None."""
        try:
            return self.driver.switch_to.alert.text
        except NoAlertPresentException:
            return None

    def quit(self):
        try:
            self.driver.quit()
        finally:
            self.profile.cleanup()


@functools.cache
def axe_source():
    return AXE.read_text(encoding="utf-8")
