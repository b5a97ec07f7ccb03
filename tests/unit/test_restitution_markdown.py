"""Markdown made safe: ordinary Markdown renders, hostile input comes out inert (no script, no event
attribute, no link but http, https and mailto), and the plain text for emails and CSV has no markup."""

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.restitution.markdown import REL, SCHEMES, TAGS, to_html, to_text


class Elements(HTMLParser):
    """Every element of a fragment with its attributes; fails on unbalanced tags."""

    VOID = {"br", "hr"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self.open, self.text = [], [], []
        self.feed(html)
        self.close()
        assert self.open == [], f"unclosed {self.open}"

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open}"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def assert_inert(html):
    """Only allowed tags and attributes; links absolute http, https or mailto, with their rel."""
    assert "<script" not in html.lower() and "<style" not in html.lower()
    for tag, attrs in Elements(html).elements:
        assert tag in TAGS, tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert set(attrs) <= {"a": {"href", "title", "rel"}, "ol": {"start"}}.get(tag, set()), (tag, attrs)
        if tag == "a":
            assert attrs["rel"] == REL
            assert attrs["href"].split(":", 1)[0].lower() in SCHEMES, attrs["href"]
            assert "javascript:" not in attrs["href"].lower() and "data:" not in attrs["href"].lower()


# ordinary Markdown


def test_ordinary_markdown_renders():
    html = to_html(
        '## Housing\n\nWe *agreed* on **two** points, see [the minutes](https://example.org/m "Minutes")'
        " or write to <team@example.org>.\n\n- rents\n- `repairs`\n\n3. first\n4. second\n\n"
        "> quoted\n\n```\ncode <here>\n```\n\n### Next\n\n#### Later\n\n---\n\nline  \nbreak"
    )
    assert html == (
        "<h2>Housing</h2>\n<p>We <em>agreed</em> on <strong>two</strong> points, see "
        '<a href="https://example.org/m" title="Minutes" rel="nofollow noopener">the minutes</a> or write to '
        '<a href="mailto:team@example.org" rel="nofollow noopener">team@example.org</a>.</p>\n'
        "<ul>\n<li>rents</li>\n<li><code>repairs</code></li>\n</ul>\n"
        '<ol start="3">\n<li>first</li>\n<li>second</li>\n</ol>\n'
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<pre><code>code &lt;here&gt;\n</code></pre>\n"
        "<h3>Next</h3>\n<h4>Later</h4>\n<hr>\n<p>line<br>\nbreak</p>"
    )
    assert_inert(html)


def test_headings_stay_within_h2_to_h4():
    assert to_html("# One\n\n##### Five\n\n###### Six") == "<h2>One</h2>\n<h4>Five</h4>\n<h4>Six</h4>"


def test_an_image_is_its_alt_text():
    assert to_html("![a *map*](https://example.org/map.png)") == "<p>a <em>map</em></p>"


def test_fenced_code_loses_its_language_class():
    assert to_html("```python\nx = 1\n```") == "<pre><code>x = 1\n</code></pre>"


def test_empty_text_is_empty():
    assert to_html("") == to_html(None) == to_text("") == to_text(None) == ""


# hostile input


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](jav&#x61;script:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click]( javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    '[x](https://example.org/"onmouseover="alert(1))',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "**<b onclick=alert(1)>bold</b>**",
    "> <details open ontoggle=alert(1)>",
    "- [x](javascript:alert(1))\n  - ![y](x onerror=alert(1))",
    "`<script>alert(1)</script>`",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[x](file:///etc/passwd)",
    "[x](//evil.example/path)",
    "[x](/relative)",
    "[x](#fragment)",
    "<" * 2000 + "script>alert(1)",
    "[" * 3000 + "x](javascript:alert(1))" + "]" * 3000,
    "> " * 500 + "<script>alert(1)</script>",
    "*" * 5000 + "<img onerror=alert(1)>" + "_" * 5000,
    ("<script>alert(1)</script>[a](javascript:x)" * 400),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_comes_out_inert(text):
    html = to_html(text)
    assert_inert(html)
    assert not any(tag == "a" for tag, _ in Elements(html).elements if "example.org" not in text)


@pytest.mark.parametrize("text", [t for t in HOSTILE if "](" in t or "]:" in t])
def test_a_refused_link_keeps_its_words_not_its_address(text):
    html = to_html(text)
    assert "javascript:" not in html.lower() and "data:" not in html.lower()
    assert "vbscript:" not in html.lower() and "file:" not in html.lower()


def test_html_typed_in_the_text_is_shown_as_typed():
    assert to_html("<b>bold</b> & <i>") == "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;</p>"


def test_a_link_title_cannot_break_out_of_its_attribute():
    html = to_html('[x](https://example.org "a\\" onmouseover=\\"alert(1)")')
    ((tag, attrs),) = [(tag, attrs) for tag, attrs in Elements(html).elements if tag == "a"]
    assert attrs == {"href": "https://example.org", "title": 'a" onmouseover="alert(1)', "rel": REL}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "<script>",
                    "</script>",
                    "<img src=x onerror=alert(1)>",
                    "javascript:",
                    "[",
                    "](",
                    ")",
                    "<",
                    ">",
                    "![",
                    "**",
                    "`",
                    "\n",
                    "\n\n",
                    "# ",
                    "- ",
                    "> ",
                    "&#x6a;",
                    "&lt;",
                    '"',
                    "'",
                    " on",
                    "data:",
                    "<a href=",
                    "\t",
                    "https://example.org",
                    "1. ",
                    "```",
                ]
            ),  # fmt: skip
        ),
        max_size=30,
    )
)
def test_whatever_goes_in_the_html_parses_and_is_inert(parts):
    text = "".join(parts)
    assert_inert(to_html(text))
    assert isinstance(to_text(text), str)


# plain text


def test_plain_text_has_no_markup():
    text = to_text(
        "# Housing\n\nWe *agreed* on **two** points, see [the minutes](https://example.org/m) and "
        "<https://example.org>.\n\n- rents\n- `repairs`\n  1. first\n  2. second\n\n> quoted\n\n"
        "```\ncode\n```\n\n![a map](https://example.org/map.png) [bad](javascript:alert(1)) &amp; &lt;b&gt;"
    )
    assert text == (
        "Housing\n\nWe agreed on two points, see the minutes (https://example.org/m) and https://example.org.\n\n"
        "- rents\n- repairs\n  1. first\n  2. second\n\nquoted\n\ncode\n\na map bad & <b>"
    )


def test_plain_text_keeps_line_breaks_and_mail_addresses():
    assert to_text("one\ntwo\n\n<team@example.org>") == "one\ntwo\n\nteam@example.org"
