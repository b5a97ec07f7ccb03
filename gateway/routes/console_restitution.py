"""The organiser console: a forum's restitution (the editor with its preview, version history and
publishing) and commitment updates.

The editor is one form that works without JavaScript: the minutes (the summary and each section's body,
in Markdown), the decisions and the commitments, each list shown as its rows plus blank ones, a button
per list adding a row (the form is posted and shown again, nothing typed lost) and a row emptied taken
out. Its buttons: preview (the page as the published version would show it, the facts included, nothing
saved), save (with the draft's version the form was made on: a save made on an earlier version is refused
409, and the page shows the other organiser's version beside the form, which keeps what was typed).
Publishing is a page of its own that shows what the saved draft would publish and asks for the change
note; it sends the draft's version it showed, and the service publishes nothing if the draft was saved
since (409: the page again, with the draft as it is now, to confirm). The versions page lists what was
published, with the commitments and a form each to record a change of status with its public note (the
public register then shows it).

Calls are the API's (restitution.get_draft, save_draft, publish, latest, update_commitment), the form
checked by the API's schemas. The preview renders Markdown with the restitution service's own renderer
(``services.restitution.markdown``, pure), so that it shows exactly what publishing would.
"""

import re
from functools import partial

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from gateway.errors import by_field
from gateway.routes.console import FORM, HTML, SIGNED_IN, both_languages, page
from gateway.rpc import together
from gateway.schemas import CommitmentChangeSchema, RestitutionPublishSchema, RestitutionSaveSchema
from gateway.site import in_lang, lang_of, translator
from services.restitution import markdown

SAVE = RestitutionSaveSchema()
CHANGE = CommitmentChangeSchema()
PUBLISH = RestitutionPublishSchema()
PARTS = {
    "sections": ("title", "body", "topic_id"),
    "commitments": ("id", "title", "owner", "due_on", "status"),
}
BLANK = {"sections": 1, "decisions": 2, "commitments": 1}  # blank rows the editor offers
ROW = re.compile(r"(sections|decisions|commitments)-([0-9]{1,3})(?:-([a-z_]+))?")
NUMBER = re.compile(r"[0-9]{1,9}")
# werkzeug parses at most 500 kB of a form (its max_form_memory_size, read before the handler runs): a
# draft longer than that once url-encoded is refused (413) and goes through the API instead
FORM_BODY = 500_000
FORUM_NOT_FOUND = ("ForumNotFound",)
EDITOR = "/console/forums/{forum_id}/restitution"


def _restitution_messages(_):
    """The error shown next to a field, by what the field is (the schema's own words are the API's)."""
    return {
        "summary": _("20 000 caractères au plus."),
        "title": _("Indiquez un titre (200 caractères au plus)."),
        "body": _("20 000 caractères au plus."),
        "topic_id": _("Ce sujet n'est pas de ce forum : videz cette section pour la retirer."),
        "decision": _("2 000 caractères au plus."),
        "what": _("Indiquez l'engagement (200 caractères au plus)."),
        "owner": _("Indiquez qui en répond (200 caractères au plus)."),
        "due_on": _("Indiquez une échéance, une date au format AAAA-MM-JJ."),
        "status": _("Choisissez un statut."),
        "id": _("Cet engagement n'est pas de ce forum : videz cette ligne pour le retirer."),
        "sections": _("50 sections au plus."),
        "decisions": _("100 décisions au plus."),
        "commitments": _("100 engagements au plus."),
        "form": _("Le formulaire est incomplet : rechargez la page et reprenez."),
    }


