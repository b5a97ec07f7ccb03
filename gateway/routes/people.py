"""A person's own data (export, erasure) and their management link; erasure on request."""

from functools import partial

from gateway.http import api, validated
from gateway.openapi import ORGANISER, PERSON, PUBLIC, Doc
from gateway.routes import PRIVATE
from gateway.schemas import EmailSchema

EMAIL = EmailSchema()
doc = partial(Doc, tag="people", auth=PERSON, raises=("InvalidToken",))


class PeopleRoutes:
    @api(
        "GET",
        "/api/v1/people/me",
        doc=doc(
            "Everything held about me (JSON export)",
            answer="PersonExport",
            returns="The export",
            headers=("Content-Disposition",),
        ),
    )
    def me(self, request):
        token = self.auth.person(request)
        disposition = 'attachment; filename="opendetat-my-data.json"'
        return 200, PRIVATE | {"Content-Disposition": disposition}, self.registration.me(token)

    @api(
        "DELETE",
        "/api/v1/people/me",
        doc=doc(
            "Erase me: my registrations are cancelled and anonymised, my subscription ended",
            answer="Erasure",
        ),
    )
    def erase_me(self, request):
        token = self.auth.person(request)
        return 200, self.registration.erase_me(token)

    @api(
        "POST",
        "/api/v1/people/me/revoke-links",
        doc=doc(
            "Revoke every link sent to me so far; a fresh one is emailed",
            status=202,
            answer="Accepted",
            returns="Revoked; the old links no longer work",
        ),
    )
    def revoke_links(self, request):
        self.registration.revoke_links(self.auth.person(request))
        return 202, {"status": "accepted"}

    @api(
        "POST",
        "/api/v1/people/erasures",
        doc=doc(
            "Erase a person on their request (organisers)",
            auth=ORGANISER,
            body="Email",
            answer="Erasure",
            raises=(),
        ),
    )
    def erase_person(self, request):
        self.auth.organiser(request)
        return 200, self.registration.erase_person(validated(EMAIL, request)["email"])

    @api(
        "POST",
        "/api/v1/people/management-link",
        doc=doc(
            "Send me my management link",
            auth=PUBLIC,
            body="Email",
            status=202,
            answer="Accepted",
            returns="Accepted, whether or not the address is known (which this answer does not tell)",
            raises=(),
        ),
    )
    def request_management_link(self, request):
        self.registration.request_management_link(validated(EMAIL, request)["email"])
        return 202, {"status": "accepted"}
