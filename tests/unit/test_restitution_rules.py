"""The restitution rules on plain values: drafts and their versions, sections prefilled from a round,
publishing, commitments' changes, comments and their moderation, attendance as open data."""

import pytest

from kit.errors import FieldErrors
from services.restitution import rules
from services.restitution.errors import (
    EXPECTED,
    CommentInvalid,
    CommentNotAllowed,
    CommitmentChangeInvalid,
    DraftInvalid,
    InvalidTransition,
    RestitutionError,
    SettingsInvalid,
    VersionConflict,
)

COMMITMENT = {"title": "Open the budget data", "owner": "Ministry of Finance", "due_on": "2025-06-30"}
DRAFT = {
    "summary": "We met **twice**.",
    "sections": [{"title": "Housing", "body": "Rents.", "topic_id": "t1"}],
    "decisions": ["A second forum in May"],
    "commitments": [COMMITMENT],
}


def errors_of(error, call, *args, **kwargs):
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    return caught.value.errors


def kept(**fields):
    return rules.check_draft(DRAFT | fields)


# the errors


def test_every_error_is_expected_and_field_errors_read_as_one_line():
    for error in (DraftInvalid, VersionConflict, InvalidTransition, CommitmentChangeInvalid):
        assert issubclass(error, RestitutionError) and issubclass(error, EXPECTED)
    for error in (CommentNotAllowed, CommentInvalid, SettingsInvalid):
        assert issubclass(error, RestitutionError)
    raised = DraftInvalid({"summary": ["at most 2 characters (3 given)"], "_schema": ["a", "b"]})
    assert isinstance(raised, FieldErrors) and raised.args == (raised.errors,)
    assert str(raised) == "summary: at most 2 characters (3 given); _schema: a, b"


# drafts


def test_a_draft_is_kept_trimmed_with_its_defaults():
    draft = rules.check_draft(
        {
            "summary": "  Hello\r\nworld  ",
            "sections": [{"title": "  Public\n  transport ", "body": "Buses.\r\n"}],
            "decisions": ["", "  Meet again  ", "   "],
            "commitments": [COMMITMENT | {"title": " Open   data "}],
        }
    )
    assert draft == {
        "summary": "Hello\nworld",
        "sections": [{"title": "Public transport", "body": "Buses.", "topic_id": None}],
        "decisions": ["Meet again"],
        "commitments": [COMMITMENT | {"title": "Open data", "status": "planned"}],
    }


def test_an_empty_draft_is_a_valid_draft_and_its_version_is_left_to_check_edit():
    empty = {"summary": "", "sections": [], "decisions": [], "commitments": []}
    assert rules.check_draft({}) == rules.check_draft({"version": 3}) == empty


def test_a_draft_names_each_field_in_error():
    errors = errors_of(
        DraftInvalid,
        rules.check_draft,
        {
            "title": "x",
            "summary": 3,
            "sections": [{"title": "", "body": "b", "colour": "red"}, "text"],
            "decisions": "one",
            "commitments": [{"title": "t", "owner": " ", "due_on": "30/06/2025", "status": "late"}],
        },
    )
    assert errors == {
        "title": ["not a field of drafts"],
        "summary": ["a text"],
        "sections.0.colour": ["not a field of sections"],
        "sections.0.title": ["required"],
        "sections.1": ["a section: title, body, topic_id"],
        "decisions": ["a list"],
        "commitments.0.owner": ["required"],
        "commitments.0.due_on": ["a date, YYYY-MM-DD"],
        "commitments.0.status": ["one of planned, in_progress, done, dropped"],
    }


def test_lengths_and_counts_are_capped():
    limits = rules.LIMITS
    errors = errors_of(
        DraftInvalid,
        rules.check_draft,
        {
            "summary": "x" * (limits["summary"] + 1),
            "sections": [{"title": "t" * (limits["title"] + 1), "body": ""}] * (limits["sections"] + 1),
            "decisions": ["d" * (limits["decision"] + 1)],
            "commitments": [COMMITMENT | {"owner": "o" * (limits["owner"] + 1)}],
        },
    )
    assert errors["summary"] == [f"at most {limits['summary']} characters ({limits['summary'] + 1} given)"]
    assert errors["sections"] == [f"at most {limits['sections']}"]
    assert (
        errors["sections.0.title"]
        == errors["sections.50.title"]
        == [f"at most {limits['title']} characters ({limits['title'] + 1} given)"]
    )
    assert set(errors) >= {"decisions.0", "commitments.0.owner"}
    assert rules.check_draft({"summary": "x" * limits["summary"]})["summary"] == "x" * limits["summary"]


