"""At the door: organisers check attendees in by their code, and count who came."""

from functools import partial

from gateway.http import api, validated
from gateway.openapi import ORGANISER, Doc
from gateway.schemas import CheckInSchema

CHECK_IN = CheckInSchema()
doc = partial(Doc, tag="check-in", auth=ORGANISER)


class CheckInRoutes:
    @api(
        "POST",
        "/api/v1/forums/<uuid:forum_id>/check-ins",
        doc=doc(
            "Check an attendee in by their code",
            body="CheckIn",
            answer="CheckInResult",
            returns="The attendee's registration; already_checked_in tells a second scan from the first",
            raises=("ForumNotFound", "UnknownAttendeeCode", "InvalidTransition"),
            description="Always 200: scanning a code twice is not an error (the door may lose a reply "
            "and scan again); the answer says whether the person was already in.",
        ),
    )
    def check_in(self, request, forum_id):
        self.auth.organiser(request)
        code = validated(CHECK_IN, request)["code"]
        return 200, self.registration.check_in(str(forum_id), code)

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/attendance",
        doc=doc(
            "Who came: confirmed and checked in, by stakeholder group",
            answer="Attendance",
            returns="The counts",
            raises=("ForumNotFound",),
        ),
    )
    def attendance(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.registration.attendance(str(forum_id))
