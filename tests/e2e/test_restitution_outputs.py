"""The restitution's public outputs at stable addresses, from outside: the HTML pages (the latest version,
an earlier one, the series' index, a 404 page), the Atom feed of versions and commitment changes, and the
JSON Schema the JSON answers follow. What organisers typed, however hostile, comes out as text."""

import uuid
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urldefrag

import feedparser
import requests
from jsonschema import Draft202012Validator

from harness.stack import free_port
from harness.testing import wait_until

from .client import unique
from .test_restitution import closed_round, prefilled_draft
from .test_topics import participants

PORT = free_port()
PUBLIC = f"http://localhost:{PORT}"  # not the address the tests call (127.0.0.1): the feed's links use this
STACK_SETTINGS = {"GATEWAY_PORT": PORT, "PUBLIC_BASE_URL": PUBLIC}
SUMMARY = (
    "Synthèse <script>window.__pwned=1</script>, <img src=x onerror=alert(1)> et [x](javascript:alert(1))."
)
TITLE = "Ouvrir <script>window.__pwned=2</script> ]]>"
OWNER = "<img src=x onerror=alert(2)>"
NOTE = "Résumé <b>précisé</b>"
CARRIED = "Algorithmes <script>window.__pwned=3</script>"
WHY = "Faute de temps <img src=x onerror=alert(3)>"
ATOM = "{http://www.w3.org/2005/Atom}"


class Page(HTMLParser):
    """What a browser would make of the page: its elements, their attributes, its text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.words, self.lang = [], [], [], None
        self.feed(html)
        self.text = "".join(self.words)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs
        if tag == "html":
            self.lang = dict(attrs).get("lang")

    def handle_data(self, data):
        self.words.append(data)


def get(path, **headers):
    return requests.get(f"http://127.0.0.1:{PORT}{path}", headers=headers, timeout=30)


def page(response, lang="fr"):
    """The page, after checking what every public record page is: HTML, inert, cacheable, in ``lang`` only
    (the other language named by the switcher alone)."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    html = response.text
    parsed = Page(html)
    other = "en" if lang == "fr" else "fr"
    assert parsed.lang == lang and [value for name, value in parsed.attributes if name == "lang"] == [
        lang,
        other,
    ]
    assert "script" not in parsed.tags and "<script" not in html.lower()
    assert not [name for name, _ in parsed.attributes if name.startswith("on")], "no event attribute"
    assert "javascript:" not in html.lower()
    assert {"h1", "h2"} <= set(parsed.tags)
    return parsed


def published(api, mail):
    """A forum whose restitution has two versions, with a hostile commitment that changed once."""
    forum = api.create_forum(title=unique("Forum <i>ouvert</i>"))
    path = f"/forums/{forum['id']}/restitution"
    (alice,) = participants(api, mail, forum, "citizen")
    closed_round(api, forum, alice)
    carry_over_a_topic(api, forum, path)
    draft = prefilled_draft(api, path)
    draft["sections"][0]["body"] = SUMMARY
    content = {
        "version": draft["version"],
        "summary": SUMMARY,
        "sections": draft["sections"],
        "decisions": ["Publier <u>les</u> données"],
        "commitments": [{"title": TITLE, "owner": OWNER, "due_on": "2027-06-30", "status": "planned"}],
    }
    assert api.organiser("PUT", path, json=content).status_code == 200
    assert api.organiser("POST", f"{path}/publish", json={}).status_code == 201
    current = api.organiser("GET", f"{path}/draft").json()
    revised = {key: current[key] for key in ("version", "sections", "decisions", "commitments")}
    assert api.organiser("PUT", path, json=revised | {"summary": SUMMARY + " Précisé."}).status_code == 200
    assert api.organiser("POST", f"{path}/publish", json={"note": NOTE}).status_code == 201
    return forum, api.call("GET", path).json()


def carry_over_a_topic(api, forum, path):
    """A topic the round did not take, carried to the series backlog with a hostile reason; the draft's
    facts say it once the restitution service has heard of it."""
    topic = api.organiser("POST", f"/forums/{forum['id']}/topics", json={"title": CARRIED})
    assert topic.status_code == 201, topic.text
    carried = api.organiser("POST", f"/topics/{topic.json()['id']}/carry-over", json={"why": WHY})
    assert carried.status_code == 200, carried.text
    wait_until(
        lambda: api.organiser("GET", f"{path}/draft").json()["facts"]["carried_over"],
        30,
        message="the carry-over among the draft's facts",
    )


def change(api, commitment_id):
    body = {"status": "in_progress", "note": "Jeu <em>en cours</em>"}
    changed = api.organiser("PATCH", f"/commitments/{commitment_id}", json=body)
    assert changed.status_code == 200, changed.text