def test_control_characters_are_refused_but_newlines_and_tabs_are_text():
    errors = errors_of(DraftInvalid, rules.check_draft, {"summary": "a\x00b", "decisions": ["a\x1bb"]})
    assert errors == {"summary": ["no control characters"], "decisions.0": ["no control characters"]}
    assert rules.check_draft({"summary": "a\n\tb"})["summary"] == "a\n\tb"


def test_a_topic_has_one_section_and_must_be_the_forums():
    sections = [{"title": "A", "body": "", "topic_id": "t1"}, {"title": "B", "body": "", "topic_id": "t1"}]
    errors = errors_of(DraftInvalid, rules.check_draft, {"sections": sections})
    assert errors == {"sections.1.topic_id": ["topic t1 has a section already"]}
    errors = errors_of(DraftInvalid, rules.check_draft, {"sections": sections[:1]}, topic_ids={"t2"})
    assert errors == {"sections.0.topic_id": ["unknown topic t1"]}
    assert rules.check_draft({"sections": sections[:1]}, topic_ids={"t1"})["sections"] == sections[:1]


def test_a_commitment_of_the_register_keeps_its_id_and_any_status():
    draft = rules.check_draft({"commitments": [COMMITMENT | {"id": "c1", "status": "in_progress"}]})
    assert draft["commitments"] == [COMMITMENT | {"id": "c1", "status": "in_progress"}]


# versions of a draft


def test_an_edit_on_the_current_version_makes_the_next():
    assert rules.check_edit(0, 0) == 1
    assert rules.check_edit(4, 4) == 5


def test_an_edit_made_on_an_earlier_version_is_a_conflict():
    with pytest.raises(VersionConflict) as caught:
        rules.check_edit(5, 4)
    assert str(caught.value) == (
        "the draft is at version 5, this edit was made on version 4: reload the draft and apply the edit again"
    )
    with pytest.raises(VersionConflict):
        rules.check_edit(0, 1)  # a version that does not exist yet


def test_an_edit_that_names_no_version_is_the_last_word():
    assert rules.check_edit(7, None) == 8


# sections prefilled from a round


RESULTS = {
    "agenda": ["t3", "t1"],
    "ranking": [
        {"topic_id": "t3", "score": 5},
        {"topic_id": "t1", "score": 4},
        {"topic_id": "t2", "score": 1},
    ],
}
TITLES = {"t1": "Housing", "t2": "Schools", "t3": "Transport"}


def test_sections_follow_the_agenda():
    assert rules.prefill_sections(RESULTS, TITLES) == [
        {"title": "Transport", "body": "", "topic_id": "t3"},
        {"title": "Housing", "body": "", "topic_id": "t1"},
    ]


def test_prefilling_keeps_what_the_draft_says_and_its_other_sections():
    existing = [
        {"title": "Welcome", "body": "Hello.", "topic_id": None},
        {"title": "Our housing", "body": "Rents.", "topic_id": "t1"},
        {"title": "Schools", "body": "Later.", "topic_id": "t2"},
    ]
    assert rules.prefill_sections(RESULTS, TITLES, existing) == [
        {"title": "Transport", "body": "", "topic_id": "t3"},
        {"title": "Our housing", "body": "Rents.", "topic_id": "t1"},
        {"title": "Welcome", "body": "Hello.", "topic_id": None},
        {"title": "Schools", "body": "Later.", "topic_id": "t2"},
    ]
    assert existing[1] == {"title": "Our housing", "body": "Rents.", "topic_id": "t1"}  # not changed


def test_a_topic_without_a_known_title_is_titled_by_its_id_and_no_agenda_makes_no_section():
    assert rules.prefill_sections({"agenda": ["t9", "t9"]}, TITLES) == [
        {"title": "t9", "body": "", "topic_id": "t9"}
    ]
    assert rules.prefill_sections({"agenda": []}, TITLES) == []


# publishing


def test_publishing_the_draft_version_read_passes_and_naming_none_skips_the_check():
    assert rules.check_seen(3, 3) is None
    assert rules.check_seen(0, 0) is None  # no draft yet: nothing to publish is for check_publishable
    assert rules.check_seen(3, None) is None  # a client that names no version publishes the draft as it is


def test_a_draft_saved_again_since_it_was_read_is_not_published():
    with pytest.raises(VersionConflict) as caught:
        rules.check_seen(4, 3)
    assert str(caught.value) == (
        "the draft changed since version 3, the one this publishing was asked on: it is at version 4 now."
        " Nothing is published: read version 4 and publish it again"
    )
    with pytest.raises(VersionConflict):
        rules.check_seen(0, 1)  # a version that does not exist


