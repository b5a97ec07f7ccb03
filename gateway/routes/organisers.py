"""Organisers themselves: their tokens (created and revoked while the platform runs) and the audit trail
of what each of them did, by token name."""

from functools import partial

from gateway import trail
from gateway.http import api, query, validated
from gateway.openapi import ORGANISER, Doc
from gateway.routes import PRIVATE
from gateway.schemas.organisers import AuditListQuerySchema, OrganiserTokenCreateSchema
from kit import organiser_tokens

TOKEN_CREATE = OrganiserTokenCreateSchema()
AUDIT_LIST = AuditListQuerySchema()
doc = partial(Doc, tag="organisers", auth=ORGANISER)


class OrganiserRoutes:
    @api(
        "POST",
        "/api/v1/organiser-tokens",
        doc=doc(
            "Create an organiser token, read or write, under a name",
            body="OrganiserTokenCreate",
            status=201,
            headers=("Location",),
            answer="OrganiserTokenCreated",
            returns="The token, shown this once (only its digest is kept): it works at once",
            raises=("OrganiserNameTaken", "InvalidOrganiserName"),
        ),
    )
    def create_organiser_token(self, request):
        self.auth.organiser(request)
        asked = validated(TOKEN_CREATE, request)
        token = organiser_tokens.mint()  # here: the service is sent its digest, the bus never sees it
        digest = organiser_tokens.digest(token).hex()
        created = self.registration.create_organiser_token(asked["name"], asked["scope"], digest)
        location = {"Location": f"/api/v1/organiser-tokens/{created['id']}"}
        return 201, PRIVATE | location, created | {"token": token}

    @api(
        "GET",
        "/api/v1/organiser-tokens",
        doc=doc(
            "The organiser tokens, those in use first (names, scopes, dates; never the tokens)",
            answer="OrganiserTokenList",
            returns="Every token, revoked ones too",
        ),
    )
    def list_organiser_tokens(self, request):
        self.auth.organiser(request)
        return 200, self.registration.list_organiser_tokens()

    @api(
        "DELETE",
        "/api/v1/organiser-tokens/<uuid:token_id>",
        doc=doc(
            "Revoke an organiser token: refused from the next request on",
            answer="OrganiserToken",
            returns="The token, revoked (revoking it again changes nothing)",
            raises=("OrganiserTokenNotFound",),
        ),
    )
    def revoke_organiser_token(self, request, token_id):
        self.auth.organiser(request)
        return 200, self.registration.revoke_organiser_token(str(token_id))

    @api(
        "GET",
        "/api/v1/audit",
        doc=doc(
            "What organisers did, newest first, with the name of the token each used",
            query=AuditListQuerySchema,
            answer="AuditList",
            returns="A page of the trail, from every service that keeps one",
            description="Forums created, changed and moved on, registrations cancelled, check-ins, "
            "erasures, tokens created and revoked (registration), messages sent again (notification), "
            "topics moderated, merged and carried over, rounds opened, tallied and closed (topics), drafts saved, "
            "versions published, commitments updated, comments moderated (restitution). "
            "A change is recorded in the same transaction as the change itself.",
        ),
    )
    def list_audit(self, request):
        self.auth.organiser(request)
        asked = query(AUDIT_LIST, request)
        before = trail.positions(asked["cursor"])
        wanted = [asked["service"]] if asked["service"] else trail.SERVICES
        pages = {
            service: getattr(self, service).list_audit(asked["actor"], asked["limit"] + 1, before[service])[
                "items"
            ]
            for service in wanted
            if before[service] != trail.DONE
        }
        return 200, PRIVATE, trail.merge(pages, asked["limit"], before)
