"""Forums: organisers create and run them; everyone reads them."""

from functools import partial

from gateway.http import api, optional_body, query, validated
from gateway.openapi import ORGANISER, SEES_MORE, Doc
from gateway.schemas import (
    ForumCancelSchema,
    ForumCreateSchema,
    ForumListQuerySchema,
    ForumMoveSchema,
    ForumUpdateSchema,
)
from gateway.schemas.forums import BETWEEN_FIELDS

FORUM_CREATE = ForumCreateSchema()
FORUM_UPDATE = ForumUpdateSchema()
FORUM_CANCEL = ForumCancelSchema()
FORUM_MOVE = ForumMoveSchema()
FORUM_LIST = ForumListQuerySchema()
doc = partial(Doc, tag="forums", answer="Forum", returns="The forum")
transition = partial(doc, auth=ORGANISER, raises=("ForumNotFound", "InvalidTransition"))
move = partial(transition, body="ForumMove", body_optional=True,
               description="The body may be left out; a reason given is kept in the audit trail with the move.")  # fmt: skip


class ForumRoutes:
    @api(
        "POST",
        "/api/v1/forums",
        doc=doc(
            "Create a forum (open, or a draft to open later)",
            auth=ORGANISER,
            body="ForumCreate",
            status=201,
            headers=("Location",),
            raises=("SlugTaken", "QuotaInvalid"),
            description=BETWEEN_FIELDS,
        ),
    )
    def create_forum(self, request):
        self.auth.organiser(request)
        forum = self.registration.create_forum(validated(FORUM_CREATE, request))
        return 201, {"Location": f"/api/v1/forums/{forum['id']}"}, forum

    @api(
        "GET",
        "/api/v1/forums",
        doc=doc(
            "Forums, soonest first (upcoming) or latest first (past); organisers also see drafts",
            auth=SEES_MORE,
            query=ForumListQuerySchema,
            answer="ForumList",
            returns="A page of forums",
            raises=("InvalidCursor",),
        ),
    )
    def list_forums(self, request):
        asked = query(FORUM_LIST, request)
        include_drafts = self.auth.is_organiser(request)
        return 200, self.registration.list_forums(
            asked["when"], asked["limit"], asked["cursor"], include_drafts
        )

    @api(
        "GET",
        "/api/v1/forums/<ref:forum_id>",  # one name with PATCH: one path in the document
        doc=doc(
            "A forum, by id or slug, with the seats left (drafts: organisers only)",
            auth=SEES_MORE,
            raises=("ForumNotFound",),
        ),
    )
    def get_forum(self, request, forum_id):
        return 200, self.registration.get_forum(forum_id, self.auth.is_organiser(request))

    @api(
        "PATCH",
        "/api/v1/forums/<uuid:forum_id>",
        doc=doc(
            "Change a forum's details (registrants are told of a new date or venue)",
            auth=ORGANISER,
            body="ForumUpdate",
            raises=(
                "ForumNotFound",
                "InvalidTransition",
                "CapacityBelowConfirmed",
                "QuotaInvalid",
                "SlugTaken",
                "InvalidForumChange",
            ),
            description=f"At least one field; a venue is given whole. {BETWEEN_FIELDS}",
        ),
    )
    def update_forum(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.registration.update_forum(str(forum_id), validated(FORUM_UPDATE, request))

    @api("POST", "/api/v1/forums/<uuid:forum_id>/open", doc=move("Open registration"))
    def open_forum(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.registration.open_forum(
            str(forum_id), optional_body(FORUM_MOVE, request)["reason"] or None
        )

    @api("POST", "/api/v1/forums/<uuid:forum_id>/close", doc=move("Close registration"))
    def close_forum(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.registration.close_forum(
            str(forum_id), optional_body(FORUM_MOVE, request)["reason"] or None
        )

    @api("POST", "/api/v1/forums/<uuid:forum_id>/hold", doc=move("Record that the forum took place"))
    def hold_forum(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.registration.hold_forum(
            str(forum_id), optional_body(FORUM_MOVE, request)["reason"] or None
        )

    @api(
        "POST",
        "/api/v1/forums/<uuid:forum_id>/cancel",
        doc=transition("Cancel the forum: every registration is cancelled and told why", body="ForumCancel"),
    )
    def cancel_forum(self, request, forum_id):
        self.auth.organiser(request)
        reason = validated(FORUM_CANCEL, request)["reason"]
        return 200, self.registration.cancel_forum(str(forum_id), reason)