def test_an_empty_draft_is_not_published():
    empty = rules.check_draft({"sections": [{"title": "Housing", "body": "  "}]})
    errors = errors_of(DraftInvalid, rules.check_publishable, empty)
    assert errors == {"_schema": ["nothing to publish: write a summary, a section or a decision"]}
    with pytest.raises(DraftInvalid):
        rules.publish(rules.check_draft({}), "note")


def test_a_blank_section_is_not_published():
    draft = kept(sections=[{"title": "A", "body": "x"}, {"title": "B", "body": ""}])
    assert errors_of(DraftInvalid, rules.check_publishable, draft) == {
        "sections.1.body": ["blank: write it or remove the section"]
    }


def test_a_draft_with_only_a_decision_or_a_commitment_is_published():
    only = {"summary": "", "sections": [], "decisions": [], "commitments": []}
    assert rules.check_publishable(only | {"decisions": ["d"]})
    assert rules.check_publishable(only | {"commitments": [COMMITMENT | {"status": "planned"}]})


def test_the_first_version_needs_no_note():
    version = rules.publish(kept(), "  ")
    assert version == {"version": 1, "note": "", **kept()}
    assert rules.publish(kept(), None)["version"] == 1
    assert rules.publish(kept(), " First. ")["note"] == "First."


def test_later_versions_are_numbered_and_need_a_note():
    first = rules.publish(kept(), None)
    draft = kept(summary="We met three times.")
    errors = errors_of(DraftInvalid, rules.publish, draft, " ", latest=first)
    assert errors == {"note": ["required from version 2 on: say what changed since version 1"]}
    second = rules.publish(draft, "A third meeting.", latest=first)
    assert second["version"] == 2 and second["note"] == "A third meeting."
    assert rules.publish(kept(), "Back.", latest=second)["version"] == 3
    assert first["summary"] == "We met **twice**."  # the earlier version is its own value


def test_a_version_identical_to_the_latest_is_refused():
    first = rules.publish(kept(), None)
    errors = errors_of(DraftInvalid, rules.publish, kept(), "Again.", latest=first)
    assert errors == {"_schema": ["nothing changed since version 1"]}


def test_a_change_note_is_capped():
    errors = errors_of(DraftInvalid, rules.publish, kept(), "n" * (rules.LIMITS["note"] + 1))
    assert list(errors) == ["note"]


# commitments


def change(status, note="Funds voted.", on=None, current="planned", last_on=None):
    return rules.change_commitment(current, {"status": status, "note": note, "on": on}, "2025-03-10", last_on)


def test_a_change_is_recorded_with_its_date_and_note():
    assert change("in_progress", on="2025-03-02") == {
        "on": "2025-03-02",
        "from": "planned",
        "to": "in_progress",
        "note": "Funds voted.",
    }
    assert change("done", current="in_progress")["on"] == "2025-03-10"  # today, when none is given


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("planned", "planned"),
        ("planned", "in_progress"),
        ("planned", "done"),
        ("planned", "dropped"),
        ("in_progress", "planned"),
        ("in_progress", "in_progress"),
        ("in_progress", "done"),
        ("in_progress", "dropped"),
        ("done", "in_progress"),
        ("dropped", "planned"),
    ],
)
def test_allowed_transitions(current, to):
    assert change(to, current=current)["to"] == to


@pytest.mark.parametrize(
    ("current", "to"),
    [("done", "done"), ("done", "planned"), ("done", "dropped"), ("dropped", "dropped"), ("dropped", "done")],
)
def test_done_and_dropped_are_final_unless_reopened(current, to):
    with pytest.raises(InvalidTransition) as caught:
        change(to, current=current)
    reopen = {"done": "in_progress", "dropped": "planned"}[current]
    assert str(caught.value) == f"a {current} commitment can only become {reopen}, not {to}"


def test_a_change_needs_a_known_status_a_public_note_and_a_date_in_order():
    errors = errors_of(
        CommitmentChangeInvalid,
        rules.change_commitment,
        "planned",
        {"status": "late", "note": " "},
        "2025-03-10",
    )
    assert errors == {
        "status": ["one of planned, in_progress, done, dropped"],
        "note": ["required: say publicly what changed"],
    }
    assert errors_of(CommitmentChangeInvalid, change, "done", on="10/03/2025") == {
        "on": ["a date, YYYY-MM-DD"]
    }
    assert errors_of(CommitmentChangeInvalid, change, "done", on="2025-03-11") == {
        "on": ["in the future (today is 2025-03-10)"]
    }
    assert errors_of(CommitmentChangeInvalid, change, "done", on="2025-02-01", last_on="2025-02-02") == {
        "on": ["before the commitment's last change, on 2025-02-02"]
    }
    assert change("done", on="2025-02-02", last_on="2025-02-02")["on"] == "2025-02-02"


