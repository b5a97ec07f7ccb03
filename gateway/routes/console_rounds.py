"""The organiser console: a forum's prioritisation rounds: open, watch participation, close, enter a paper tally.

Pages in French and English that work without JavaScript and call the topics service's RPCs as the API
does (``gateway.routes.topics``): ``list_rounds`` (a forum's rounds with their participation, one call),
``open_round``, ``get_round`` (as an organiser: participation by group), ``close_round``,
``round_results``, ``round_results_csv`` and ``enter_paper_tally``. The CSV is answered here because the
console's session cookie travels under /console only: the API's address would be asked without it.
"""

from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import eventlet
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from gateway.errors import by_field
from gateway.routes.console import FORM, SIGNED_IN, both_languages, page
from gateway.rpc import together
from gateway.schemas import PaperTallySchema, RoundCreateSchema
from gateway.schemas.common import STAKEHOLDER_GROUPS
from gateway.site import in_lang, lang_of, translator

ROUND_CREATE, PAPER_TALLY = RoundCreateSchema(), PaperTallySchema()
GROUP = f"<any({', '.join(STAKEHOLDER_GROUPS)}):group>"
ROUND = "/console/forums/<uuid:forum_id>/rounds/<uuid:round_id>"
PARAMETERS = {"approval": ("max_choices",), "dots": ("budget", "max_per_topic"), "ranked": ("max_choices",)}
DEFAULTS = {"method": "approval", "agenda_size": "3", "agenda_from": "overall", "max_choices": "3",
            "budget": "10", "max_per_topic": "3"}  # fmt: skip
TOPIC_ERRORS = ("NoTopics", "RoundAlreadyOpen")


