"""Topics: participants propose them (for a forum or the series backlog), organisers moderate, edit,
merge and carry them over, everyone reads the published ones with their history; and prioritisation
rounds over a forum's published topics: organisers open and close them, participants vote, everyone reads
the results once closed."""

from functools import partial

from werkzeug.wrappers import Response

from gateway.http import api, json_body, query, validated
from gateway.openapi import EITHER, ORGANISER, PERSON, SEES_MORE, Doc
from gateway.routes import PRIVATE
from gateway.schemas import (
    BallotSchema,
    PaperTallySchema,
    RoundCreateSchema,
    TopicCarryOverSchema,
    TopicCreateSchema,
    TopicMergeSchema,
    TopicQuerySchema,
    TopicRejectSchema,
    TopicUpdateSchema,
)
from gateway.schemas.common import STAKEHOLDER_GROUPS

TOPIC_CREATE = TopicCreateSchema()
TOPIC_REJECT = TopicRejectSchema()
TOPIC_UPDATE = TopicUpdateSchema()
TOPIC_MERGE = TopicMergeSchema()
TOPIC_CARRY_OVER = TopicCarryOverSchema()
TOPIC_QUERY = TopicQuerySchema()
ROUND_CREATE = RoundCreateSchema()
BALLOT = BallotSchema()
PAPER_TALLY = PaperTallySchema()
BALLOT_FIELDS = ("choices", "points", "ranking")
GROUP = f"<any({', '.join(STAKEHOLDER_GROUPS)}):group>"
PARTICIPANTS = "the forums' registrants and confirmed subscribers, by the token of their emailed link"
doc = partial(Doc, tag="topics", answer="Topic", returns="The topic")
moderation = partial(doc, auth=ORGANISER, raises=("TopicNotFound", "InvalidTransition"))
changes = partial(doc, auth=ORGANISER, answer="TopicDetail", returns="The topic with its history")
rounds = partial(Doc, tag="rounds", answer="Round", returns="The round")


def created(topic):
    return 201, {"Location": f"/api/v1/topics/{topic['id']}"}, topic