def test_pages_feed_and_schema_of_a_hostile_restitution(api, mail):
    forum, latest = published(api, mail)
    forum_id, (commitment,) = forum["id"], latest["commitments"]

    shown = page(get(f"/restitutions/{forum_id}"))
    assert SUMMARY.split(" et ")[0] in shown.text  # the tags typed in the summary, shown as typed
    assert TITLE in shown.text and OWNER in shown.text and forum["title"] in shown.text
    assert "Publier <u>les</u> données" in shown.text and NOTE in shown.text
    assert CARRIED in shown.text and WHY in shown.text and "Sujets reportés" in shown.text
    assert "prévu" in shown.text and "planned" not in shown.text  # the status in words, the page's own
    assert ("href", f"/restitutions/{forum_id}/versions/1") in shown.attributes
    assert ("id", f"commitment-{commitment['id']}") in shown.attributes
    assert ("href", f"/api/v1/forums/{forum_id}/attendance.csv") in shown.attributes
    assert "Données ouvertes" in shown.text and "superseded" not in shown.text

    earlier = page(get(f"/restitutions/{forum_id}/versions/1"))
    assert "Vous lisez la version 1, remplacée par une version plus récente (version 2)" in earlier.text
    assert ("href", f"/restitutions/{forum_id}") in earlier.attributes
    assert "Précisé." in shown.text and "Précisé." not in earlier.text

    english = page(get(f"/en/restitutions/{forum_id}"), "en")  # the same record, in English
    assert TITLE in english.text and CARRIED in english.text and "Topics carried over" in english.text
    assert "planned" in english.text and "prévu" not in english.text and "Open data" in english.text
    assert ("href", f"/en/restitutions/{forum_id}/versions/1") in english.attributes
    assert ("href", f"/api/v1/forums/{forum_id}/attendance.csv") in english.attributes  # data: one address
    english_earlier = page(get(f"/en/restitutions/{forum_id}/versions/1"), "en")
    assert "You are reading version 1, superseded by a later one (version 2)" in english_earlier.text
    assert ("href", f"/en/restitutions/{forum_id}") in english_earlier.attributes

    index = page(get("/restitutions"))
    assert ("href", f"/restitutions/{forum_id}") in index.attributes and forum["title"] in index.text
    assert ("href", "/api/v1/commitments.csv") in index.attributes
    assert ("href", "/restitutions/feed.atom") in index.attributes
    english_index = page(get("/en/restitutions"), "en")
    assert ("href", f"/en/restitutions/{forum_id}") in english_index.attributes
    assert ("href", "/restitutions/feed.atom") in english_index.attributes

    for missing in (f"/restitutions/{uuid.uuid4()}", f"/restitutions/{forum_id}/versions/3"):
        gone = get(missing)
        assert (gone.status_code, gone.headers["Content-Type"]) == (404, "text/html; charset=utf-8")
        assert "Page introuvable" in gone.text and gone.headers["Cache-Control"] == "no-store"
        gone = get("/en" + missing)
        assert (
            gone.status_code == 404 and "Page not found" in gone.text and "Page introuvable" not in gone.text
        )

    # the same page is the same body: asked again with its ETag, 304 until the record changes
    first = get(f"/restitutions/{forum_id}")
    etag = first.headers["ETag"]
    again = get(f"/restitutions/{forum_id}", **{"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)
    english_etag = get(f"/en/restitutions/{forum_id}").headers["ETag"]  # each language its own body
    assert english_etag != etag
    assert get(f"/en/restitutions/{forum_id}", **{"If-None-Match": english_etag}).status_code == 304
    change(api, commitment["id"])
    changed = get(f"/restitutions/{forum_id}", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "en cours" in page(changed).text and "Jeu <em>en cours</em>" in Page(changed.text).text

    check_the_feed(forum, commitment)
    check_the_schema(api, forum_id)


def check_the_feed(forum, commitment):
    response = get("/restitutions/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert b"<script" not in response.content and b"]]>" not in response.content
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.id and parsed.feed.title and parsed.feed.updated and parsed.feed.author
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": f"{PUBLIC}/restitutions/feed.atom", "alternate": f"{PUBLIC}/restitutions"}
    assert len(parsed.entries) <= 50
    moments = [entry.updated_parsed for entry in parsed.entries]
    assert moments == sorted(moments, reverse=True), "newest first"
    mine = [entry for entry in parsed.entries if forum["id"] in entry.link]
    for entry in mine:
        assert entry.id.startswith("urn:uuid:") and entry.title and entry.updated and entry.link
        assert entry.link.startswith(f"{PUBLIC}/restitutions/")
        target = get(urldefrag(entry.link).url.removeprefix(PUBLIC))
        assert target.status_code == 200 and target.headers["Content-Type"].startswith("text/html")
    by_link = {entry.link: entry for entry in mine}
    for number in (1, 2):
        version = by_link[f"{PUBLIC}/restitutions/{forum['id']}/versions/{number}"]
        assert version.title == f"{forum['title']} — restitution, version {number}"
    assert by_link[f"{PUBLIC}/restitutions/{forum['id']}/versions/2"].summary == NOTE
    changed = by_link[f"{PUBLIC}/restitutions/{forum['id']}#commitment-{commitment['id']}"]
    assert changed.title == f"{TITLE} — en cours / in progress" and changed.summary == "Jeu <em>en cours</em>"
    # the hostile title is a text node of well-formed XML, and entry ids stay the same from one read to the next
    document = ET.fromstring(get("/restitutions/feed.atom").content)
    titles = [element.text for element in document.iter(f"{ATOM}title")]
    assert changed.title in titles
    assert {entry.id for entry in mine} <= {element.text for element in document.iter(f"{ATOM}id")}


def check_the_schema(api, forum_id):
    response = get("/api/v1/restitution.schema.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/schema+json")
    schema = response.json()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema" and schema["$id"]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    path = f"/forums/{forum_id}/restitution"
    for answer in (api.call("GET", path).json(), api.call("GET", f"{path}/versions/1").json()):
        validator.validate(answer)
        assert set(answer) == set(schema["properties"]), "every key answered is described, and no other"
    latest = api.call("GET", path).json()
    wrong = [
        {key: value for key, value in latest.items() if key != "commitments"},
        latest | {"schema_version": 2},
        latest | {"commitments": [latest["commitments"][0] | {"status": "finished"}]},
        latest | {"attendance": [{"stakeholder_group": "citizen", "registered": "1", "checked_in": 0}]},
        latest | {"versions": []},
    ]
    for answer in wrong:
        assert not validator.is_valid(answer), answer