class ConsoleRestitutionRoutes:
    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/restitution",
        page("A forum's restitution: the draft's editor", pages=(404,), description=SIGNED_IN),
    )
    def console_restitution(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        found = self._restitution_both(str(forum_id), partial(self.restitution.get_draft, str(forum_id)))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        forum, draft = found
        rows = {key: draft[key] for key in ("summary", "sections", "decisions", "commitments")}
        for kind, blanks in BLANK.items():
            rows[kind] = rows[kind] + [_restitution_blank(kind) for _ in range(blanks)]
        saved = request.args.get("saved", "")
        return self._restitution_editor(request, organiser, forum, rows, draft["version"],
                                        saved=int(saved) if NUMBER.fullmatch(saved) else None)  # fmt: skip

    @both_languages(
        "POST",
        "/console/forums/<uuid:forum_id>/restitution",
        page(
            "The draft's editor, posted: add a row, preview, or save the draft",
            returns="Saved: a 303 to the editor; else the editor again, what was typed kept",
            pages=(403, 404, 409, 422),
            max_body=FORM_BODY,
            description=FORM.format(what="version (the draft's version the form was made on), summary, "
                                    "sections-N-title/body/topic_id, decisions-N, commitments-N-id/title/"
                                    "owner/due_on/status (a row left blank is not sent) and action: "
                                    "add-section, add-decision, add-commitment, preview (the page as published, "
                                    "nothing saved) or save. A save made on an earlier version is 409, "
                                    "the other version shown beside the form; a field refused is 422."
                                    + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_restitution_post(self, request, forum_id):
        forum_id = str(forum_id)
        organiser, answer = self._console_posted(request, EDITOR.format(forum_id=forum_id))
        if answer:
            return answer
        forum = self._console_forum(forum_id)
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        rows = _restitution_rows(request.form)
        typed = request.form.get("version", "")
        version = int(typed) if NUMBER.fullmatch(typed) else None
        show = partial(self._restitution_editor, request, organiser, forum, rows)
        action = request.form.get("action", "save")
        kind = {"add-section": "sections", "add-decision": "decisions", "add-commitment": "commitments"}.get(
            action
        )
        if kind:
            rows[kind].append(_restitution_blank(kind))
            added = f"{kind}-{len(rows[kind]) - 1}" + ("" if kind == "decisions" else "-title")
            return show(version, added=added)  # the new row's field takes the focus
        messages = _restitution_messages(translator(lang_of(request)))
        if version is None or action not in ("save", "preview"):
            return show(version, status=422, errors={"summary-text": [messages["form"]]})
        content, places = _restitution_content(rows)
        try:
            draft = SAVE.dump(SAVE.load(content | {"version": version}))
        except ValidationError as exc:
            return show(
                version, status=422, errors=_restitution_errors(messages, _dotted(exc.messages), places)
            )
        expected = draft.pop("version")
        try:
            if action == "preview":
                facts = self.restitution.get_draft(forum_id)["facts"]
                return show(version, preview=_restitution_record(draft, facts))
            saved = self.restitution.save_draft(forum_id, draft, expected)
        except RemoteError as exc:
            if exc.exc_type in FORUM_NOT_FOUND:
                return self._page(request, "not_found.html", organiser, status=404, what="forum")
            if exc.exc_type == "DraftInvalid":
                errors = _restitution_errors(messages, by_field(exc.value), places)
                return show(version, status=422, errors=errors)
            if exc.exc_type != "VersionConflict":
                raise
            theirs = self.restitution.get_draft(forum_id)  # kept beside the organiser's own text
            return show(theirs["version"], status=409, theirs=theirs, based_on=version)
        where = EDITOR.format(forum_id=forum_id) + f"?saved={saved['version']}"
        return _restitution_see_other(request, where)

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/restitution/publish",
        page(
            "Publishing the saved draft: what it would publish, and the change note to confirm it",
            pages=(404,),
            description=SIGNED_IN,
        ),
    )
    def console_restitution_publish_form(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        found = self._restitution_both(str(forum_id), partial(self.restitution.get_draft, str(forum_id)))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        return self._restitution_publishing(request, organiser, *found)

    @both_languages(
        "POST",
        "/console/forums/<uuid:forum_id>/restitution/publish",
        page(
            "Publish the saved draft as the restitution's next version",
            returns="Published: a 303 to the versions page",
            pages=(403, 404, 409, 422),
            description=FORM.format(what="note (what changed: public, required from version 2 on) and "
                                    "draft_version (the draft's version the page showed). A draft saved since "
                                    "the page was shown is not published (409: the page again, with it); "
                                    "a draft that cannot be published is 422, saying why." + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_restitution_publish(self, request, forum_id):
        forum_id = str(forum_id)
        organiser, answer = self._console_posted(request, EDITOR.format(forum_id=forum_id) + "/publish")
        if answer:
            return answer
        found = self._restitution_both(forum_id, partial(self.restitution.get_draft, forum_id))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        forum, draft = found
        note, seen = request.form.get("note", ""), request.form.get("draft_version", "")
        show = partial(self._restitution_publishing, request, organiser, forum, note=note)
        if not NUMBER.fullmatch(seen):  # the page always sends it: without it, the draft is shown to confirm
            return show(draft, status=409, changed=True)
        try:
            asked = PUBLISH.dump(PUBLISH.load({"note": note.strip(), "draft_version": int(seen)}))
        except ValidationError:
            return show(draft, status=422, errors={"note": ["note"]}, changed=int(seen) != draft["version"])
        try:
            published = self.restitution.publish(forum_id, asked["note"], asked["draft_version"])
        except RemoteError as exc:
            if exc.exc_type in FORUM_NOT_FOUND:
                return self._page(request, "not_found.html", organiser, status=404, what="forum")
            if exc.exc_type == "VersionConflict":  # saved since the page was shown: the draft as it is now
                return show(self.restitution.get_draft(forum_id), status=409, changed=True)
            if exc.exc_type != "DraftInvalid":
                raise
            return show(draft, status=422, errors=_restitution_refusals(by_field(exc.value)))
        where = EDITOR.format(forum_id=forum_id) + f"/versions?published={published['version']}"
        return _restitution_see_other(request, where)

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/restitution/versions",
        page(
            "A forum's published restitution: its versions, and its commitments with a form each to record "
            "a change of status",
            pages=(404,),
            description=SIGNED_IN,
        ),
    )
    def console_restitution_versions(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        found = self._restitution_both(
            str(forum_id), partial(_restitution_latest, self.restitution, str(forum_id))
        )
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        forum, latest = found
        published, updated = request.args.get("published", ""), request.args.get("updated", "")
        return self._page(request, "console_restitution_versions.html", organiser, forum=forum, r=latest,
                          published=int(published) if NUMBER.fullmatch(published) else None,
                          updated=updated, errors={}, typed={})  # fmt: skip

    @both_languages(
        "POST",
        "/console/forums/<uuid:forum_id>/restitution/commitments/<uuid:commitment_id>",
        page(
            "Record a change of one of the restitution's commitments: its status, with a public note",
            returns="Recorded: a 303 to the versions page, at the commitment",
            pages=(403, 404, 409, 422),
            description=FORM.format(what="status (planned, in_progress, done, dropped) and note (public, "
                                    "required). A status that cannot follow the current one is 409, a field "
                                    "refused 422, each with the page again saying so." + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_restitution_commitment(self, request, forum_id, commitment_id):
        forum_id, commitment_id = str(forum_id), str(commitment_id)
        organiser, answer = self._console_posted(request, EDITOR.format(forum_id=forum_id) + "/versions")
        if answer:
            return answer
        found = self._restitution_both(forum_id, partial(_restitution_latest, self.restitution, forum_id))
        if found is None or not found[1] or commitment_id not in [c["id"] for c in found[1]["commitments"]]:
            what = (
                "forum" if found is None else "restitution"
            )  # a commitment of its latest version, else none
            return self._page(request, "not_found.html", organiser, status=404, what=what)
        forum, latest = found
        typed = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
        show = partial(self._page, request, "console_restitution_versions.html", organiser, forum=forum, r=latest,
                       published=None, updated="", typed={commitment_id: typed})  # fmt: skip
        try:
            change = CHANGE.dump(CHANGE.load(typed | {"note": typed["note"].strip()}))
        except ValidationError as exc:
            return show(status=422, errors={commitment_id: sorted(exc.messages)})
        try:
            self.restitution.update_commitment(commitment_id, change)
        except RemoteError as exc:
            if exc.exc_type == "InvalidTransition":
                return show(status=409, errors={commitment_id: ["transition"]})
            if exc.exc_type == "CommitmentChangeInvalid":
                return show(status=422, errors={commitment_id: sorted(by_field(exc.value))})
            raise
        where = (
            EDITOR.format(forum_id=forum_id) + f"/versions?updated={commitment_id}#commitment-{commitment_id}"
        )
        return _restitution_see_other(request, where)

    def _restitution_both(self, forum_id, ask):
        """(the forum, the restitution service's answer), asked in parallel; None if either has no such
        forum."""
        (forum, failed), (answer, refused) = together(
            partial(self.registration.get_forum, forum_id, True), ask
        )
        for exc in (failed, refused):
            if isinstance(exc, RemoteError) and exc.exc_type in FORUM_NOT_FOUND:
                return None
            if exc:
                raise exc
        return forum, answer

    def _restitution_editor(self, request, organiser, forum, rows, version, status=200, **values):
        return self._page(request, "console_restitution.html", organiser, status=status, forum=forum, rows=rows,
                          version=version, r=values.get("preview"), previewing=True, discussion={},
                          **{"errors": {}} | values)  # fmt: skip

    def _restitution_publishing(self, request, organiser, forum, draft, status=200, **values):
        record = _restitution_record(draft, draft["facts"])
        return self._page(request, "console_restitution_publish.html", organiser, status=status, forum=forum,
                          draft=draft, r=record, previewing=True, discussion={},
                          **{"errors": {}, "note": ""} | values)  # fmt: skip


def _restitution_latest(restitution, forum_id):
    """The latest published version, or None before the first."""
    try:
        return restitution.latest(forum_id)
    except RemoteError as exc:
        if exc.exc_type == "RestitutionNotFound":
            return None
        raise


def _restitution_see_other(request, where):
    location = in_lang(where, lang_of(request))
    return Response(
        status=303, headers={"Location": location, "Cache-Control": "no-store"}, content_type=HTML
    )


def _restitution_blank(kind):
    return "" if kind == "decisions" else dict.fromkeys(PARTS[kind], "")


def _restitution_rows(form):
    """The editor's rows as posted, each list in the order of its row numbers (blank rows included)."""
    found = {"sections": {}, "decisions": {}, "commitments": {}}
    for key, value in form.items():
        row = ROW.fullmatch(key)
        if row is None:
            continue
        kind, place, part = row.group(1), int(row.group(2)), row.group(3)
        if kind == "decisions" and part is None:
            found[kind][place] = value
        elif kind != "decisions" and part in PARTS[kind]:
            found[kind].setdefault(place, _restitution_blank(kind))[part] = value
    return {"summary": form.get("summary", "")} | {
        kind: [rows[n] for n in sorted(rows)] for kind, rows in found.items()
    }


def _restitution_content(rows):
    """The draft the rows make, as the API takes it (blank rows left out), and for each list the row
    number of each item sent (to put an error next to its field)."""
    content = {"summary": rows["summary"].strip(), "sections": [], "decisions": [], "commitments": []}
    places = {"sections": [], "decisions": [], "commitments": []}
    for place, row in enumerate(rows["sections"]):
        if row["title"].strip() or row["body"].strip():
            section = {"title": row["title"].strip(), "body": row["body"].strip()}
            content["sections"].append(section | ({"topic_id": row["topic_id"]} if row["topic_id"] else {}))
            places["sections"].append(place)
    for place, text in enumerate(rows["decisions"]):
        if text.strip():
            content["decisions"].append(text.strip())
            places["decisions"].append(place)
    for place, row in enumerate(rows["commitments"]):
        if row["title"].strip() or row["owner"].strip() or row["due_on"].strip():
            kept = {key: row[key].strip() for key in ("title", "owner", "due_on")}
            kept |= {"status": row["status"] or "planned"} | ({"id": row["id"]} if row["id"] else {})
            content["commitments"].append(kept)
            places["commitments"].append(place)
    return content, places


def _dotted(messages, prefix=""):
    """marshmallow's nested messages as the service names fields: ``{"sections.0.title": [...]}``."""
    flat = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= _dotted(value, name + ".")
        else:
            flat[name] = value
    return flat


def _restitution_errors(messages, by_name, places):
    """Errors by field name (``sections.0.title``, the API's) → by the editor's field id, in our words."""
    errors = {}
    for name in by_name:
        parts = name.split(".")
        kind = parts[0]
        if kind in places and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(places[kind]):
            row = places[kind][int(parts[1])]
            if kind == "decisions":
                field, said = f"decisions-{row}", messages["decision"]
            else:
                part = parts[2] if len(parts) > 2 and parts[2] in PARTS[kind] else "title"
                shown = (
                    "title" if part in ("topic_id", "id") else part
                )  # a hidden field: said at the row's title
                said = messages["what" if (kind, part) == ("commitments", "title") else part]
                field = f"{kind}-{row}-{shown}"
        elif kind in places:
            field, said = f"{kind}-0-title" if kind != "decisions" else "decisions-0", messages[kind]
        else:
            field, said = "summary-text", messages["summary" if kind == "summary" else "form"]
        errors.setdefault(field, []).append(said)
    return errors


def _restitution_refusals(by_name):
    """Why the service would not publish (errors by field) → the publishing page's: the note, or what the
    draft lacks (said on the page, the draft's editor linked)."""
    errors = {}
    for name, said in by_name.items():
        if name == "note":
            errors["note"] = ["note"]
        elif name.startswith("sections.") and name.endswith(".body"):
            errors.setdefault("blank_sections", []).append(int(name.split(".")[1]) + 1)
        elif name == "_schema" and any("nothing changed" in text for text in said):
            errors["unchanged"] = True
        else:
            errors["empty"] = True
    return errors


def _restitution_record(draft, facts):
    """What the published version would say, shaped as the public page reads one (``r``)."""
    commitments = [
        {"status": "planned"} | c | {"id": c.get("id") or f"draft-{place}", "history": []}
        for place, c in enumerate(draft["commitments"])
    ]
    sections = [section | {"html": markdown.to_html(section["body"])} for section in draft["sections"]]
    return {
        "summary_html": markdown.to_html(draft["summary"]),
        "sections": sections,
        "decisions": [text for text in draft["decisions"] if text.strip()],
        "commitments": commitments,
        "attendance": facts["attendance"],
        "results": facts["results"],
        "carried_over": facts.get("carried_over", []),
        "carried_in": facts.get("carried_in", []),
    }
