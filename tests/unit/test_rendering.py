import html
from datetime import UTC, datetime

import pytest

from services.notification.rendering import Renderer

RENDERER = Renderer()
MANAGE = "https://forums.example.org/me/session?token=abc.def"
CONFIRM = "https://forums.example.org/subscriptions/confirm#token=ghi.jkl"
HOME = "https://forums.example.org/"
UNSUBSCRIBE = "https://forums.example.org/api/v1/unsubscribe/mno.pqr"
VOTE = "https://forums.example.org/me/session?token=stu.vwx&round=r1"
RESULTS = "https://forums.example.org/rounds/r1/results"
# The topics' messages speak of a round or a proposal, not of the forum's date and place.
ROUND_MESSAGES = ("round_opened", "round_closing_soon", "round_closed")
PROPOSAL_MESSAGES = ("topic_published", "topic_rejected", "topic_merged")
RESTITUTION_MESSAGES = ("restitution_published",)  # names the forum by the title the restitution gives
COMMENT_MESSAGES = ("comment_replied", "moderation_digest")  # a discussion's, not the forum's date and place
FORUM_MESSAGES = [
    t
    for t in RENDERER.templates()
    if t
    not in (
        "subscription_requested",
        *ROUND_MESSAGES,
        *PROPOSAL_MESSAGES,
        *RESTITUTION_MESSAGES,
        *COMMENT_MESSAGES,
    )
]
# To an address nobody has confirmed yet, or to the organisers' addresses: no name typed by anyone.
NAMELESS = ("subscription_requested", "moderation_digest")


def forum(title="Forum ouvert", **changes):
    return {
        "id": "f1",
        "title": title,
        "starts_at": datetime(2027, 1, 10, 8, tzinfo=UTC),
        "ends_at": datetime(2027, 1, 10, 16, 30, tzinfo=UTC),
        "timezone": "Europe/Paris",
        "venue": {"name": "Ségur", "address": "20 avenue de Ségur", "city": "Paris", "accessibility": ""},
    } | changes


def context(first_name="Ana", title="Forum ouvert", **extra):
    return {
        "forum": forum(title),
        "person": {"first_name": first_name, "last_name": "Martin"},
        "waitlist_position": 4,
        "attendee_code": "K7P2QX",
        "reason": "a seat was freed",
        "cause": None,
        "reserved_for": None,
        "cancelled_by": "person",
        "links": {
            "manage": MANAGE,
            "confirm_subscription": CONFIRM,
            "register": HOME,
            "unsubscribe": UNSUBSCRIBE,
            "vote": VOTE,
            "results": RESULTS,
        },
        "previous_forum": forum(title, starts_at=datetime(2027, 1, 3, 8, tzinfo=UTC)),
        "changed": ["date"],
        "status": "confirmed",
        "round": {
            "id": "r1",
            "method": "dots",
            "closes_at": datetime(2027, 1, 3, 17, tzinfo=UTC),
            "timezone": "Europe/Paris",
        },
        "topics": ["Open contracts", "Algorithms in public services"],
        "agenda": ["Algorithms in public services"],
        "hours_left": 24,
        "topic": {"id": "t1", "title": "Open contracts", "forum_id": "f1"},
        "into": {"id": "t2", "title": "Open procurement data", "forum_id": "f1"},
        "restitution": {
            "title": title,
            "version": 2,
            "updated": True,
            "note": "Workshop notes",
            "commitments": 2,
        },
        "excerpt": ["What was said", "What was decided"],
        "comment": {"author_name": "Sam"},
        "reply": ["I agree with the first point."],
        "digest": {"waiting": 2, "new": 1},
        "waiting_forums": [
            {"forum_id": "f1", "title": title, "waiting": 2, "new": 1, "timezone": "Europe/Paris"}
            | {"oldest": datetime(2027, 1, 12, 9, tzinfo=UTC), "page": "https://forums.example.org/r/f1"}
            | {"pending": "https://forums.example.org/api/v1/comments/pending?forum_id=f1"}
        ],
    } | extra


def bodies(rendered):
    return rendered.text, html.unescape(rendered.html)


@pytest.mark.parametrize("template", RENDERER.templates())
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_message_renders_in_both_locales(template, locale):
    rendered = RENDERER.render(template, locale, context())
    assert f'<html lang="{locale}">' in rendered.html
    for body in bodies(rendered):
        assert ("Ana Martin" in body) is (template not in NAMELESS)
    if template in FORUM_MESSAGES:
        assert "Forum ouvert" in rendered.subject
        for body in bodies(rendered):
            assert "Forum ouvert" in body
            assert "09:00" in body and "17:30" in body  # local time in Paris, not UTC
            assert "20 avenue de Ségur" in body or template == "forum_updated"  # that one says what changed
    if template in (*ROUND_MESSAGES, *RESTITUTION_MESSAGES, *COMMENT_MESSAGES):
        assert ("Forum ouvert" in rendered.subject) is (template != "moderation_digest")  # of every forum
        for body in bodies(rendered):
            assert "Forum ouvert" in body
    if template in PROPOSAL_MESSAGES:
        assert "Open contracts" in rendered.subject
        for body in bodies(rendered):
            assert "Open contracts" in body and "Forum ouvert" in body


