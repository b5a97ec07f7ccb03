"""The door with JavaScript, on a phone: a code typed (or read by the camera from the attendee's QR code) is
sent without reloading the page and its outcome read out in the live region; with the network gone the
codes wait in the browser ("2 en attente d'envoi") and go when it is back, each checked in once, even a
queued code sent again. The page's JSON answers keep the form's CSRF and session rules, hostile names stay
text, and the page passes axe-core in French and English. (JavaScript off: tests/browser/test_console.py.)"""

import json
import re
import uuid

import pytest
import requests
from e2e.client import person
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

HOSTILE = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
# Chromium on Linux reads no barcode: these stand in for the phone's BarcodeDetector and camera, the rest
# (the page's script, the POST, the services) being the real ones. The test sets window.__qr to what the
# QR code in front of the camera holds.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
  async detect(source) { return window.__qr ? [{ rawValue: window.__qr, format: "qr_code" }] : []; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 64 });
  const paint = canvas.getContext("2d");
  setInterval(() => { paint.fillStyle = "#" + Math.random().toString(16).slice(2, 8); paint.fillRect(0, 0, 64, 64); }, 100);
  return canvas.captureStream(10);
};
"""


def typed(tab, field, text):
    element = tab.driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(text)


def outcome(tab):
    return tab.js("document.getElementById('outcome').innerText.trim()")


def pending(tab):
    return tab.js("document.getElementById('pending').innerText.trim()")


def kept(tab, forum_id):
    return json.loads(tab.js(f"localStorage.getItem('odt-check-in:{forum_id}') || '[]'"))


def script_errors(tab):
    """The console's errors but the answers the page's script expects (no network; a 404 or 422 is an
    outcome, said on the page): a script error, or anything the Content-Security-Policy refused."""
    expected = r"(net::ERR_INTERNET_DISCONNECTED|/check-in - Failed to load resource: .* status of 4\d\d )"
    return [e for e in tab.console_errors() if not re.search(expected, e)]


def offline(tab, yes):
    tab.driver.set_network_conditions(offline=yes, latency=0, download_throughput=-1, upload_throughput=-1)


def signed_in_tab(browser, api, lang="fr", viewport="phone"):
    """A browser with JavaScript (a phone unless said), signed in to the console with the organiser token."""
    prefix = "/en" if lang == "en" else ""
    tab = browser(viewport=viewport, lang=lang)
    tab.open(f"{prefix}/console/sign-in")
    typed(tab, "token", api.token)
    tab.send("Se connecter" if lang == "fr" else "Sign in")
    return tab


def scan_by_keyboard(tab, code):
    """The code typed in the field and sent with Enter, as a keyboard (or a USB scanner) does."""
    typed(tab, "code", code)
    tab.driver.find_element(By.ID, "code").send_keys(Keys.ENTER)


def checked_in(api, forum_id):
    answer = api.organiser("GET", f"/forums/{forum_id}/attendance")
    assert answer.status_code == 200, answer.text
    return answer.json()["totals"]["checked_in"]


def check_ins_of(api, registration_id):
    """How many times the audit trail says this registration was checked in."""
    trail = api.organiser("GET", "/audit", params={"limit": 100}).json()["items"]
    return [(e["action"], e["subject"]) for e in trail].count(("attendee_checked_in", registration_id))


@pytest.fixture(scope="module")
def forum(api):
    """Six confirmed attendees, one with a hostile name."""
    created = api.create_forum(capacity=20, title=f"Forum accueil {uuid.uuid4().hex[:6]}")
    people = [api.registered(created["id"], person(stakeholder_group="citizen")) for _ in range(5)]
    people.append(api.registered(created["id"], person(first_name=HOSTILE, stakeholder_group="company")))
    assert {p["status"] for p in people} == {"confirmed"}
    return created | {"people": people}


def test_codes_go_without_reloading_wait_offline_and_are_each_checked_in_once(browser, api, forum):
    tab = signed_in_tab(browser, api)
    page = f"/console/forums/{forum['id']}/check-in"
    assert tab.open(page) == []
    # no camera reads QR codes here: no button at all
    assert tab.js("document.getElementById('camera').hidden") is True
    assert tab.js("document.getElementById('camera-start').offsetParent") is None
    tab.driver.execute_script("window.__same_page = true")  # gone if the page reloads
    first, second, third = forum["people"][:3]
    scan_by_keyboard(tab, first["attendee_code"].lower())
    tab.wait("document.getElementById('outcome').innerText.includes('Arrivée enregistrée')")
    assert outcome(tab) == f"Arrivée enregistrée : {first['first_name']} {first['last_name']}, citoyens."
    assert tab.js("window.__same_page") is True and tab.js("location.pathname") == page
    assert tab.js("document.getElementById('code').value") == ""
    assert tab.js("document.activeElement.id") == "code"  # ready for the next one
    assert pending(tab) == "" and kept(tab, forum["id"]) == []
    assert checked_in(api, forum["id"]) == 1

    offline(tab, True)
    scan_by_keyboard(tab, second["attendee_code"])
    tab.wait("document.getElementById('outcome').innerText.includes('Réseau indisponible')")
    assert (
        outcome(tab)
        == f"Réseau indisponible : {second['attendee_code']} est gardé et sera envoyé dès que possible."
    )
    scan_by_keyboard(tab, third["attendee_code"])
    tab.wait("document.getElementById('pending').innerText.includes('2 en attente')")
    assert pending(tab) == "2 en attente d'envoi"
    assert tab.js("document.getElementById('pending').getAttribute('role')") == "status"
    waiting = kept(tab, forum["id"])
    assert [item["code"] for item in waiting] == [second["attendee_code"], third["attendee_code"]]
    assert len({item["key"] for item in waiting}) == 2  # a key per scan
    assert tab.axe() == []
    tab.screenshot("offline")
    assert checked_in(api, forum["id"]) == 1  # nothing reached the platform

    offline(tab, False)  # "online" fires, or the timer tries again
    tab.wait("document.getElementById('pending').innerText === ''", timeout=30)
    words = outcome(tab)
    for someone in (second, third):
        assert f"Arrivée enregistrée : {someone['first_name']} {someone['last_name']}, citoyens." in words
    assert kept(tab, forum["id"]) == [] and tab.js("window.__same_page") is True
    tab.screenshot("caught-up")
    assert checked_in(api, forum["id"]) == 3

    # The same queued code sent again (its answer lost, say): with its key, the first answer again and
    # nothing done twice; scanned again (a new key), "already"; a key reused for another code, refused
    # for good (not kept to be tried forever).
    replayed = waiting + [
        {"code": third["attendee_code"], "key": str(uuid.uuid4()), "at": "later"},
        {"code": "ZZZZ1111", "key": waiting[0]["key"], "at": "later"},
    ]
    tab.driver.execute_script(
        f"localStorage.setItem('odt-check-in:{forum['id']}', arguments[0])", json.dumps(replayed)
    )
    assert script_errors(tab) == []
    assert tab.open(page) == []  # it sends what it finds waiting
    tab.wait(
        "document.getElementById('pending').innerText === '' && document.querySelectorAll('#outcome .outcome').length === 4"
    )
    said = tab.js("Array.from(document.querySelectorAll('#outcome .outcome'), (o) => o.innerText.trim())")
    assert said[0] == f"Arrivée enregistrée : {second['first_name']} {second['last_name']}, citoyens."
    assert said[1] == f"Arrivée enregistrée : {third['first_name']} {third['last_name']}, citoyens."
    assert said[2].startswith("Déjà enregistré·e le ") and third["last_name"] in said[2]
    assert said[3] == "ZZZZ1111 n'a pas été enregistré : le serveur l'a refusé (422)."
    assert kept(tab, forum["id"]) == []
    assert checked_in(api, forum["id"]) == 3
    assert [check_ins_of(api, p["id"]) for p in (first, second, third)] == [1, 1, 1]
    assert script_errors(tab) == []


def test_unknown_malformed_and_hostile_codes_are_said_as_the_form_says_them(browser, api, forum):
    tab = signed_in_tab(browser, api, lang="en")
    assert tab.open(f"/en/console/forums/{forum['id']}/check-in") == []
    scan_by_keyboard(tab, "ZZZZ9999")
    tab.wait("document.getElementById('outcome').innerText.includes('Unknown')")
    assert outcome(tab) == "Unknown code: ZZZZ9999. No confirmed registration for this forum has this code."
    assert tab.js("document.querySelector('#outcome .outcome').className") == "outcome refused"
    scan_by_keyboard(tab, "a b")  # refused before anything is sent or kept
    tab.wait("document.getElementById('outcome').innerText.includes('not an attendee code')")
    assert outcome(tab) == "This is not an attendee code: it has 4 to 32 letters or digits."
    assert tab.js("document.getElementById('code').getAttribute('aria-invalid')") == "true"
    assert tab.js("document.getElementById('code').value") == "a b" and kept(tab, forum["id"]) == []
    hostile = forum["people"][5]
    scan_by_keyboard(tab, hostile["attendee_code"])
    tab.wait("document.getElementById('outcome').innerText.includes('Checked in')")
    assert outcome(tab) == f"Checked in: {HOSTILE} {hostile['last_name']}, companies."
    assert tab.js("document.querySelectorAll('#outcome img, #outcome script').length") == 0
    assert tab.js("typeof window.__pwned") == "undefined"
    assert tab.axe() == [] and tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.screenshot("hostile-en")
    assert script_errors(tab) == []


def test_the_camera_reads_the_attendees_qr_code_where_the_browser_can(browser, api, forum):
    tab = signed_in_tab(browser, api)
    tab.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAKE_CAMERA})
    assert (
        tab.open(
            f"/console/forums/{forum['id']}/check-in",
            ready="document.getElementById('camera')?.hidden === false",
        )
        == []
    )
    assert tab.axe() == []
    tab.tab_to("document.activeElement.id === 'camera-start'")  # the keyboard reaches it
    tab.driver.switch_to.active_element.send_keys(Keys.ENTER)
    tab.wait("!document.getElementById('camera-view').hidden")
    assert tab.js("document.activeElement.id") == "camera-stop"
    someone = forum["people"][3]
    tab.driver.execute_script("window.__qr = arguments[0]", someone["attendee_code"])  # what qr.py encodes
    tab.wait("document.getElementById('outcome').innerText.includes('Arrivée enregistrée')")
    assert outcome(tab) == f"Arrivée enregistrée : {someone['first_name']} {someone['last_name']}, citoyens."
    assert tab.axe() == []
    tab.screenshot("camera")
    tab.driver.execute_script("window.__qr = 'WIFI:S:door;T:WPA;P:secret;;'")  # another QR code
    tab.wait("document.getElementById('outcome').innerText.includes('Ce code QR')")
    assert outcome(tab) == "Ce code QR ne contient pas de code de participant."
    tab.driver.execute_script("window.__qr = null")
    tab.driver.switch_to.active_element.send_keys(Keys.ENTER)  # focus is still on "Arrêter la caméra"
    tab.wait("document.getElementById('camera-view').hidden")
    assert tab.js("document.activeElement.id") == "camera-start"
    assert tab.js("document.getElementById('viewfinder').srcObject") is None
    assert check_ins_of(api, someone["id"]) == 1  # the code stayed in front of the camera: read once
    assert script_errors(tab) == []


def test_what_a_qr_code_holds_is_read_as_the_attendee_code(browser, api, forum):
    tab = signed_in_tab(browser, api)
    tab.open(f"/console/forums/{forum['id']}/check-in")
    read = "return attendeeCode(arguments[0])"
    for held, code in (
        ("AB12CD34", "AB12CD34"),
        ("ab12cd34", "AB12CD34"),
        (" AB12CD34\n", "AB12CD34"),
        ("AB-12", "AB-12"),
        ("ABC", None),
        ("A" * 33, None),
        ("", None),
        ("https://example.org/?code=AB12CD34", None),
        ("AB12 CD34", None),
        ("<script>", None),
    ):
        assert tab.driver.execute_script(read, held) == code, held
    assert tab.driver.execute_script("return attendeeCode(null)") is None


def test_the_script_gets_json_under_the_forms_rules(stack, api, forum):
    """What the page's script is answered: the same statuses as the form, the same CSRF and session."""
    base, page = stack.base_url, f"{stack.base_url}/console/forums/{forum['id']}/check-in"
    script = {"Accept": "application/json"}
    client = requests.Session()
    sign_in = client.get(f"{base}/console/sign-in", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', sign_in.text).group(1)
    assert client.post(f"{base}/console/sign-in", data={"csrf": csrf, "token": api.token}, timeout=30).ok
    someone = forum["people"][4]
    for data, status, answer in (
        ({"csrf": "forged", "code": someone["attendee_code"]}, 403, {"outcome": "expired"}),
        ({"csrf": csrf, "code": "a b"}, 422, {"outcome": "malformed"}),
        ({"csrf": csrf, "code": "zzzz9999"}, 404, {"outcome": "unknown", "code": "ZZZZ9999"}),
    ):
        got = client.post(page, data=data, headers=script, timeout=30)
        assert (got.status_code, got.headers["Content-Type"]) == (status, "application/json"), got.text
        assert got.json().items() >= answer.items() and got.headers["Cache-Control"] == "no-store"
    key = str(uuid.uuid4())
    sent = {"csrf": csrf, "code": someone["attendee_code"], "idempotency_key": key}
    answers = [client.post(page, data=sent, headers=script, timeout=30) for _ in range(2)]
    assert [a.json()["outcome"] for a in answers] == ["checked_in", "checked_in"]  # the first answer again
    assert (
        answers[0].json()["html"]
        == f"<p>Arrivée enregistrée : {someone['first_name']} {someone['last_name']}, citoyens.</p>"
    )
    again = client.post(page, data=sent | {"idempotency_key": str(uuid.uuid4())}, headers=script, timeout=30)
    assert again.json()["outcome"] == "already" and check_ins_of(api, someone["id"]) == 1
    stranger = requests.post(page, data=sent, headers=script, cookies={"odt_csrf": client.cookies["odt_csrf"]},
                             allow_redirects=False, timeout=30)  # fmt: skip
    assert stranger.status_code == 401 and stranger.json() == {
        "outcome": "signed_out",
        "sign_in": f"/console/sign-in?next=/console/forums/{forum['id']}/check-in",
    }
    # the form without JavaScript is answered with the page, as before
    form = client.post(page, data={"csrf": csrf, "code": "zzzz9999"}, timeout=30)
    assert form.status_code == 404 and form.headers["Content-Type"].startswith("text/html")
    assert "Code inconnu : ZZZZ9999." in form.text and 'aria-invalid="true"' in form.text


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_page_with_its_script_passes_axe(browser, api, forum, lang, viewport):
    tab = signed_in_tab(browser, api, lang=lang, viewport=viewport)
    prefix = "/en" if lang == "en" else ""
    assert tab.open(f"{prefix}/console/forums/{forum['id']}/check-in") == []
    assert tab.axe() == [] and tab.broken_links() == []
    assert tab.js("document.documentElement.scrollWidth") <= tab.width
    tab.screenshot(f"page-{lang}")
    offline(tab, True)
    scan_by_keyboard(tab, "ZZZZ0000")
    tab.wait("document.getElementById('pending').innerText !== ''")
    assert pending(tab) == ("1 en attente d'envoi" if lang == "fr" else "1 waiting to be sent")
    assert tab.axe() == []
    tab.tab_to(
        "document.activeElement.textContent === '"
        + ("Envoyer maintenant" if lang == "fr" else "Send now")
        + "'"
    )
    tab.driver.switch_to.active_element.send_keys(Keys.ENTER)  # tried again at once: still no network
    assert pending(tab) == ("1 en attente d'envoi" if lang == "fr" else "1 waiting to be sent")
    offline(tab, False)  # sent by itself ("online", or the timer)
    tab.wait("document.getElementById('pending').innerText === ''", timeout=30)
    assert tab.js("document.getElementById('send-now').hidden") is True
    assert outcome(tab).startswith("Code inconnu : ZZZZ0000." if lang == "fr" else "Unknown code: ZZZZ0000.")
    assert tab.axe() == []
    tab.screenshot(f"sent-{lang}")
    assert script_errors(tab) == []
