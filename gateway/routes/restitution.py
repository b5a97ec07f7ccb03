"""Restitutions: organisers write a forum's draft (prefilled with a section per agenda topic) and publish it
as numbered versions; everyone reads the published versions, the series' index, the commitments' register
with each one's history, and the open data (commitments and attendance as CSV). Organisers record each
commitment's changes."""

from functools import cache, partial
from importlib import resources

from werkzeug.wrappers import Response

from gateway.http import api, validated
from gateway.openapi import ORGANISER, Doc
from gateway.schemas import (
    CommitmentChangeSchema,
    RestitutionPublishSchema,
    RestitutionSaveSchema,
)

SAVE = RestitutionSaveSchema()
PUBLISH = RestitutionPublishSchema()
CHANGE = CommitmentChangeSchema()
VERSION = "<int(min=1, max=2147483647):number>"
# a long restitution (50 sections of up to 20,000 characters) is far over the API's usual 64 KiB
DRAFT_BODY = 2 * 1024 * 1024
doc = partial(Doc, tag="restitution", answer="Restitution", returns="The published version")
drafting = partial(doc, auth=ORGANISER, answer="RestitutionDraft", returns="The draft")
open_data = partial(
    doc, media="text/csv", answer=None, returns="The CSV file", headers=("Content-Disposition",)
)


SCHEMA_MEDIA = "application/schema+json"
SCHEMA_NOTE = " Its JSON Schema (draft 2020-12): GET /api/v1/restitution.schema.json."


@cache
def published_schema():
    """The JSON Schema of a published version, kept beside the service that answers it."""
    return resources.files("services.restitution").joinpath("restitution.schema.json").read_bytes()


def csv_file(content, filename):
    return Response(
        content,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        content_type="text/csv; charset=utf-8",
    )


class RestitutionRoutes:
    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/restitution/draft",
        doc=drafting(
            "The forum's draft restitution; before its first save, a section per topic of the agenda",
            raises=("ForumNotFound",),
            description="The sections are prefilled from the forum's closed round, titled by its agenda's "
            "topics. Send its version back with the edit.",
        ),
    )
    def get_restitution_draft(self, request, forum_id):
        self.auth.organiser(request)
        return 200, self.restitution.get_draft(str(forum_id))

    @api(
        "PUT",
        "/api/v1/forums/<uuid:forum_id>/restitution",
        doc=drafting(
            "Save the forum's draft restitution, whole",
            body="RestitutionSave",
            max_body=DRAFT_BODY,
            raises=("ForumNotFound", "VersionConflict", "DraftInvalid"),
            description="Markdown in summary and bodies. With version (the draft's version the edit was "
            "made on), an edit made on an earlier version is refused (409) instead of overwriting another "
            "organiser's: reload the draft and apply the edit again.",
        ),
    )
    def save_restitution_draft(self, request, forum_id):
        self.auth.organiser(request)
        draft = validated(SAVE, request)
        expected = draft.pop("version", None)
        return 200, self.restitution.save_draft(str(forum_id), draft, expected)

    @api(
        "POST",
        "/api/v1/forums/<uuid:forum_id>/restitution/publish",
        doc=doc(
            "Publish the draft as the restitution's next version",
            auth=ORGANISER,
            body="RestitutionPublish",
            status=201,
            headers=("Location",),
            raises=("ForumNotFound", "VersionConflict", "DraftInvalid"),
            description="Versions are immutable: a later one supersedes the latest, the earlier stay readable. "
            "It states the facts as they stand (attendance by stakeholder group, the closed round's "
            "results). With draft_version (the draft's version read before publishing), a draft saved since "
            "is not published (409): read it again and publish it. Refused (422, by field): a draft with "
            "nothing in it or a blank section, no note from version 2 on, nothing changed since the latest "
            "version.",
        ),
    )
    def publish_restitution(self, request, forum_id):
        self.auth.organiser(request)
        asked = validated(PUBLISH, request)
        published = self.restitution.publish(str(forum_id), asked.get("note", ""), asked.get("draft_version"))
        location = f"/api/v1/forums/{forum_id}/restitution/versions/{published['version']}"
        return 201, {"Location": location}, published

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/restitution",
        doc=doc(
            "The forum's restitution: its latest published version",
            raises=("RestitutionNotFound",),
            description="404 until a version is published." + SCHEMA_NOTE,
        ),
    )
    def latest_restitution(self, request, forum_id):
        return 200, self.restitution.latest(str(forum_id))

    @api(
        "GET",
        f"/api/v1/forums/<uuid:forum_id>/restitution/versions/{VERSION}",
        doc=doc(
            "One published version of the forum's restitution",
            raises=("RestitutionNotFound",),
            description="As published, with its commitments as they stand now." + SCHEMA_NOTE,
        ),
    )
    def restitution_version(self, request, forum_id, number):
        return 200, self.restitution.version(str(forum_id), number)

    @api(
        "GET",
        "/api/v1/restitution.schema.json",
        doc=doc(
            "The JSON Schema (draft 2020-12) of a published version of a restitution",
            media=SCHEMA_MEDIA,
            answer={"type": "object"},
            returns="The schema",
            description="What GET /api/v1/forums/{forum_id}/restitution and its versions answer, key by key "
            "(schema_version 1).",
        ),
    )
    def restitution_schema(self, request):
        return Response(
            published_schema(), content_type=SCHEMA_MEDIA, headers={"Cache-Control": "public, max-age=3600"}
        )

    @api(
        "GET",
        "/api/v1/restitutions",
        doc=doc(
            "Every forum with a published restitution, by the forum's date",
            answer="RestitutionIndex",
            returns="The forums",
        ),
    )
    def restitution_index(self, request):
        return 200, self.restitution.index()

    @api(
        "PATCH",
        "/api/v1/commitments/<uuid:commitment_id>",
        doc=doc(
            "Record a dated change of a commitment (its status, or progress), with a public note",
            auth=ORGANISER,
            body="CommitmentChange",
            answer="Commitment",
            returns="The commitment with its history",
            raises=("CommitmentNotFound", "InvalidTransition", "CommitmentChangeInvalid"),
            description="planned and in_progress move to any status; done only back to in_progress, "
            "dropped only back to planned (409). The date is not in the future nor before its last change "
            "(422).",
        ),
    )
    def change_commitment(self, request, commitment_id):
        self.auth.organiser(request)
        return 200, self.restitution.update_commitment(str(commitment_id), validated(CHANGE, request))

    @api(
        "GET",
        "/api/v1/commitments",
        doc=doc(
            "The series' commitments, oldest first, each with its status and history",
            answer="CommitmentList",
            returns="The commitments",
        ),
    )
    def list_commitments(self, request):
        return 200, self.restitution.commitments()

    @api(
        "GET",
        "/api/v1/commitments.csv",
        doc=open_data("The series' commitments as CSV (UTF-8), one line each with its last change"),
    )
    def commitments_csv(self, request):
        return csv_file(self.restitution.commitments_csv(), "commitments.csv")

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/attendance.csv",
        doc=open_data(
            "A forum's attendance by stakeholder group as CSV (UTF-8), as its latest restitution states it",
            raises=("RestitutionNotFound",),
            description="One line per group: registered, checked in. 404 until a restitution is published.",
        ),
    )
    def attendance_csv(self, request, forum_id):
        return csv_file(self.restitution.attendance_csv(str(forum_id)), f"forum-{forum_id}-attendance.csv")