@pytest.mark.parametrize("template", RENDERER.templates())
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_markup_is_escaped_and_subjects_stay_on_one_line(template, locale):
    hostile = context(first_name="<script>x</script>", title="A <b>\r\nBcc: x@evil", reason="<i>r</i>")
    hostile["topic"]["title"] = hostile["into"]["title"] = "<u>\r\nBcc: y@evil"
    hostile["topics"] = hostile["agenda"] = hostile["excerpt"] = ["<s>struck</s>"]
    hostile["restitution"]["note"] = "<i>note</i>"
    hostile["comment"]["author_name"] = "<b>Sam</b>"
    hostile["reply"] = ["<s>struck</s>"]
    hostile["waiting_forums"][0]["title"] = "<u>forum</u>"
    hostile["forum"]["venue"]["accessibility"] = "<img src=x>"
    hostile["changed"] = ["date", "venue", "accessibility"]
    rendered = RENDERER.render(template, locale, hostile)
    for tag in ("<script>", "<b>", "<i>", "<img", "<u>", "<s>"):
        assert tag not in rendered.html
    assert ("&lt;script&gt;" in rendered.html) is (template not in NAMELESS)
    assert "\n" not in rendered.subject and "\r" not in rendered.subject


def test_french_and_english_differ_and_unknown_locale_falls_back_to_french():
    fr = RENDERER.render("registration_confirmed", "fr", context())
    en = RENDERER.render("registration_confirmed", "en", context())
    assert fr.subject == "Inscription confirmée : Forum ouvert"
    assert en.subject == "Registration confirmed: Forum ouvert"
    assert "dimanche 10 janvier 2027" in fr.text
    assert "Sunday 10 January 2027" in en.text
    assert RENDERER.render("registration_confirmed", "de", context()) == fr


@pytest.mark.parametrize("template", ["registration_confirmed", "registration_promoted"])
def test_a_booked_seat_shows_the_attendee_code_the_calendar_file_and_the_management_link(template):
    rendered = RENDERER.render(template, "en", context())
    text, shown = bodies(rendered)
    for body in (text, shown):
        assert "K7P2QX" in body and "attendee-code.png" in body and "invitation.ics" in body
        assert MANAGE in body
    assert f'href="{MANAGE}"' in rendered.html
    assert "letter-spacing" in rendered.html  # the code stands out
    assert "Accessibility" not in text  # no accessibility row when there is nothing to say


def test_accessibility_information_is_given_when_present():
    venue = forum()["venue"] | {"accessibility": "Step-free access by the side door"}
    rendered = RENDERER.render("registration_confirmed", "en", context(forum=forum(venue=venue)))
    assert "Accessibility : Step-free access by the side door" in rendered.text


def test_without_a_code_or_a_link_nothing_is_left_half_said():
    rendered = RENDERER.render("registration_confirmed", "fr", context(attendee_code=None, links={}))
    assert "code participant" not in rendered.text and "Gérer" not in rendered.text
    assert "<a href" not in rendered.html


def test_waitlisted_message_gives_the_position_and_the_link():
    assert "position 4" in RENDERER.render("registration_waitlisted", "fr", context()).text
    en = RENDERER.render("registration_waitlisted", "en", context())
    assert "number 4" in en.html and MANAGE in en.text and "K7P2QX" not in en.text


def test_promotion_says_why():
    assert "Why you: a seat was freed" in RENDERER.render("registration_promoted", "en", context()).text
    assert (
        "Pourquoi vous : a seat was freed" in RENDERER.render("registration_promoted", "fr", context()).text
    )


@pytest.mark.parametrize(
    ("cancelled_by", "subject", "phrase"),
    [
        ("person", "Registration cancelled: Forum ouvert", "As you asked"),
        ("organiser", "Registration cancelled: Forum ouvert", "The organisers cancelled your registration"),
        ("forum_cancelled", "Forum cancelled: Forum ouvert", "The organisers' reason: venue closed"),
    ],
)
def test_cancellation_says_by_whom_and_gives_the_forums_reason(cancelled_by, subject, phrase):
    rendered = RENDERER.render(
        "registration_cancelled", "en", context(cancelled_by=cancelled_by, reason="venue closed")
    )
    assert rendered.subject == subject
    assert phrase in rendered.text
    assert ("venue closed" in rendered.text) == (cancelled_by == "forum_cancelled")


def test_forum_cancelled_in_french():
    rendered = RENDERER.render(
        "registration_cancelled", "fr", context(cancelled_by="forum_cancelled", reason="grève")
    )
    assert rendered.subject == "Forum annulé : Forum ouvert"
    assert "Raison donnée par les organisateurs : grève" in rendered.text


