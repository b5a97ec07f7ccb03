"""The notification service and the discussion of restitutions, without a broker: what it reads from the
comment events, the reply's email, and the organisers' moderation digest (``rules.organiser_addresses``,
``rules.digest_due``, ``rules.digest_event_id``, ``rules.digest_forums``)."""

import html
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kit.events import InvalidEvent, read_envelope
from services.notification import rules
from services.notification.incoming import RESTITUTION_SCHEMAS
from services.notification.links import Links
from services.notification.rendering import Renderer
from services.restitution.events import catalog

RENDERER = Renderer()
LINKS = Links("https://forums.example.org/", "unit-secret")
FORUM_ID, COMMENT_ID = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2027, 7, 1, 12, tzinfo=UTC)


def comment(**changes):
    block = {"id": COMMENT_ID, "forum_id": FORUM_ID, "commitment_id": None, "parent_id": uuid.uuid4()}
    return block | changes


def read(event_type, data):
    return read_envelope(catalog.envelope(event_type, data), RESTITUTION_SCHEMAS[event_type])[1]


def test_the_comment_events_are_read_as_the_contract_makes_them():
    submitted = read("comment_submitted", {"comment": comment(status="pending", created_at=NOW)})
    assert submitted["comment"] == {
        "id": COMMENT_ID,
        "forum_id": FORUM_ID,
        "status": "pending",
        "created_at": NOW,
    }
    published = comment(body="Oui.", author_name=None, published_at=NOW)
    data = read("comment_published", {"comment": published, "notify_person_id": None})
    assert data["notify_person_id"] is None and data["comment"]["author_name"] is None
    assert data["comment"]["body"] == "Oui."
    hidden = read("comment_hidden", {"comment": comment(), "reason": "Hors sujet"})
    assert hidden["comment"] == {"id": COMMENT_ID, "forum_id": FORUM_ID}  # the reason is not needed here
    with pytest.raises(InvalidEvent):
        read(
            "comment_published",
            {"comment": comment(author_name=None, published_at=NOW), "notify_person_id": None},
        )


def test_a_reply_is_quoted_line_by_line_as_plain_text():
    assert rules.reply_lines("  First\tline \n\n\nSecond  line\n") == ["First line", "Second line"]
    assert rules.reply_lines("") == []


def reply(locale, author_name="Sam", body="<script>alert(1)</script>", forum=True):
    context = {
        "person": {"first_name": "Ana", "last_name": "Martin"},
        "forum": {"title": "Forum de mai"} if forum else None,
        "comment": {"author_name": author_name},
        "reply": rules.reply_lines(body),
        "links": {"comment": LINKS.comment(FORUM_ID, COMMENT_ID, locale)},
    }
    return RENDERER.render("comment_replied", locale, context)


def test_a_reply_names_the_forum_the_replier_and_links_to_the_comment_in_both_languages():
    fr, en = reply("fr"), reply("en")
    assert fr.subject == "Réponse à votre commentaire sur la restitution de « Forum de mai »"
    assert en.subject == 'A reply to your comment on the restitution of "Forum de mai"'
    assert "Sam a répondu à votre commentaire" in fr.text and "Sam replied to your comment" in en.text
    assert "demandé à être prévenu·e des réponses" in fr.text and "asked to be told of replies" in en.text
    for rendered, site in ((fr, "https://forums.example.org"), (en, "https://forums.example.org/en")):
        link = f"{site}/restitutions/{FORUM_ID}#comment-{COMMENT_ID}"  # the page in the email's language
        assert link in rendered.text and f'href="{link}"' in rendered.html
        assert "> <script>alert(1)</script>" in rendered.text  # the text part: as typed
        assert "<script>" not in rendered.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html


def test_a_reply_without_a_name_or_a_known_forum_says_so_plainly():
    anonymous = reply("en", author_name=None, forum=False)
    assert anonymous.subject == "A reply to your comment on the restitution of an Open d'Etat forum"
    assert "A participant replied" in anonymous.text and "None" not in anonymous.text


def test_organiser_addresses_are_read_once_each_and_a_wrong_one_is_refused():
    assert rules.organiser_addresses(" a@example.org, ,B@example.org,A@EXAMPLE.org ") == (
        "a@example.org",
        "B@example.org",
    )
    assert rules.organiser_addresses("") == () and rules.organiser_addresses(None) == ()
    with pytest.raises(ValueError, match="not-an-address, x@y@z"):
        rules.organiser_addresses("ok@example.org, not-an-address, x@y@z")


def test_a_digest_is_due_when_none_went_or_the_last_is_old_enough():
    assert rules.digest_due(None, NOW, 3600)
    assert not rules.digest_due(NOW - timedelta(minutes=59), NOW, 3600)
    assert rules.digest_due(NOW - timedelta(hours=1), NOW, 3600)
    assert rules.digest_due(NOW, NOW, 0)


def test_a_digests_event_id_depends_on_the_comments_it_tells_only():
    a, b = uuid.uuid4(), uuid.uuid4()
    assert rules.digest_event_id([a, b]) == rules.digest_event_id([str(b), a])
    assert rules.digest_event_id([a]) != rules.digest_event_id([a, b])


def test_a_digest_counts_per_forum_what_waits_and_what_is_new():
    one, two = uuid.uuid4(), uuid.uuid4()
    waiting = [
        {"forum_id": one, "waiting": 3, "oldest": NOW - timedelta(days=2)},
        {"forum_id": two, "waiting": 1, "oldest": NOW},
    ]
    forums = rules.digest_forums(waiting, [{"forum_id": one}, {"forum_id": str(two)}])
    assert [(f["forum_id"], f["waiting"], f["new"]) for f in forums] == [(one, 3, 1), (two, 1, 1)]
    assert rules.digest_totals(forums) == {"waiting": 4, "new": 2}
    assert rules.digest_forums(waiting[:1], [])[0]["new"] == 0


def test_the_digest_gives_counts_and_links_never_a_comments_text_or_author():
    line = {
        "forum_id": FORUM_ID,
        "title": "Forum <de> mai",
        "waiting": 3,
        "new": 1,
        "timezone": "Europe/Paris",
    }
    line |= {"oldest": NOW, "page": LINKS.discussion(FORUM_ID), "pending": LINKS.pending_comments(FORUM_ID)}
    context = {"digest": {"waiting": 3, "new": 1}, "waiting_forums": [line]}
    fr, en = (
        RENDERER.render("moderation_digest", "fr", context),
        RENDERER.render("moderation_digest", "en", context),
    )
    assert fr.subject == "Modération : 3 commentaires en attente, dont 1 nouveau"
    assert en.subject == "Moderation: 3 comments waiting, 1 new"
    assert (
        "« Forum <de> mai » : 3 en attente (1 nouveau), le plus ancien depuis le jeudi 1 juillet 2027 à 14:00"
        in (fr.text)
    )
    assert '"Forum <de> mai": 3 waiting (1 new), the oldest since Thursday 1 July 2027 at 14:00' in en.text
    for rendered in (fr, en):
        assert f"https://forums.example.org/restitutions/{FORUM_ID}#comments" in rendered.text
        assert f"GET https://forums.example.org/api/v1/comments/pending?forum_id={FORUM_ID}" in rendered.text
        assert "<de>" not in rendered.html and "Forum <de> mai" in html.unescape(rendered.html)