class TopicRoutes:
    @api(
        "POST",
        "/api/v1/forums/<uuid:forum_id>/topics",
        doc=doc(
            "Propose a topic for a forum (a participant's awaits moderation; an organiser's is published)",
            auth=EITHER,
            body="TopicCreate",
            status=201,
            returns="The topic, proposed or published",
            headers=("Location",),
            raises=("ForumNotFound", "InvalidTransition", "InvalidToken", "NotAParticipant"),
            description=f"Participants are {PARTICIPANTS}. A forum held or cancelled takes no topic (409).",
        ),
    )
    def propose_topic(self, request, forum_id):
        token = self.auth.organiser_or_person(request)
        return created(self.topics.propose(str(forum_id), validated(TOPIC_CREATE, request), token))

    @api(
        "POST",
        "/api/v1/topics",
        doc=doc(
            "Propose a topic for the series backlog, for no forum yet (a participant's awaits moderation)",
            auth=EITHER,
            body="TopicCreate",
            status=201,
            returns="The topic, proposed or published",
            headers=("Location",),
            raises=("InvalidToken", "NotAParticipant"),
            description=f"Participants are {PARTICIPANTS}.",
        ),
    )
    def propose_for_backlog(self, request):
        token = self.auth.organiser_or_person(request)
        return created(self.topics.propose(None, validated(TOPIC_CREATE, request), token))

    @api(
        "GET",
        "/api/v1/topics/backlog",
        doc=doc(
            "The series backlog: published topics of no forum yet, in publication order",
            answer="TopicList",
            returns="The topics",
        ),
    )
    def backlog(self, request):
        return 200, self.topics.list_topics(None)

    @api(
        "GET",
        "/api/v1/topics/<uuid:topic_id>",
        doc=doc(
            "A topic with its edit notes and carry-overs; one awaiting moderation is the organisers' to see",
            auth=SEES_MORE,
            answer="TopicDetail",
            returns="The topic with its history",
            raises=("TopicNotFound",),
            description="Published, rejected and merged topics are public; a proposed one is a 404 to "
            "anyone but an organiser.",
        ),
    )
    def get_topic(self, request, topic_id):
        return 200, self.topics.get_topic(str(topic_id), self.auth.is_organiser(request))

    @api(
        "PATCH",
        "/api/v1/topics/<uuid:topic_id>",
        doc=changes(
            "Edit a proposed or published topic, with a public note saying why",
            body="TopicUpdate",
            raises=("TopicNotFound", "InvalidTransition", "NothingToChange"),
            description="The fields as they were stay in the topic's changes. A rejected or merged topic is "
            "no longer edited (409); an edit that changes nothing is refused (422), its note kept nowhere.",
        ),
    )
    def edit_topic(self, request, topic_id):
        self.auth.organiser(request)
        edit = validated(TOPIC_UPDATE, request)
        note = edit.pop("note")
        return 200, self.topics.edit_topic(str(topic_id), edit, note)

    @api(
        "POST",
        "/api/v1/topics/<uuid:topic_id>/merge",
        doc=changes(
            "Merge a duplicate into another topic",
            body="TopicMerge",
            returns="The merged topic",
            raises=("TopicNotFound", "InvalidTransition"),
            description="Its ballots and paper counts in open rounds go to the topic it joins, within each "
            "round's limits. A topic is not merged into itself, nor a published one into one not published "
            "(409).",
        ),
    )
    def merge_topic(self, request, topic_id):
        self.auth.organiser(request)
        return 200, self.topics.merge_topic(str(topic_id), validated(TOPIC_MERGE, request)["into"])

    @api(
        "POST",
        "/api/v1/topics/<uuid:topic_id>/carry-over",
        doc=changes(
            "Carry a published topic the forum did not put on its agenda over to a coming forum or the backlog",
            body="TopicCarryOver",
            raises=("TopicNotFound", "ForumNotFound", "InvalidTransition"),
            description="Where it stood in the forum's last closed round, and why not this time, stay in "
            "its history. A topic on the agenda, or carried to its own forum or one held or cancelled, is "
            "refused (409).",
        ),
    )
    def carry_over_topic(self, request, topic_id):
        self.auth.organiser(request)
        carry = validated(TOPIC_CARRY_OVER, request)
        return 200, self.topics.carry_over_topic(str(topic_id), carry["why"], carry["forum_id"])

    @api(
        "GET",
        "/api/v1/forums/<uuid:forum_id>/topics",
        doc=doc(
            "A forum's published topics, in publication order",
            answer="TopicList",
            returns="The topics",
            raises=("ForumNotFound",),
        ),
    )
    def list_topics(self, request, forum_id):
        return 200, self.topics.list_topics(str(forum_id))

    @api(
        "GET",
        "/api/v1/topics",
        doc=doc(
            "Proposals awaiting moderation, oldest first",
            auth=ORGANISER,
            query=TopicQuerySchema,
            answer="TopicList",
            returns="The proposals",
        ),
    )
    def moderation_queue(self, request):
        self.auth.organiser(request)
        return 200, self.topics.moderation_queue(query(TOPIC_QUERY, request)["forum_id"])

    @api("POST", "/api/v1/topics/<uuid:topic_id>/publish", doc=moderation("Publish a proposed topic"))
    def publish_topic(self, request, topic_id):
        self.auth.organiser(request)
        return 200, self.topics.publish_topic(str(topic_id))

    @api(
        "POST",
        "/api/v1/topics/<uuid:topic_id>/reject",
        doc=moderation("Reject a proposed topic, with a public reason", body="TopicReject"),
    )
    def reject_topic(self, request, topic_id):
        self.auth.organiser(request)
        return 200, self.topics.reject_topic(str(topic_id), validated(TOPIC_REJECT, request)["reason"])

    @api(
        "POST",
        "/api/v1/forums/<uuid:forum_id>/rounds",
        doc=rounds(
            "Open a prioritisation round over the forum's published topics, all or those named",
            auth=ORGANISER,
            body="RoundCreate",
            status=201,
            headers=("Location",),
            raises=("ForumNotFound", "RoundInvalid", "NoTopics", "RoundAlreadyOpen"),
            description="One open round per forum (409). approval and ranked take max_choices; dots take "
            "budget and max_per_topic (at most the budget); anything else is refused with 422, by field. "
            "topic_ids names the topics the round is over: each a published topic of this forum, else 422 "
            "naming the ids refused.",
        ),
    )
    def open_round(self, request, forum_id):
        self.auth.organiser(request)
        # loaded, not dumped: closes_at crosses RPC as a datetime, which the service compares
        opened = self.topics.open_round(str(forum_id), ROUND_CREATE.load(json_body(request)))
        return 201, {"Location": f"/api/v1/rounds/{opened['id']}"}, opened

    @api(
        "GET",
        "/api/v1/rounds/<uuid:round_id>",
        doc=rounds(
            "A round; organisers also see how many ballots each group cast",
            auth=SEES_MORE,
            raises=("RoundNotFound",),
        ),
    )
    def get_round(self, request, round_id):
        return 200, self.topics.get_round(str(round_id), self.auth.is_organiser(request))

    @api(
        "PUT",
        "/api/v1/rounds/<uuid:round_id>/ballot",
        doc=rounds(
            "Cast my ballot, replacing my earlier one while the round is open",
            auth=PERSON,
            body="Ballot",
            answer="BallotTaken",
            returns="The ballot as it counts",
            raises=(
                "InvalidToken",
                "NotAParticipant",
                "RoundNotFound",
                "RoundNotOpen",
                "BallotInvalid",
                "GroupRequired",
            ),
            description="approval: choices; dots: points; ranked: ranking (best first). A ballot over the "
            "round's limits, or naming a topic not in the round, is refused with 422 and the field.",
        ),
    )
    def cast_ballot(self, request, round_id):
        token = self.auth.person(request)
        ballot = validated(BALLOT, request)
        content = {field: ballot[field] for field in BALLOT_FIELDS if field in ballot}
        taken = self.topics.cast_ballot(str(round_id), token, content, ballot.get("stakeholder_group"))
        return 200, PRIVATE, taken

    @api(
        "POST",
        "/api/v1/rounds/<uuid:round_id>/close",
        doc=rounds(
            "Close a round now: its results are tallied and public",
            auth=ORGANISER,
            returns="The round with its results",
            raises=("RoundNotFound", "RoundNotOpen"),
        ),
    )
    def close_round(self, request, round_id):
        self.auth.organiser(request)
        return 200, self.topics.close_round(str(round_id))

    @api(
        "GET",
        "/api/v1/rounds/<uuid:round_id>/results",
        doc=rounds(
            "A round's results: the ranking, by group, the cross-group consensus and the agenda",
            answer="Results",
            returns="The results",
            raises=("RoundNotFound", "ResultsNotYet"),
            description="Public once the round is closed; while it is open, only if the organiser chose "
            "to show running results (409 otherwise).",
        ),
    )
    def round_results(self, request, round_id):
        return 200, self.topics.round_results(str(round_id))

    @api(
        "GET",
        "/api/v1/rounds/<uuid:round_id>/results.csv",
        doc=rounds(
            "A round's results as CSV (UTF-8): one line per topic per ranking (overall, consensus, each group)",
            media="text/csv",
            answer=None,
            returns="The CSV file",
            headers=("Content-Disposition",),
            raises=("RoundNotFound", "ResultsNotYet"),
            description="Public when the results are (409 otherwise).",
        ),
    )
    def round_results_csv(self, request, round_id):
        disposition = f'attachment; filename="round-{round_id}-results.csv"'
        return Response(
            self.topics.round_results_csv(str(round_id)),
            headers={"Content-Disposition": disposition},
            content_type="text/csv; charset=utf-8",
        )

    @api(
        "PUT",
        f"/api/v1/rounds/<uuid:round_id>/paper-tallies/{GROUP}",
        doc=rounds(
            "Enter one group's paper tally (in-room voting), replacing an earlier one of that group",
            auth=ORGANISER,
            body="PaperTally",
            answer="PaperTallyTaken",
            returns="The tally as it counts",
            raises=("RoundNotFound", "RoundNotOpen", "BallotInvalid"),
            description="approval and dots rounds only; a tally cannot claim more than its ballots could.",
        ),
    )
    def enter_paper_tally(self, request, round_id, group):
        self.auth.organiser(request)
        tally = validated(PAPER_TALLY, request)
        return 200, self.topics.enter_paper_tally(str(round_id), group, tally)

    @api(
        "GET",
        "/api/v1/people/me/topics",
        doc=Doc(
            "My proposals and my ballots",
            tag="people",
            auth=PERSON,
            answer="MyTopics",
            returns="What the topics service holds of me",
            raises=("InvalidToken", "NotAParticipant"),
        ),
    )
    def my_topics(self, request):
        return 200, PRIVATE, self.topics.my_data(self.auth.person(request))