def test_a_change_of_date_says_before_and_now():
    en = RENDERER.render("forum_updated", "en", context())
    assert en.subject == "Forum changed: Forum ouvert"
    assert "New date" in en.text
    assert (
        "Date : Sunday 3 January 2027, from 09:00 to 17:30 (Europe/Paris)"
        " → Sunday 10 January 2027, from 09:00 to 17:30 (Europe/Paris)"
    ) in en.text
    assert "invitation.ics" in en.text and MANAGE in en.text
    fr = RENDERER.render("forum_updated", "fr", context(status="waitlisted"))
    assert "dimanche 3 janvier 2027, de 09:00 à 17:30 (Europe/Paris) → dimanche 10 janvier 2027" in fr.text
    assert "sur la liste d'attente" in fr.text and "invitation.ics" not in fr.text


def test_a_change_of_venue_and_accessibility_says_before_and_now():
    before = forum(
        venue={"name": "Bercy", "address": "139 rue de Bercy", "city": "Paris", "accessibility": ""}
    )
    after = forum(
        venue={"name": "Ségur", "address": "20 avenue de Ségur", "city": "Paris", "accessibility": "Lift"}
    )
    rendered = RENDERER.render(
        "forum_updated",
        "en",
        context(forum=after, previous_forum=before, changed=["venue", "accessibility"]),
    )
    assert "Change of venue" in rendered.text
    assert "Venue : Bercy, 139 rue de Bercy, Paris → Ségur, 20 avenue de Ségur, Paris" in rendered.text
    assert "Accessibility : — → Lift" in rendered.text
    assert "Date :" not in rendered.text
    assert "Bercy, 139 rue de Bercy, Paris → Ségur" in html.unescape(rendered.html)


def test_subscription_confirmation_gives_its_link_and_no_forum():
    for locale in ("fr", "en"):
        rendered = RENDERER.render(
            "subscription_requested",
            locale,
            {"person": context()["person"]} | {"links": {"confirm_subscription": CONFIRM}},
        )
        assert CONFIRM in rendered.text and f'href="{CONFIRM}"' in rendered.html
        assert "7" in rendered.text  # how long the link lasts
        assert MANAGE not in rendered.text


def test_a_subscription_to_confirm_names_nobody_whoever_typed_the_address():
    lure = {"first_name": "Votre compte est suspendu", "last_name": "allez sur https://evil.example/"}
    for locale, greeting in (("fr", "Bonjour,"), ("en", "Hello,")):
        person = context()["person"] | lure
        rendered = RENDERER.render(
            "subscription_requested", locale, {"person": person, "links": {"confirm_subscription": CONFIRM}}
        )
        assert greeting in rendered.text
        for part in (rendered.subject, rendered.text, rendered.html):
            assert "suspendu" not in part and "evil.example" not in part


def test_management_link_with_and_without_a_forum():
    again = RENDERER.render("management_link_requested", "en", context())
    assert again.subject == "You are already registered: Forum ouvert"
    assert "already registered for the forum" in again.text and MANAGE in again.text
    plain = RENDERER.render("management_link_requested", "fr", context(forum=None))
    assert plain.subject == "Votre lien pour gérer vos inscriptions Open d'Etat"
    assert "déjà inscrite" not in plain.text and "Date :" not in plain.text and MANAGE in plain.text


def test_an_accessibility_only_change_says_so():
    venue = forum()["venue"] | {"accessibility": "Lift at the back"}
    rendered = RENDERER.render(
        "forum_updated",
        "en",
        context(forum=forum(venue=venue), previous_forum=forum(), changed=["accessibility"]),
    )
    assert "Accessibility information updated" in rendered.text
    assert "Accessibility : — → Lift at the back" in rendered.text
    assert "Venue :" not in rendered.text and "Date :" not in rendered.text


@pytest.mark.parametrize(
    "locale, reserved_for, phrase",
    [
        (
            "fr",
            "civil_society",
            "une place s’est libérée par une annulation ; c’est une place réservée au groupe « société civile »",
        ),
        ("fr", None, "vous étiez en tête de la liste d’attente"),
        (
            "en",
            "company",
            'a seat was freed by a cancellation; it is a seat reserved for the "companies" group',
        ),
        ("en", None, "you were first on the waiting list"),
    ],
)
def test_a_promotion_says_why_in_the_persons_language(locale, reserved_for, phrase):
    rendered = RENDERER.render(
        "registration_promoted", locale, context(cause="cancellation", reserved_for=reserved_for)
    )
    assert phrase in rendered.text


def test_sentences_kept_rendered_never_leak_from_one_message_to_the_next():
    """A sentence is kept rendered by the values it names (``Renderer._say``): every message, rendered
    after others with other values, is what a fresh renderer makes of it."""
    from dataclasses import astuple

    from services.notification import samples
    from services.notification.rendering import Renderer

    seasoned = Renderer()
    for locale in ("fr", "en"):
        for template in seasoned.templates():
            seasoned.render(template, locale, samples.context(template, locale, "https://a.example"))
    for locale in ("fr", "en"):
        for template in seasoned.templates():
            context = samples.context(template, locale, "https://b.example")
            context["person"] = context["person"] | {"first_name": "Zoé", "last_name": "<b>Ng</b>"}
            context["hours_left"], context["waitlist_position"] = 7, 12
            kept = seasoned.render(template, locale, context)
            assert astuple(kept) == astuple(Renderer().render(template, locale, context)), template
    assert seasoned.said  # some were kept
