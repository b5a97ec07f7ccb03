"""At the door: organisers check people in with the code from their confirmation email, and count
who came by stakeholder group."""

from harness.testing import wait_until

from .client import attendee_code, person, problem, token_from, wait_for_mails


def check_in(api, forum, code, token=None):
    return api.call("POST", f"/forums/{forum['id']}/check-ins", token or api.token, json={"code": code})


def attendance(api, forum):
    response = api.organiser("GET", f"/forums/{forum['id']}/attendance")
    assert response.status_code == 200, response.text
    return response.json()


def test_the_code_from_the_email_checks_a_person_in_once(api, mail, bus):
    forum = api.create_forum(capacity=3)
    groups = ["civil_society", "civil_society", "company", "citizen"]  # the last one waits
    people = [api.registered(forum["id"], person(stakeholder_group=group)) for group in groups]
    received = wait_for_mails(mail, {r["email"]: 1 for r in people})
    first, second, third, waiting = people
    codes = {r["id"]: attendee_code(received[r["email"]][0]) for r in people[:3]}
    assert codes == {r["id"]: r["attendee_code"] for r in people[:3]}

    came = check_in(api, forum, codes[first["id"]])
    assert came.status_code == 200, came.text
    assert (came.json()["already_checked_in"], came.json()["registration"]["id"]) == (False, first["id"])
    assert came.json()["registration"]["checked_in_at"]
    again = check_in(api, forum, f"  {codes[first['id']].lower()} ")  # as typed at the door
    assert (again.status_code, again.json()["already_checked_in"]) == (200, True)
    assert check_in(api, forum, codes[third["id"]]).json()["already_checked_in"] is False

    assert problem(check_in(api, forum, "ZZZZ2222"), 404)["errors"]["code"]
    problem(check_in(api, forum, "!!"), 400)
    elsewhere = api.create_forum(capacity=3)
    problem(check_in(api, elsewhere, codes[second["id"]]), 404)  # a code is only good for its forum
    assert api.organiser("DELETE", f"/registrations/{second['id']}").status_code == 200
    problem(check_in(api, forum, codes[second["id"]]), 404)  # a cancelled seat has no code any more

    token = token_from(received[first["email"]][0])
    problem(check_in(api, forum, codes[third["id"]], token), 403)
    problem(api.call("POST", f"/forums/{forum['id']}/check-ins", json={"code": codes[third["id"]]}), 401)
    problem(api.call("GET", f"/forums/{forum['id']}/attendance", token), 403)

    # The second person's seat went to the one waiting; two of the three seated came.
    assert attendance(api, forum) == {
        "forum_id": forum["id"],
        "by_group": {
            "citizen": {"confirmed": 1, "checked_in": 0},
            "civil_society": {"confirmed": 1, "checked_in": 1},
            "company": {"confirmed": 1, "checked_in": 1},
        },
        "totals": {"confirmed": 3, "checked_in": 2},
    }
    promotion = wait_for_mails(mail, {waiting["email"]: 2})[waiting["email"]][1]
    assert check_in(api, forum, attendee_code(promotion)).json()["already_checked_in"] is False

    def arrived():
        return sorted(
            d.envelope["data"]["registration_id"]
            for d in bus.poll()
            if d.envelope["type"] == "attendee_checked_in" and d.envelope["data"]["forum_id"] == forum["id"]
        )

    expected = sorted([first["id"], third["id"], waiting["id"]])
    wait_until(lambda: len(arrived()) >= 3, message="three attendee_checked_in events")
    assert arrived() == expected  # one each, the second scan sent none