class ConsoleRoundRoutes:
    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/rounds",
        page("A forum's prioritisation rounds: open or closed, and their participation so far", pages=(404,),
             description=SIGNED_IN),
    )  # fmt: skip
    def console_rounds(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        forum_id = str(forum_id)
        (forum, failed), (rounds, failed_rounds) = together(
            partial(self._console_forum, forum_id), partial(self.topics.list_rounds, forum_id)
        )
        if failed or failed_rounds:
            raise failed or failed_rounds
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        rounds = rounds["items"]
        return self._page(request, "console_rounds.html", organiser, forum=forum, rounds=rounds,
                          any_open=any(r["status"] == "open" for r in rounds))  # fmt: skip

    @both_languages(
        "GET",
        "/console/forums/<uuid:forum_id>/rounds/new",
        page("The form to open a prioritisation round over the forum's published topics", pages=(404,),
             description=SIGNED_IN),
    )  # fmt: skip
    def console_round_form(self, request, forum_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        return self._rounds_new_page(request, organiser, str(forum_id))

    @both_languages(
        "POST",
        "/console/forums/<uuid:forum_id>/rounds",
        page(
            "Open a prioritisation round from the console",
            returns="303 to the round's page",
            pages=(403, 404, 409, 422),
            raises=("ForumNotFound", "RoundInvalid", "NoTopics", "RoundAlreadyOpen"),
            description=FORM.format(what="topic_ids (one per ticked topic), method, closes_at "
                                    "(YYYY-MM-DDTHH:MM in the forum's time zone), agenda_size, agenda_from, "
                                    "show_running, and max_choices (approval, ranked) or budget and "
                                    "max_per_topic (dots), with the form's idempotency_key. "
                                    "Fields to correct: the form again (422), errors by field; a round "
                                    "already open: 409." + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_round_open(self, request, forum_id):
        forum_id = str(forum_id)
        organiser, answer = self._console_posted(request, f"/console/forums/{forum_id}/rounds/new")
        if answer:
            return answer
        forum = self._console_forum(forum_id)
        if forum is None:
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        values = {key: request.form.get(key, "").strip() for key in (*DEFAULTS, "closes_at", "show_running")}
        values["topic_ids"] = [topic_id.strip() for topic_id in request.form.getlist("topic_ids")]
        body, errors = _round_body(values, forum.get("timezone") or "Europe/Paris")
        refused = None
        if not errors:
            try:
                opened = self.topics.open_round(forum_id, ROUND_CREATE.load(body))
            except ValidationError as exc:
                errors = dict(exc.messages)
            except RemoteError as exc:
                if exc.exc_type == "RoundInvalid":
                    errors = by_field(exc.value)
                elif exc.exc_type in TOPIC_ERRORS:
                    refused = exc.exc_type
                else:
                    raise
        if errors or refused:
            status = 409 if refused == "RoundAlreadyOpen" else 422
            return self._rounds_new_page(request, organiser, forum_id, forum, values, errors, refused, status)
        return _see_other(request, f"/console/forums/{forum_id}/rounds/{opened['id']}")

    @both_languages(
        "GET",
        ROUND,
        page("A round in the console: participation by group, paper tallies, closing, results once closed",
             pages=(404,), description=SIGNED_IN + " ?tally=<group>: says that group's paper tally was taken."),
    )  # fmt: skip
    def console_round(self, request, forum_id, round_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        found = self._rounds_found(str(forum_id), str(round_id))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="round")
        forum, held = found
        results = (
            eventlet.spawn(self.topics.round_results, held["id"]) if held["status"] == "closed" else None
        )
        ids = list(held["topic_ids"])
        results = results.wait() if results is not None else None
        ids += [row["topic_id"] for row in (results or {}).get("ranking", ())]
        tally = request.args.get("tally")
        return self._page(request, "console_round.html", organiser, forum=forum, round=held, results=results,
                          titles=self._titles(forum["id"], dict.fromkeys(ids)), groups=STAKEHOLDER_GROUPS,
                          tally=tally if tally in STAKEHOLDER_GROUPS else None)  # fmt: skip

    @both_languages(
        "GET", ROUND + "/close", page("Close a round? The confirmation", pages=(404,), description=SIGNED_IN)
    )
    def console_round_close_form(self, request, forum_id, round_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        found = self._rounds_found(str(forum_id), str(round_id))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="round")
        return self._page(request, "console_round_close.html", organiser, forum=found[0], round=found[1])

    @both_languages(
        "POST",
        ROUND + "/close",
        page(
            "Close a round now, from the console: its results are tallied and public",
            returns="303 to the round's page, with its results",
            pages=(403, 404, 409),
            raises=("RoundNotFound", "RoundNotOpen"),
            description=FORM.format(what="the form's idempotency_key. A round already closed: 409." + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_round_close(self, request, forum_id, round_id):
        back = f"/console/forums/{forum_id}/rounds/{round_id}"
        organiser, answer = self._console_posted(request, back + "/close")
        if answer:
            return answer
        found = self._rounds_found(str(forum_id), str(round_id))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="round")
        try:
            self.topics.close_round(str(round_id))
        except RemoteError as exc:
            if exc.exc_type != "RoundNotOpen":
                raise
            return self._page(request, "console_round_close.html", organiser, status=409, forum=found[0],
                              round=found[1], refused=True)  # fmt: skip
        return _see_other(request, back)

    @both_languages(
        "GET",
        ROUND + "/results.csv",
        page(
            "A round's results as CSV (UTF-8), as the API's results.csv gives them",
            returns="The CSV file",
            pages=(404, 409),
            raises=("RoundNotFound", "ResultsNotYet"),
            description=SIGNED_IN + " While the round is open (and its results not shown running): 409.",
        ),
    )
    def console_round_csv(self, request, forum_id, round_id):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        found = self._rounds_found(str(forum_id), str(round_id))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="round")
        try:
            sheet = self.topics.round_results_csv(str(round_id))
        except RemoteError as exc:
            if exc.exc_type != "ResultsNotYet":
                raise
            _ = translator(lang_of(request))
            return self._page(request, "message.html", organiser, status=409, heading=_("Résultats pas encore publiés"),
                              message=_("Les résultats sont disponibles à la clôture du tour."))  # fmt: skip
        disposition = f'attachment; filename="round-{round_id}-results.csv"'
        return Response(sheet, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})  # fmt: skip

    @both_languages(
        "GET",
        f"{ROUND}/paper-tallies/{GROUP}",
        page("The form to enter one group's paper tally", pages=(404,), description=SIGNED_IN),
    )
    def console_paper_tally_form(self, request, forum_id, round_id, group):
        organiser, answer = self._console_signed_in(request)
        if answer:
            return answer
        found = self._rounds_found(str(forum_id), str(round_id))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="round")
        return self._rounds_tally_page(request, organiser, *found, group)

    @both_languages(
        "POST",
        f"{ROUND}/paper-tallies/{GROUP}",
        page(
            "Enter one group's paper tally (in-room voting) from the console, replacing an earlier one",
            returns="303 to the round's page, saying the tally was taken",
            pages=(403, 404, 409, 422),
            raises=("RoundNotFound", "RoundNotOpen", "BallotInvalid"),
            description=FORM.format(what="ballots (paper ballots cast) and score-<topic id> (ballots choosing "
                                    "the topic, or its points; blank: 0), with the form's idempotency_key. "
                                    "Fields to correct: the form again (422), errors by field; a closed "
                                    "round: 409." + SIGNED_IN),
        ),
    )  # fmt: skip
    def console_paper_tally(self, request, forum_id, round_id, group):
        back = f"/console/forums/{forum_id}/rounds/{round_id}"
        organiser, answer = self._console_posted(request, f"{back}/paper-tallies/{group}")
        if answer:
            return answer
        found = self._rounds_found(str(forum_id), str(round_id))
        if found is None:
            return self._page(request, "not_found.html", organiser, status=404, what="round")
        held = found[1]
        values = {
            key: value.strip()
            for key, value in request.form.items()
            if key == "ballots" or key.startswith("score-")
        }
        tally, errors, bad = _tally_body(held["topic_ids"], values)
        if not errors:
            try:
                self.topics.enter_paper_tally(held["id"], group, PAPER_TALLY.dump(PAPER_TALLY.load(tally)))
            except ValidationError as exc:
                errors = dict(exc.messages)
            except RemoteError as exc:
                if exc.exc_type == "RoundNotOpen":
                    return self._rounds_tally_page(request, organiser, *found, group, status=409)
                if exc.exc_type != "BallotInvalid":
                    raise
                errors = by_field(exc.value)
        if errors:
            return self._rounds_tally_page(request, organiser, *found, group, values, errors, bad, 422)
        return _see_other(request, f"{back}?tally={group}")

    # what the pages have in common
    def _rounds_found(self, forum_id, round_id):
        """(forum, round as organisers see it) asked in parallel; None when either is unknown or the round is
        another forum's."""
        (forum, failed), (held, unknown) = together(
            partial(self._console_forum, forum_id), partial(self.topics.get_round, round_id, True)
        )
        if unknown and not (isinstance(unknown, RemoteError) and unknown.exc_type == "RoundNotFound"):
            raise unknown
        if failed:
            raise failed
        return (forum, held) if forum and held and held["forum_id"] == forum_id else None

    def _rounds_new_page(self, request, organiser, forum_id, forum=None, values=None, errors=None, refused=None,
                         status=200):  # fmt: skip
        asked = {"topics": partial(self.topics.list_topics, forum_id)}
        if forum is None:
            asked["forum"] = partial(self._console_forum, forum_id)
        answers = together(**asked)
        topics, failed = answers["topics"]
        forum, forum_failed = answers.get("forum", (forum, None))
        if forum_failed:
            raise forum_failed
        if forum is None or (
            failed and isinstance(failed, RemoteError) and failed.exc_type == "ForumNotFound"
        ):
            return self._page(request, "not_found.html", organiser, status=404, what="forum")
        if failed:
            raise failed
        zone = ZoneInfo(forum.get("timezone") or "Europe/Paris")
        week = (datetime.now(UTC) + timedelta(days=7)).astimezone(zone).replace(hour=18, minute=0)
        values = values or DEFAULTS | {"closes_at": week.strftime("%Y-%m-%dT%H:%M")}
        return self._page(request, "console_round_new.html", organiser, status=status, forum=forum,
                          topics=topics["items"], values=values, errors=errors or {}, refused=refused)  # fmt: skip

    def _rounds_tally_page(self, request, organiser, forum, held, group, values=None, errors=None, bad=(),
                           status=200):  # fmt: skip
        return self._page(request, "console_round_tally.html", organiser, status=status, forum=forum, round=held,
                          group=group, titles=self._titles(forum["id"], dict.fromkeys(held["topic_ids"])),
                          values=values or {}, errors=errors or {}, bad=set(bad), closed=status == 409)  # fmt: skip


def _whole(text):
    """A form's whole number (ASCII digits), or None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _round_body(values, timezone):
    """The opening form as the API's JSON body (``RoundCreateSchema``), and what cannot be read from it by
    field. Only the chosen method's settings are sent: the others are not its parameters. The ticked
    topics are always named, all ticked or not: the round is over the topics the organiser saw."""
    method = values["method"]
    body, errors = {"method": method, "agenda_from": values["agenda_from"] or "overall"}, {}
    body["show_running"] = values["show_running"] == "yes"
    body["topic_ids"] = values["topic_ids"]
    if not values["topic_ids"]:
        errors["topic_ids"] = ["choose"]
    for key in ("agenda_size", *PARAMETERS.get(method, ())):
        number = _whole(values[key])
        if number is None:
            errors[key] = ["whole"]
        else:
            body[key] = number
    if method not in PARAMETERS:
        errors["method"] = ["choose"]
    try:
        moment = datetime.fromisoformat(values["closes_at"])
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        body["closes_at"] = moment.isoformat(timespec="seconds")
    except ValueError:
        errors["closes_at"] = ["when"]
    return body, errors


def _tally_body(topic_ids, values):
    """The paper tally form as the API's JSON body (``PaperTallySchema``), what cannot be read from it by
    field, and the topics whose score cannot."""
    errors, bad, scores = {}, [], {}
    ballots = _whole(values.get("ballots", ""))
    if ballots is None:
        errors["ballots"] = ["whole"]
    for topic_id in topic_ids:
        text = values.get(f"score-{topic_id}", "") or "0"
        number = _whole(text)
        if number is None:
            bad.append(topic_id)
        elif number:
            scores[topic_id] = number
    if bad:
        errors["scores"] = ["whole"]
    return {"ballots": ballots, "scores": scores}, errors, bad


def _see_other(request, path):
    where = in_lang(path, lang_of(request))
    return Response(status=303, headers={"Location": where, "Cache-Control": "no-store"},
                    content_type="text/html; charset=utf-8")  # fmt: skip
