"""Registrations to attend a forum: taken from anyone, managed by the person or organisers."""

from functools import partial

from werkzeug.wrappers import Response

from gateway.http import api, query, validated
from gateway.openapi import EITHER, ORGANISER, PERSON, Doc
from gateway.routes import PRIVATE
from gateway.schemas import ConsentsUpdateSchema, RegistrationCreateSchema, RegistrationListQuerySchema

REGISTRATION_CREATE = RegistrationCreateSchema()
REGISTRATION_LIST = RegistrationListQuerySchema()
CONSENTS_UPDATE = ConsentsUpdateSchema()
doc = partial(Doc, tag="registrations", answer="Registration", returns="The registration")
organisers = partial(doc, auth=ORGANISER, raises=("ForumNotFound",))
by_person_or_organiser = partial(
    doc, auth=EITHER, raises=("RegistrationNotFound", "InvalidToken", "NotYourRegistration")
)


class RegistrationRoutes:
    @api(
        "POST",
        "/api/v1/forums/<uuid:forum_id>/registrations",
        doc=doc(
            "Register to attend: confirmed while seats remain, waitlisted after",
            body="RegistrationCreate",
            status=201,
            headers=("Location",),
            returns="The registration, confirmed or waitlisted",
            raises=("ForumNotFound", "RegistrationClosed", "AlreadyRegistered"),
            description="An address already registered for this forum gets a 409, and its management "
            "link again by email.",
        ),
    )
    def register(self, request, forum_id):
        registration = self.registration.register(str(forum_id), validated(REGISTRATION_CREATE, request))
        return 201, {"Location": f"/api/v1/registrations/{registration['id']}"}, registration

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/registrations",
        doc=organisers(
            "A forum's registrations, oldest first, by status and group",
            query=RegistrationListQuerySchema,
            answer="RegistrationList",
            returns="A page of registrations",
            raises=("ForumNotFound", "InvalidCursor"),
        ),
    )
    def list_registrations(self, request, forum_id):
        self.auth.organiser(request)
        asked = query(REGISTRATION_LIST, request)
        page = self.registration.list_registrations(
            str(forum_id), asked["status"], asked["group"], asked["limit"], asked["cursor"]
        )
        return 200, PRIVATE, page

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/registrations.csv",
        doc=organisers(
            "Every registration of a forum, as CSV (UTF-8)",
            media="text/csv",
            answer=None,
            returns="The CSV file",
            headers=("Content-Disposition",),
        ),
    )
    def registrations_csv(self, request, forum_id):
        self.auth.organiser(request)
        disposition = f'attachment; filename="registrations-{forum_id}.csv"'
        return Response(
            self.registration.registrations_csv(str(forum_id)),
            headers=PRIVATE | {"Content-Disposition": disposition},
            content_type="text/csv; charset=utf-8",
        )

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/registrations/summary",
        doc=organisers(
            "Counts by stakeholder group and status", answer="RegistrationSummary", returns="The counts"
        ),
    )
    def registration_summary(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.registration.registration_summary(str(forum_id))

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/participants",
        doc=doc(
            "The public list of participants: only those who agreed to appear on it",
            answer={"type": "array", "items": "Participant"},
            returns="The participants",
            raises=("ForumNotFound",),
        ),
    )
    def participants(self, request, forum_id):
        return 200, self.registration.participants(str(forum_id))

    @api(
        "GET",
        "/api/v1/registrations/<uuid:registration_id>",
        doc=by_person_or_organiser("A registration (its person or organisers)"),
    )
    def get_registration(self, request, registration_id):
        token = self.auth.organiser_or_person(request)
        return 200, PRIVATE, self.registration.get_registration(str(registration_id), token)

    @api(
        "DELETE",
        "/api/v1/registrations/<uuid:registration_id>",
        doc=by_person_or_organiser(
            "Cancel a registration: the next person waiting is promoted and told",
            returns="The cancelled registration",
            raises=("RegistrationNotFound", "InvalidToken", "NotYourRegistration", "InvalidTransition"),
        ),
    )
    def cancel_registration(self, request, registration_id):
        token = self.auth.organiser_or_person(request)
        return 200, PRIVATE, self.registration.cancel_registration(str(registration_id), token)

    @api(
        "PATCH",
        "/api/v1/registrations/<uuid:registration_id>/consents",
        doc=doc(
            "Change one's consents (to be kept informed, to appear on the public list)",
            auth=PERSON,
            body="ConsentsUpdate",
            raises=("RegistrationNotFound", "InvalidToken", "NotYourRegistration"),
        ),
    )
    def update_consents(self, request, registration_id):
        token = self.auth.person(request)
        consents = validated(CONSENTS_UPDATE, request)
        return 200, PRIVATE, self.registration.update_consents(token, str(registration_id), consents)
