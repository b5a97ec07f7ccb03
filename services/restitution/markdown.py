"""Markdown as organisers and commenters write it, made safe for pages, feed and email (``to_html``) and
flat for plain-text emails and CSV (``to_text``). Pure: no I/O, the same text always gives the same output.

Two locks, each enough on its own:
1. markdown-it-py parses CommonMark with raw HTML off (``html=False``): a ``<script>`` typed in the text
   is text, shown as typed, never markup. Then the tokens are reshaped: headings are kept within h2–h4
   (the page owns h1), an image becomes its alt text (no remote image is ever loaded), and a link whose
   address is not an absolute ``http``, ``https`` or ``mailto`` URL loses its link and keeps its words
   (``[x](javascript:…)`` reads "x"; relative links are refused too: feed and email have no base).
2. nh3 (ammonia) cleans the HTML against an allow-list: the tags of ``TAGS``, ``href``/``title`` on
   links, ``start`` on ordered lists, the same three URL schemes, no relative URL, and every link gets
   ``rel="nofollow noopener"``. No script, no style, no event attribute, no ``class``, no ``id``.

Markdown fields: a restitution's summary, its sections' bodies and comments. Titles, decisions, owners,
notes and reasons are plain text, escaped where they are shown.
"""

from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

SCHEMES = frozenset({"http", "https", "mailto"})
TAGS = frozenset(
    {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "a", "br", "hr"}
)
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
REL = "nofollow noopener"

_md = MarkdownIt("commonmark", {"html": False})
_md.validateLink = lambda url: True  # every link parses; ``_links`` then decides (its words stay if refused)
_cleaner = nh3.Cleaner(
    tags=set(TAGS),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    url_schemes=set(SCHEMES),
    url_relative="deny",
    link_rel=REL,
    strip_comments=True,
)


def to_html(text):
    """Safe HTML for ``text`` (Markdown); an empty string for empty text."""
    tokens = _tokens(text)
    return _cleaner.clean(_md.renderer.render(tokens, _md.options, {})).strip()


def to_text(text):
    """``text`` (Markdown) as plain text: paragraphs apart by a blank line, list items as ``- item`` or
    ``1. item`` (indented two spaces per level), a link as its words followed by its address in
    parentheses (unless the words are the address), code as written; no emphasis marks, no heading marks,
    no HTML. What was typed as HTML stays as typed (it never was markup), entities are decoded."""
    blocks, lists, line = [], [], []  # blocks: (text, in a list)
    for token in _tokens(text):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(int(token.attrGet("start") or 1) if kind == "ordered_list_open" else None)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            number = lists[-1]
            line.append("  " * (len(lists) - 1) + ("- " if number is None else f"{number}. "))
            if number is not None:
                lists[-1] += 1
        elif kind in ("inline", "fence", "code_block"):
            content = _inline_text(token.children or []) if kind == "inline" else token.content.rstrip("\n")
            blocks.append(("".join(line) + content, bool(lists)))
            line = []
        elif kind == "list_item_close" and line:  # an item with nothing in it
            blocks.append(("".join(line).rstrip(), True))
            line = []
    out = ""
    for place, (block, in_list) in enumerate(blocks):
        if place:
            out += "\n" if in_list and blocks[place - 1][1] else "\n\n"
        out += block
    return out.strip()


def _tokens(text):
    tokens = _md.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(max(int(token.tag[1]), 2), 4)}"
        if token.children:
            token.children = _links(_images(token.children))
    return tokens


def _images(children):
    """An image becomes its alt text (with its emphasis, if any): no image is ever loaded from a text."""
    flat = []
    for token in children:
        flat.extend(_images(token.children or []) if token.type == "image" else [token])
    return flat


def _links(children):
    """Links whose address is not absolute http, https or mailto lose the link and keep their words."""
    kept, refused = [], False
    for token in children:
        if token.type == "link_open":
            refused = not allowed(token.attrGet("href"))
            if refused:
                continue
        elif token.type == "link_close" and refused:
            refused = False
            continue
        kept.append(token)
    return kept


def allowed(url):
    """True for an absolute http or https URL with a host, or a mailto one."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    return scheme in SCHEMES and (scheme == "mailto" or bool(parts.netloc))


def _inline_text(children):
    out, href, words = [], None, []
    for token in children:
        if token.type == "link_open":
            href, words = token.attrGet("href"), []
        elif token.type == "link_close":
            label = "".join(words)
            out.append(label if href in (label, f"mailto:{label}") else f"{label} ({href})")
            href = None
        elif token.type in ("text", "code_inline"):
            (words if href is not None else out).append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            (words if href is not None else out).append("\n")
    return "".join(out)
