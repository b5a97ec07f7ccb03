"""The discussion of restitutions: participants comment on a published restitution or on a commitment it
shows, with one level of replies; everyone reads the published comments (and the public reason of each
hidden one); organisers choose each forum's moderation, see what waits, publish or hide with a reason."""

from functools import partial

from gateway.http import api, query, validated
from gateway.openapi import ORGANISER, PERSON, Doc
from gateway.routes import PRIVATE
from gateway.schemas import CommentCreateSchema, CommentHideSchema, CommentQuerySchema, CommentSettingsSchema

CREATE = CommentCreateSchema()
HIDE = CommentHideSchema()
SETTINGS = CommentSettingsSchema()
QUERY = CommentQuerySchema()
COMMENTS = "/api/v1/forums/<uuid:forum_id>/restitution/comments"
doc = partial(Doc, tag="comments", answer="Comment", returns="The comment")
moderating = partial(doc, auth=ORGANISER, raises=("CommentNotFound", "InvalidTransition"))
settings = partial(doc, auth=ORGANISER, answer="CommentSettingsAnswer", returns="The forum's moderation")


class CommentRoutes:
    @api(
        "POST",
        COMMENTS,
        doc=doc(
            "Comment on the forum's published restitution, or on a commitment it shows, or reply",
            auth=PERSON,
            body="CommentCreate",
            status=201,
            returns="The comment: published, or pending (pre-moderation)",
            raises=(
                "InvalidToken",
                "NotAParticipant",
                "ForumNotFound",
                "CommentNotAllowed",
                "CommentInvalid",
            ),
            description="Participants are the forums' registrants and confirmed subscribers, by the token of "
            "their emailed link. One level of replies: a reply to a reply, to a hidden or pending comment, "
            "or a comment before the restitution is published is refused (409). Under pre-moderation (the "
            "default) a comment waits for an organiser; under post-moderation it is public at once.",
        ),
    )
    def post_comment(self, request, forum_id):
        token = self.auth.person(request)
        posted = self.restitution.post_comment(str(forum_id), token, validated(CREATE, request))
        return 201, PRIVATE, posted

    @api(
        "GET",
        COMMENTS,
        doc=doc(
            "The discussion of the forum's restitution: published comments, and hidden ones' places",
            answer="CommentList",
            returns="The comments, oldest first",
            raises=("RestitutionNotFound",),
            description="A hidden comment keeps its place, without its text, with the public reason it was "
            "hidden for. 404 until a restitution is published.",
        ),
    )
    def list_comments(self, request, forum_id):
        return 200, self.restitution.comments(str(forum_id))

    @api(
        "GET",
        "/api/v1/comments/pending",
        doc=doc(
            "What waits for moderation, oldest first (one forum's, or every forum's)",
            auth=ORGANISER,
            answer="CommentList",
            returns="The pending comments",
            query=CommentQuerySchema,
        ),
    )
    def pending_comments(self, request):
        self.auth.organiser(request)
        return 200, PRIVATE, self.restitution.pending_comments(query(QUERY, request)["forum_id"])

    @api(
        "POST",
        "/api/v1/comments/<uuid:comment_id>/publish",
        doc=moderating("Publish a comment waiting for moderation"),
    )
    def publish_comment(self, request, comment_id):
        self.auth.organiser(request)
        return 200, PRIVATE, self.restitution.approve_comment(str(comment_id))

    @api(
        "POST",
        "/api/v1/comments/<uuid:comment_id>/hide",
        doc=moderating(
            "Hide a comment (pending or published), with the public reason shown in its place",
            body="CommentHide",
            description="Final: a hidden comment is not shown again (409 if hidden already).",
        ),
    )
    def hide_comment(self, request, comment_id):
        self.auth.organiser(request)
        return (
            200,
            PRIVATE,
            self.restitution.hide_comment(str(comment_id), validated(HIDE, request)["reason"]),
        )

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/restitution/moderation",
        doc=settings("The forum's moderation of comments (pre unless organisers chose post)"),
    )
    def comment_settings(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.restitution.comment_settings(str(forum_id))

    @api(
        "PUT",
        "/api/v1/forums/<uuid:forum_id>/restitution/moderation",
        doc=settings(
            "Choose the forum's moderation of comments: pre (each waits for an organiser) or post",
            body="CommentSettings",
            raises=("SettingsInvalid",),
            description="From now on: comments already published stay, pending ones still wait.",
        ),
    )
    def set_comment_settings(self, request, forum_id):
        self.auth.organiser(request)
        moderation = validated(SETTINGS, request)["moderation"]
        return 200, self.restitution.set_comment_moderation(str(forum_id), moderation)
