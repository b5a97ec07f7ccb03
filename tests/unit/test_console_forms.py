"""The console's forum form as the API's body (gateway.routes.console_forums): local times read in the forum's
zone (a time the clocks skip refused), numbers as whole numbers, the schemas' errors filed by the form's
fields, and a forum's version naming the fields changed since the form was shown."""

from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from gateway.routes import console_forums as form
from gateway.site import translator

PARIS = ZoneInfo("Europe/Paris")
FORUM = {
    "id": "f", "title": "Forum", "slug": "forum-1", "description": "", "timezone": "Europe/Paris",
    "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T17:00:00+01:00",
    "registration_opens_at": None, "registration_closes_at": "2027-03-01T09:00:00+01:00",
    "venue": {"name": "Salle", "address": "1 rue", "city": "Paris", "accessibility": ""},
    "capacity": 10, "quotas": {"citizen": 2}, "quota_release_at": None, "status": "open",
}  # fmt: skip


def typed(**changes):
    values = form.forum_values(FORUM) | {"status": "draft"}
    return values | changes


def test_a_local_time_takes_its_zones_offset_summer_or_winter():
    assert form.local_moment("2027-03-01T09:00", PARIS) == ("2027-03-01T09:00:00+01:00", None)
    assert form.local_moment("2027-07-01T09:00", PARIS) == ("2027-07-01T09:00:00+02:00", None)
    assert form.local_moment("2027-07-01T09:00:30", ZoneInfo("Pacific/Noumea")) == (
        "2027-07-01T09:00:30+11:00",
        None,
    )
    assert form.local_input("2027-07-01T07:00:00Z", "Europe/Paris") == "2027-07-01T09:00"


def test_a_time_that_does_not_exist_or_cannot_be_read_is_refused():
    assert form.local_moment("2027-03-28T02:30", PARIS) == (None, "gap")  # clocks go from 02:00 to 03:00
    assert form.local_moment("2027-10-31T02:30", PARIS)[1] is None  # twice that night: the first
    for text, kind in (("01/03/2027 09:00", "moment"), ("2027-02-30T09:00", "moment"), ("0001-01-01T00:00", "years"),
                       ("275760-09-13T00:00", "moment"), ("<script>", "moment")):  # fmt: skip
        assert form.local_moment(text, PARIS) == (None, kind)
    assert form.local_moment("", PARIS) == (None, None)


def test_the_form_is_the_apis_body_and_goes_through_its_schema():
    data, problems = form.forum_data(typed(quota_company="3", quota_other=""), creating=True)
    assert problems == {}
    loaded = form.FORUM_CREATE.dump(form.FORUM_CREATE.load(data))
    assert loaded["starts_at"] == "2027-03-01T09:00:00+01:00" and loaded["registration_opens_at"] is None
    assert loaded["quotas"] == {"administration": 0, "civil_society": 0, "company": 3, "citizen": 2,
                                "research_media": 0}  # fmt: skip
    assert loaded["venue"]["city"] == "Paris" and loaded["status"] == "draft"


def test_bad_fields_are_named_by_the_forms_fields_in_the_pages_language():
    values = typed(title="", ends_at="2027-03-01T08:00", quota_citizen="-1", capacity="1,5", venue_city="")
    data, problems = form.forum_data(values, creating=True)
    assert problems == {"capacity": "whole"}
    try:
        form.FORUM_CREATE.load(data)
    except ValidationError as exc:
        invalid = form.refused_fields(exc.messages, data)
    errors = form.forum_errors(problems, invalid, data, translator("fr"))
    assert list(errors) == ["title", "ends_at", "venue_city", "capacity", "quota_citizen"]  # the page's order
    assert errors["ends_at"] == ["La fin doit venir après le début."]
    english = form.forum_errors(problems, invalid, data, translator("en"))
    assert english["capacity"] == ["Give a whole number, without spaces or commas."]


def test_the_quotas_total_is_filed_under_the_quotas():
    data, _ = form.forum_data(typed(capacity="3", quota_company="2"), creating=True)
    try:
        form.FORUM_CREATE.load(data)
    except ValidationError as exc:
        assert form.schema_fields(exc.messages) == ["quotas"]
    else:
        raise AssertionError("4 reserved seats for 3 were taken")


def test_only_what_changed_is_sent_and_a_forum_changed_meanwhile_is_named():
    data, _ = form.forum_data(typed(title="Nouveau titre", quota_company="1"), creating=False)
    data = form.FORUM_UPDATE.dump(form.FORUM_UPDATE.load(data))
    assert form.forum_changes(data, FORUM) == {"title": "Nouveau titre", "quotas": data["quotas"]}
    unchanged, _ = form.forum_data(typed(), creating=False)
    assert form.forum_changes(form.FORUM_UPDATE.dump(form.FORUM_UPDATE.load(unchanged)), FORUM) == {}
    version = form.forum_version(FORUM)
    assert form.changed_since(version, FORUM) == []
    later = FORUM | {"capacity": 12, "venue": FORUM["venue"] | {"city": "Lyon"}}
    assert form.changed_since(version, later) == ["venue", "capacity"]
    assert form.changed_since("forged", FORUM) == list(form.VERSIONED)


def test_the_moves_offered_are_the_services_lifecycle():
    assert form.MOVES["draft"] == ["open", "cancelled"]
    assert form.MOVES["open"] == ["closed", "held", "cancelled"]
    assert form.MOVES["held"] == [] and form.MOVES["cancelled"] == []


def test_after_a_conflict_what_the_organiser_typed_stays_and_the_rest_is_brought_up_to_date():
    version = form.forum_version(FORUM)
    later = FORUM | {"capacity": 12, "title": "Leur titre"}
    values = typed(title="Mon titre", quota_company="1")
    data, _ = form.forum_data(values, creating=False)
    data = form.FORUM_UPDATE.dump(form.FORUM_UPDATE.load(data))
    merged, meanwhile = form.merged(values, data, version, later)
    assert meanwhile == ["title", "capacity"]
    assert (merged["title"], merged["capacity"], merged["quota_company"]) == ("Mon titre", "12", "1")
    assert form.merged(values, data, "forged", later)[0]["capacity"] == "10"  # nothing known: as typed
