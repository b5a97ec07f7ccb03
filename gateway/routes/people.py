"""A person's own data (export, erasure) and their management link; erasure on request."""

from functools import partial

from nameko.exceptions import RemoteError

from gateway.http import api, validated
from gateway.openapi import ORGANISER, PERSON, PUBLIC, Doc
from gateway.routes import PRIVATE
from gateway.rpc import together
from gateway.schemas import EmailSchema

EMAIL = EmailSchema()
doc = partial(Doc, tag="people", auth=PERSON, raises=("InvalidToken",))


def not_a_participant(exc):
    return isinstance(exc, RemoteError) and exc.exc_type == "NotAParticipant"


class PeopleRoutes:
    @api(
        "GET",
        "/api/v1/people/me",
        doc=doc(
            "Everything held about me (JSON export)",
            answer="PersonExport",
            description="What each service holds: the registration service (person, registrations, "
            "subscriptions), the topics service (topics) and the restitution service (restitution: my "
            "comments); topics and restitution are null for a person the service does not know as a "
            "participant, such as one whose registration it has not yet heard of. If a service cannot "
            "answer, neither does the export (503).",
            returns="The export",
            headers=("Content-Disposition",),
        ),
    )
    def me(self, request):
        token = self.auth.person(request)
        asked = (self.registration.me, self.topics.my_data, self.restitution.my_comments)
        (held, failed), *participations = together(*(partial(ask, token) for ask in asked))
        if failed:
            raise failed
        for _, participation_failed in participations:
            if participation_failed and not not_a_participant(participation_failed):
                raise participation_failed  # an export without a service's part would say it holds nothing
        (topics, _), (restitution, _) = participations
        disposition = 'attachment; filename="opendetat-my-data.json"'
        export = held | {"topics": topics, "restitution": restitution}
        return 200, PRIVATE | {"Content-Disposition": disposition}, export

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
