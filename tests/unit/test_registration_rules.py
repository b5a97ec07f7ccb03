"""The registration rules on plain dicts: who gets a seat, who is promoted and why, which lifecycle moves
a forum may make, and when registration is open."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from services.registration import rules
from services.registration.errors import (
    CapacityBelowConfirmed,
    InvalidForumChange,
    InvalidTransition,
    QuotaInvalid,
    RegistrationClosed,
)

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def forum(**fields):
    return {
        "id": "forum-1",
        "status": "open",
        "capacity": 10,
        "confirmed_count": 0,
        "starts_at": NOW + 30 * 24 * HOUR,
        "ends_at": NOW + 30 * 24 * HOUR + 8 * HOUR,
        "registration_opens_at": None,
        "registration_closes_at": None,
        "quota_release_at": None,
        "quotas_released": False,
    } | fields


def waiting(registration_id, group, position):
    return {"id": registration_id, "stakeholder_group": group, "waitlist_position": position}


# seats


def test_without_quotas_every_seat_is_open_until_the_forum_is_full():
    groups = {"citizen": (0, 4)}
    assert rules.seat_for(10, 4, groups, "citizen", quotas_on=False) == "open"
    assert rules.seat_for(10, 9, groups, "company", quotas_on=False) == "open"
    assert rules.seat_for(10, 10, groups, "company", quotas_on=False) is None


def test_a_group_under_its_quota_gets_a_reserved_seat_even_when_the_open_seats_are_gone():
    # 10 seats, 4 reserved for civil society (1 taken); the 6 open seats all taken by companies
    groups = {"civil_society": (4, 1), "company": (0, 6)}
    assert rules.seat_for(10, 7, groups, "civil_society", quotas_on=True) == "reserved"
    assert rules.seat_for(10, 7, groups, "company", quotas_on=True) is None
    assert rules.seat_for(10, 7, groups, "citizen", quotas_on=True) is None


def test_a_group_past_its_quota_competes_for_the_open_seats():
    groups = {"civil_society": (2, 2), "company": (0, 3)}
    assert rules.seat_for(10, 5, groups, "civil_society", quotas_on=True) == "open"
    assert rules.seat_for(10, 5, groups, "citizen", quotas_on=True) == "open"


def test_reserved_seats_left_free_are_open_once_quotas_are_off():
    groups = {"civil_society": (4, 0), "company": (0, 6)}
    assert rules.seat_for(10, 6, groups, "company", quotas_on=True) is None
    assert rules.seat_for(10, 6, groups, "company", quotas_on=False) == "open"


def test_a_full_forum_has_no_seat_even_for_a_group_under_its_quota():
    groups = {"civil_society": (4, 1), "company": (0, 9)}
    assert rules.seat_for(10, 10, groups, "civil_society", quotas_on=True) is None


def test_quotas_are_active_until_released_or_their_release_date():
    assert rules.quotas_active(forum(), NOW)
    assert rules.quotas_active(forum(quota_release_at=NOW + HOUR), NOW)
    assert not rules.quotas_active(forum(quota_release_at=NOW), NOW)
    assert not rules.quotas_active(forum(quotas_released=True), NOW)
    assert not rules.quotas_active(forum(quotas_released=True, quota_release_at=NOW + HOUR), NOW)


# promotion


def test_a_free_reserved_seat_goes_to_the_first_of_the_group_under_quota_not_to_who_waited_longest():
    groups = {"civil_society": (3, 2), "company": (0, 7)}
    first = [waiting("company-1", "company", 1), waiting("civil-1", "civil_society", 5)]
    chosen = rules.promotion(forum(confirmed_count=9), groups, first, NOW)
    assert chosen == rules.Promotion(
        "civil-1", "a seat reserved for civil_society (2 of 3 taken)", "civil_society"
    )


def test_among_groups_under_quota_the_earliest_waiting_gets_the_seat():
    groups = {"civil_society": (3, 2), "research_media": (2, 1), "company": (0, 5)}
    first = [
        waiting("company-1", "company", 1),
        waiting("civil-1", "civil_society", 7),
        waiting("research-1", "research_media", 4),
    ]
    chosen = rules.promotion(forum(confirmed_count=8), groups, first, NOW)
    assert chosen.registration_id == "research-1"
    assert chosen.reserved_for == "research_media"
    assert chosen.why == "a seat reserved for research_media (1 of 2 taken)"


def test_an_open_seat_goes_to_the_earliest_waiting():
    groups = {"civil_society": (2, 2), "company": (0, 7)}
    first = [waiting("civil-1", "civil_society", 6), waiting("company-1", "company", 3)]
    chosen = rules.promotion(forum(confirmed_count=9), groups, first, NOW)
    assert chosen == rules.Promotion("company-1", "first on the waiting list", None)


def test_a_group_under_quota_with_nobody_waiting_leaves_only_open_seats_to_give():
    # 2 seats reserved for civil society, free, nobody of theirs waits: the 8 open seats are taken
    groups = {"civil_society": (2, 0), "company": (0, 8)}
    first = [waiting("company-1", "company", 1)]
    assert rules.promotion(forum(confirmed_count=8), groups, first, NOW) is None
    # one open seat more (a raised capacity): it goes to the company waiting
    chosen = rules.promotion(forum(capacity=11, confirmed_count=8), groups, first, NOW)
    assert chosen == rules.Promotion("company-1", "first on the waiting list", None)


def test_nobody_is_promoted_into_a_full_forum_or_from_an_empty_waiting_list():
    groups = {"civil_society": (3, 2), "company": (0, 8)}
    first = [waiting("civil-1", "civil_society", 2)]
    assert rules.promotion(forum(confirmed_count=10), groups, first, NOW) is None
    assert rules.promotion(forum(confirmed_count=9), groups, [], NOW) is None


def test_once_quotas_are_released_every_free_seat_goes_to_the_earliest_waiting():
    groups = {"civil_society": (4, 1), "company": (0, 6)}
    first = [waiting("company-1", "company", 1), waiting("civil-1", "civil_society", 2)]
    for released in (
        forum(confirmed_count=7, quotas_released=True),
        forum(confirmed_count=7, quota_release_at=NOW),
    ):
        assert rules.promotion(released, groups, first, NOW) == rules.Promotion(
            "company-1", "first on the waiting list", None
        )
    # before the release, the free seats are civil society's
    assert rules.promotion(forum(confirmed_count=7), groups, first, NOW).registration_id == "civil-1"


def test_a_promotion_reason_says_what_freed_the_seat_then_whose_it_was():
    assert (
        rules.promotion_reason("cancellation", "first on the waiting list")
        == "a seat was freed by a cancellation; first on the waiting list"
    )
    assert rules.promotion_reason("quota_released", "x").startswith("reserved seats were released; ")
    assert rules.promotion_reason("seats_added", "x").startswith("more seats became available; ")


# lifecycle

ALLOWED = [
    ("draft", "open", "forum_opened"),
    ("closed", "open", "forum_opened"),
    ("open", "closed", "forum_closed"),
    ("open", "held", "forum_held"),
    ("closed", "held", "forum_held"),
    ("draft", "cancelled", "forum_cancelled"),
    ("open", "cancelled", "forum_cancelled"),
    ("closed", "cancelled", "forum_cancelled"),
]


@pytest.mark.parametrize(("current", "target", "event"), ALLOWED)
def test_an_allowed_move_names_its_event(current, target, event):
    assert rules.check_transition(current, target) == event


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (current, target)
        for current in ("draft", "open", "closed", "held", "cancelled")
        for target in rules.TRANSITIONS
        if (current, target) not in {(c, t) for c, t, _ in ALLOWED}
    ],
)
def test_every_other_move_is_refused(current, target):
    with pytest.raises(InvalidTransition, match=f"^a {current} forum cannot become {target}$"):
        rules.check_transition(current, target)


def test_only_forums_still_to_come_can_be_changed():
    for status in ("draft", "open", "closed"):
        rules.check_editable(forum(status=status))
    for status in ("held", "cancelled"):
        with pytest.raises(InvalidTransition, match=f"^a {status} forum cannot be changed$"):
            rules.check_editable(forum(status=status))


def test_registrations_of_a_forum_held_stay_as_they_were():
    rules.check_cancellable(forum(status="closed"))
    with pytest.raises(InvalidTransition, match="has taken place"):
        rules.check_cancellable(forum(status="held"))


# the registration window


def test_registration_is_open_from_its_opening_to_its_close():
    rules.check_window(forum(), NOW)
    rules.check_window(forum(registration_opens_at=NOW, registration_closes_at=NOW + HOUR), NOW)


def test_registration_is_refused_unless_the_forum_is_open():
    for status in ("draft", "closed", "held", "cancelled"):
        with pytest.raises(RegistrationClosed, match=f"^this forum is {status}: registration is not open$"):
            rules.check_window(forum(status=status), NOW)


def test_registration_is_refused_before_it_opens():
    opens = NOW + HOUR
    with pytest.raises(RegistrationClosed, match=f"^registration opens at {re.escape(opens.isoformat())}$"):
        rules.check_window(forum(registration_opens_at=opens), NOW)


def test_registration_closes_at_its_close_else_when_the_forum_starts():
    with pytest.raises(RegistrationClosed, match="^registration for this forum has closed$"):
        rules.check_window(forum(registration_closes_at=NOW), NOW)
    with pytest.raises(RegistrationClosed, match="has closed"):
        rules.check_window(forum(starts_at=NOW, ends_at=NOW + HOUR), NOW)


# forum changes


def test_a_change_is_checked_against_the_forum_as_it_will_be():
    current = forum(registration_closes_at=NOW + 24 * HOUR)
    rules.check_consistent(current, {}, {"title": "Nouveau titre"})
    with pytest.raises(InvalidForumChange, match="would end before it starts"):
        rules.check_consistent(current, {}, {"ends_at": (current["starts_at"] - HOUR).isoformat()})
    with pytest.raises(InvalidForumChange, match="would open after it closes"):
        rules.check_consistent(current, {}, {"registration_opens_at": NOW + 25 * HOUR})
    with pytest.raises(QuotaInvalid, match="^6 reserved seats exceed the capacity of 5$"):
        rules.check_consistent(current, {"citizen": (6, 0)}, {"capacity": 5})


def test_capacity_cannot_go_below_the_seats_taken():
    rules.check_capacity(forum(confirmed_count=3), 3)
    with pytest.raises(CapacityBelowConfirmed, match="^3 seats are already taken: capacity cannot be 2$"):
        rules.check_capacity(forum(confirmed_count=3), 2)


def test_a_quota_can_be_lowered_but_not_below_the_seats_its_group_has_taken():
    groups = {"civil_society": (4, 3)}
    rules.check_quotas({"civil_society": 3}, 10, groups)
    rules.check_quotas({"civil_society": 5}, 10, groups)
    with pytest.raises(
        QuotaInvalid, match="^3 civil_society registrations are confirmed: cannot reserve only 2$"
    ):
        rules.check_quotas({"civil_society": 2}, 10, groups)
    with pytest.raises(QuotaInvalid, match="^11 reserved seats exceed the capacity of 10$"):
        rules.check_quotas({"civil_society": 6, "company": 5}, 10, groups)


def test_an_attendee_code_has_nothing_to_misread_at_the_door():
    codes = {rules.attendee_code() for _ in range(50)}
    assert len(codes) > 1
    assert all(len(code) == 8 and set(code) <= set(rules.CODE_ALPHABET) for code in codes)
    assert not set("01OI") & set(rules.CODE_ALPHABET)
