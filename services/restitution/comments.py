"""The discussion between forums: participants comment on a published restitution, or on one of the
commitments it shows (its own, or an earlier forum's), with one level of replies; organisers moderate.

Each forum's organisers choose its moderation: ``pre`` (a comment waits for an organiser; the default,
since nothing is public before someone has read it) or ``post`` (public at once, hidden afterwards if need
be). Hiding takes a public reason, shown in the comment's place. A commenter may show a name of their
choosing (else none: the page says "a participant", with their stakeholder group) and may ask to be told
of replies. On ``person_erased`` their comments stay, without author.
"""

from kit import people
from kit.serial import jsonable
from services.restitution import rules, store
from services.restitution.errors import (
    CommentInvalid,
    CommentNotFound,
    ForumNotFound,
    RestitutionNotFound,
)

DEFAULT_MODERATION = "pre"
PENDING_SHOWN = 200
PUBLIC = ("id", "forum_id", "commitment_id", "parent_id", "author_name", "stakeholder_group", "status",
          "created_at", "published_at")  # fmt: skip


def comment_view(row, organiser=False):
    """A comment as anyone sees it: a hidden one without its text, with the reason in its place."""
    view = {key: row[key] for key in PUBLIC} | {"body": row["body"], "hidden_reason": row["hidden_reason"]}
    if row["status"] == "hidden" and not organiser:
        view["body"] = None
    return jsonable(view)


def settings(tx, forum_id):
    return {"forum_id": str(forum_id), "moderation": _moderation(tx, forum_id)}


def set_moderation(tx, forum_id, moderation):
    """An organiser's choice of moderation for the forum's discussion (from now on)."""
    moderation = rules.check_moderation(moderation)
    store.comments.set_moderation(tx.cur, forum_id, moderation, tx.now)
    tx.record("comment_moderation_set", forum_id, {"moderation": moderation})
    return settings(tx, forum_id)


def post(tx, forum_id, token, comment):
    """A participant's comment ``{"body", "parent_id"?, "commitment_id"?, "author_name"?,
    "notify_replies"?}``: published or pending by the forum's moderation."""
    author = people.participant(tx.cur, tx.secret, token)
    latest = store.drafts.latest(tx.cur, forum_id)
    if latest is None and store.facts.forum(tx.cur, forum_id) is None:
        raise ForumNotFound(f"no forum {forum_id}")
    parent = _parent(tx, forum_id, comment.get("parent_id"))
    commitment_id = parent["commitment_id"] if parent else _commitment(tx, forum_id, latest, comment)
    kept = rules.new_comment(comment.get("body"), _moderation(tx, forum_id), latest is not None, parent)
    kept |= {
        "commitment_id": commitment_id,
        "author_name": rules.display_name(comment.get("author_name")),
        "notify_replies": bool(comment.get("notify_replies")),
    }
    row = store.comments.insert(tx.cur, forum_id, kept, author, tx.now)
    tx.emit("comment_submitted", {"comment": row})
    if row["status"] == "published":
        _published(tx, row, parent)
    return comment_view(row)


def public(tx, forum_id):
    """The forum's discussion: published comments and the hidden ones' places, oldest first."""
    if store.drafts.latest(tx.cur, forum_id) is None:
        raise RestitutionNotFound(f"no restitution of forum {forum_id} is published")
    return {"items": [comment_view(row) for row in store.comments.public_of(tx.cur, forum_id)]}


def pending(tx, forum_id=None):
    """What waits for moderation (organisers), oldest first: one forum's or the whole series'."""
    rows = store.comments.pending(tx.cur, forum_id, PENDING_SHOWN)
    return {"items": [comment_view(row, organiser=True) for row in rows]}


def approve(tx, comment_id):
    row = _read(tx, comment_id)
    status = rules.approve_comment(row["status"])
    row = store.comments.moderate(tx.cur, comment_id, status, None, tx.now, tx.actor)
    parent = row["parent_id"] and store.comments.read(tx.cur, row["parent_id"])
    _published(tx, row, parent)
    tx.record("comment_published", comment_id)
    return comment_view(row, organiser=True)


def hide(tx, comment_id, reason):
    row = _read(tx, comment_id)
    hidden = rules.hide_comment(row["status"], reason)
    row = store.comments.moderate(tx.cur, comment_id, hidden["status"], hidden["reason"], tx.now, tx.actor)
    tx.emit("comment_hidden", {"comment": row, "reason": hidden["reason"]})
    tx.record("comment_hidden", comment_id, {"reason": hidden["reason"]})
    return comment_view(row, organiser=True)


def mine(tx, token):
    """What this service holds of the person: their comments, as organisers see them (with the text of a
    hidden one)."""
    author = people.participant(tx.cur, tx.secret, token)
    rows = store.comments.of_author(tx.cur, author["person_id"])
    return {"comments": [comment_view(row, organiser=True) for row in rows]}


def erased(tx, envelope, data):
    """The person is forgotten here: their comments stay, without author."""
    people.erase(tx.cur, data["person_id"])
    store.comments.forget_author(tx.cur, data["person_id"])


def _published(tx, row, parent):
    """``comment_published``, naming the replied-to author if they asked to be told of replies."""
    notify = None
    if parent and parent["notify_replies"] and parent["author_id"] not in (None, row["author_id"]):
        notify = parent["author_id"]
    tx.emit("comment_published", {"comment": row, "notify_person_id": notify})


def _moderation(tx, forum_id):
    return store.comments.moderation(tx.cur, forum_id) or DEFAULT_MODERATION


def _read(tx, comment_id):
    row = store.comments.read(tx.cur, comment_id, lock=True)
    if row is None:
        raise CommentNotFound(f"no comment {comment_id}")
    return row


def _parent(tx, forum_id, parent_id):
    """The comment replied to, of this forum's discussion; CommentInvalid for any other id."""
    if parent_id is None:
        return None
    parent = store.comments.read(tx.cur, parent_id)
    if parent is None or str(parent["forum_id"]) != str(forum_id):
        raise CommentInvalid({"parent_id": [f"not a comment of this forum's discussion: {parent_id}"]})
    return parent


def _commitment(tx, forum_id, latest, comment):
    """The commitment commented on, one the published restitution shows (its own, or an earlier forum's:
    every restitution shows the register's), else CommentInvalid; None for the restitution itself."""
    commitment_id = comment.get("commitment_id")
    if commitment_id is None or latest is None:
        return None
    found = store.commitments.read(tx.cur, commitment_id)
    own = {str(cid) for cid in latest["content"].get("commitment_ids", ())}
    if found is None or (str(found["forum_id"]) == str(forum_id) and str(commitment_id) not in own):
        raise CommentInvalid({"commitment_id": [f"not a commitment this restitution shows: {commitment_id}"]})
    return found["id"]