def test_field_errors_come_before_the_transition():
    with pytest.raises(CommitmentChangeInvalid):
        change("planned", note="", current="done")


def test_a_history_line_is_one_line_of_plain_text():
    record = change("in_progress", note="Funds\nvoted  today.", on="2025-03-02")
    assert rules.history_line(record) == "2025-03-02 planned → in_progress: Funds voted today."
    same = change("planned", note="Still waiting.", on="2025-03-02")
    assert rules.history_line(same) == "2025-03-02 planned: Still waiting."


# comments


PUBLISHED = {"id": "c1", "status": "published", "parent_id": None}


def test_moderation_decides_a_new_comments_status():
    assert rules.new_comment(" Thanks! ", "pre", True) == {
        "body": "Thanks!",
        "status": "pending",
        "parent_id": None,
    }
    assert rules.new_comment("Thanks!", "post", True)["status"] == "published"
    assert rules.new_comment("Indeed.", "post", True, parent=PUBLISHED)["parent_id"] == "c1"


def test_moderation_is_pre_or_post():
    assert rules.check_moderation("pre") == "pre"
    assert errors_of(SettingsInvalid, rules.check_moderation, "none") == {"moderation": ["one of pre, post"]}


def test_no_comment_on_an_unpublished_restitution():
    with pytest.raises(CommentNotAllowed, match="once the restitution is published"):
        rules.new_comment("Hello", "post", False)


def test_one_level_of_replies():
    reply = {"id": "c2", "status": "published", "parent_id": "c1"}
    with pytest.raises(CommentNotAllowed, match="a reply takes no reply"):
        rules.new_comment("And?", "post", True, parent=reply)


@pytest.mark.parametrize("status", ["hidden", "pending"])
def test_no_reply_to_a_comment_that_is_not_public(status):
    with pytest.raises(CommentNotAllowed, match=f"a {status} comment takes no reply"):
        rules.new_comment("And?", "post", True, parent=PUBLISHED | {"status": status})


def test_a_comment_has_a_body_within_its_limit():
    assert errors_of(CommentInvalid, rules.new_comment, "  \n ", "post", True) == {"body": ["blank"]}
    errors = errors_of(CommentInvalid, rules.new_comment, "x" * (rules.LIMITS["comment"] + 1), "post", True)
    assert list(errors) == ["body"]
    assert errors_of(CommentInvalid, rules.new_comment, None, "post", True) == {"body": ["blank"]}


def test_a_commenters_name_is_optional_and_one_line():
    assert rules.display_name(None) is None
    assert rules.display_name("   ") is None
    assert rules.display_name("  Jeanne \n  Dupont ") == "Jeanne Dupont"
    assert list(errors_of(CommentInvalid, rules.display_name, "x" * 81)) == ["author_name"]
    assert errors_of(CommentInvalid, rules.display_name, "a\x00b") == {
        "author_name": ["no control characters"]
    }
    assert list(errors_of(CommentInvalid, rules.display_name, 42)) == ["author_name"]


def test_a_pending_comment_is_approved_once():
    assert rules.approve_comment("pending") == "published"
    for status in ("published", "hidden"):
        with pytest.raises(InvalidTransition):
            rules.approve_comment(status)


def test_hiding_needs_a_public_reason_and_is_final():
    assert rules.hide_comment("published", " Off topic. ") == {"status": "hidden", "reason": "Off topic."}
    assert rules.hide_comment("pending", "Insults.")["status"] == "hidden"
    assert errors_of(CommentInvalid, rules.hide_comment, "published", "") == {
        "reason": ["required: it is shown in place of the comment"]
    }
    with pytest.raises(InvalidTransition, match="hidden already"):
        rules.hide_comment("hidden", "Again.")


# attendance


def test_attendance_has_a_row_for_every_group_in_order():
    rows = rules.attendance_rows({"citizen": 12, "administration": 3, "elected": 1}, {"citizen": 9})
    assert [row["stakeholder_group"] for row in rows] == [*rules.GROUPS, "elected"]
    assert rows[0] == {"stakeholder_group": "administration", "registered": 3, "checked_in": 0}
    assert rows[3] == {"stakeholder_group": "citizen", "registered": 12, "checked_in": 9}
    assert rows[-1] == {"stakeholder_group": "elected", "registered": 1, "checked_in": 0}
    assert [row["registered"] for row in rules.attendance_rows({}, {})] == [0] * len(rules.GROUPS)
