"""A registration's life and its forum's changes, told to its registrants (and only those concerned)."""

from datetime import timedelta

import icalendar

from services.registration.events import catalog

from .test_notification_emails import (
    STARTS,
    files_of,
    forum_block,
    handled,
    mail_to,
    registration,
    someone,
    text_of,
)


def test_a_promotion_after_the_waiting_list_and_a_stale_waitlisting_that_says_nothing(
    notification, publish, smtp_sink, service_config
):
    forum, first, second = forum_block(), someone("fr"), someone("en")
    waiting = registration("registration_waitlisted", forum, first, waitlist_position=1)
    promoted = registration(
        "registration_promoted",
        forum,
        first,
        waiting["data"]["registration_id"],
        attendee_code="Q9W8E7",
        reason="a seat was freed by a cancellation",
    )
    publish(waiting)
    [told] = mail_to(smtp_sink, first["email"])
    assert told["Subject"] == "Liste d'attente : Forum de mai" and "position 1" in text_of(told)
    assert "/me/session?token=" in text_of(told) and not files_of(told).get("attendee-code.png")
    publish(promoted)
    [_, seat] = mail_to(smtp_sink, first["email"], 2)
    assert seat["Subject"] == "Une place pour vous : Forum de mai"
    text = text_of(seat)
    assert "Pourquoi vous : a seat was freed by a cancellation" in text and "Q9W8E7" in text
    assert set(files_of(seat)) == {"invitation.ics", "attendee-code.png"}
    # The other way round (the promotion's queue was faster): the older waitlisting is not sent.
    late = registration("registration_waitlisted", forum, second, waitlist_position=2)
    ahead = registration(
        "registration_promoted",
        forum,
        second,
        late["data"]["registration_id"],
        attendee_code="A1",
        reason="r",
    )
    publish(ahead)
    mail_to(smtp_sink, second["email"])
    publish(late)
    handled(service_config, late)
    assert [m["Subject"] for m in mail_to(smtp_sink, second["email"])] == ["A seat for you: Forum de mai"]


def test_a_cancelled_forum_tells_each_registrant_once_with_the_reason(notification, publish, smtp_sink):
    forum = forum_block(status="cancelled")
    people = [someone("fr"), someone("en")]
    cancellations = [
        registration(
            "registration_cancelled",
            forum,
            person,
            cancelled_by="forum_cancelled",
            previous_status="confirmed",
            reason="la salle est indisponible",
        )
        for person in people
    ]
    publish(*cancellations, catalog.envelope("forum_cancelled", {"forum": forum, "reason": "x"}))
    [fr] = mail_to(smtp_sink, people[0]["email"])
    [en] = mail_to(smtp_sink, people[1]["email"])
    assert fr["Subject"] == "Forum annulé : Forum de mai"
    assert "Raison donnée par les organisateurs : la salle est indisponible" in text_of(fr)
    assert en["Subject"] == "Forum cancelled: Forum de mai"
    assert "The organisers' reason: la salle est indisponible" in text_of(en)
    assert len(smtp_sink.messages()) == 2


def test_a_change_of_date_reaches_confirmed_and_waitlisted_registrants_and_a_title_change_nobody(
    notification, publish, smtp_sink, service_config
):
    forum = forum_block()
    seated, waiting, gone = someone("en"), someone("fr"), someone("en")
    seat = registration("registration_confirmed", forum, seated, attendee_code="S1")
    gone_seat = registration("registration_confirmed", forum, gone, attendee_code="S2")
    left = registration(
        "registration_cancelled",
        forum,
        gone,
        gone_seat["data"]["registration_id"],
        cancelled_by="person",
        previous_status="confirmed",
    )
    publish(seat, registration("registration_waitlisted", forum, waiting, waitlist_position=1), gone_seat)
    for person in (seated, waiting, gone):
        mail_to(smtp_sink, person["email"])
    publish(left)
    mail_to(smtp_sink, gone["email"], 2)
    retitled = catalog.envelope(
        "forum_updated",
        {"forum": forum | {"title": "Forum de juin"}, "changes": ["title"], "previous": {"title": "x"}},
    )
    publish(retitled)
    handled(service_config, retitled)
    moved_to = STARTS + timedelta(days=7)
    moved = catalog.envelope(
        "forum_updated",
        {
            "forum": forum | {"starts_at": moved_to, "ends_at": moved_to + timedelta(hours=8)},
            "changes": ["ends_at", "starts_at"],
            "previous": {
                "starts_at": STARTS.isoformat(),
                "ends_at": (STARTS + timedelta(hours=8)).isoformat(),
            },
        },
    )
    publish(moved)
    [_, told] = mail_to(smtp_sink, seated["email"], 2)
    assert told["Subject"] == "Forum changed: Forum de mai"
    assert (
        "Date : Tuesday 4 May 2027, from 09:30 to 17:30 (Europe/Paris)"
        " → Tuesday 11 May 2027, from 09:30 to 17:30 (Europe/Paris)"
    ) in text_of(told)
    [vevent] = icalendar.Calendar.from_ical(files_of(told)["invitation.ics"].get_content()).walk("VEVENT")
    assert vevent.decoded("DTSTART") == moved_to
    assert str(seat["data"]["registration_id"]) in str(vevent["UID"])
    [_, told_waiting] = mail_to(smtp_sink, waiting["email"], 2)
    assert "mardi 4 mai 2027, de 09:30 à 17:30 (Europe/Paris) → mardi 11 mai 2027" in text_of(told_waiting)
    assert not files_of(told_waiting)
    handled(service_config, moved)
    assert len(mail_to(smtp_sink, gone["email"])) == 2  # confirmation and cancellation only
    assert len(smtp_sink.messages()) == 6
