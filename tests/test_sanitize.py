"""Comment text becomes safe HTML. These tests state the result, not how a library gets there:
the checker below parses the output with the standard library and knows nothing of bleach."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from engagement.sanitize import render

# What a comment may contain once rendered, stated here independently of the sanitizer.
SAFE_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "code", "pre", "ul", "ol", "li"}
SAFE_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}, "code": {"class"}}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class Markup(HTMLParser):
    """Collects every tag and attribute a browser would see in the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _browser_url(value: str) -> str:
    # Browsers drop ASCII whitespace and control characters inside a scheme and ignore case.
    return re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()


def assert_inert(output: str) -> None:
    """No tag, attribute or URL in ``output`` can run script or load anything by itself."""
    markup = Markup()
    markup.feed(output)
    markup.close()
    assert not markup.comments, output
    for tag, attrs in markup.tags:
        assert tag in SAFE_TAGS, output
        for name, value in attrs.items():
            assert name in SAFE_ATTRIBUTES.get(tag, set()), output
            assert not name.startswith("on"), output
            if name == "href":
                assert value is not None and _browser_url(value).startswith(SAFE_SCHEMES), output
        if tag == "a":
            assert attrs.get("rel") == "nofollow ugc noopener", output
    lowered = output.lower()
    for needle in ("<script", "<svg", "<math", "<iframe", "<style", "<img", "<!--"):
        assert needle not in lowered, output


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](java&#115;cript:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](\njavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "<data:text/html,hi>",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/track.png)",
    '![x](x" onerror="alert(1))',
    '[x](https://ok.example" onmouseover="alert(1))',
    "[x](https://ok.example 'a\" onmouseover=\"alert(1)')",
    "[a][ref]\n\n[ref]: javascript:alert(1)",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<form action=https://evil.example><input name=q><button>go</button></form>",
    "<textarea><script>alert(1)</script></textarea>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<div",
    '<a href="https://ok.example',
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "> <script>alert(1)</script>",
    "- <img src=x onerror=alert(1)>",
    "**<script>**alert(1)**</script>**",
    "https://ok.example/<script>alert(1)</script>",
    'www.ok.example/"onmouseover="alert(1)',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "[x](https://ok.example)<script>alert(1)</script>",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    ">" * 200 + " deep",
    "- " * 200 + "deep",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_renders_inert(text: str) -> None:
    assert_inert(render(text))


def test_the_hostile_table_is_large() -> None:
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Just words.", "<p>Just words.</p>"),
        ("*em* and _em_", "<p><em>em</em> and <em>em</em></p>"),
        ("**strong** and __strong__", "<p><strong>strong</strong> and <strong>strong</strong></p>"),
        ("one\ntwo", "<p>one<br>\ntwo</p>"),
        ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("use `x < y`", "<p>use <code>x &lt; y</code></p>"),
        ("    indented code", "<pre><code>indented code\n</code></pre>"),
        (
            "```python\nif a < b:\n    pass\n```",
            '<pre><code class="language-python">if a &lt; b:\n    pass\n</code></pre>',
        ),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        ("3. c", '<ol start="3">\n<li>c</li>\n</ol>'),
        (
            "[the magazine](https://magazine.example/a?b=1&c=2)",
            '<p><a href="https://magazine.example/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
            "the magazine</a></p>",
        ),
        (
            '[t](https://magazine.example "A title")',
            '<p><a href="https://magazine.example" title="A title" rel="nofollow ugc noopener">'
            "t</a></p>",
        ),
        (
            "see https://magazine.org/story now",
            '<p>see <a href="https://magazine.org/story" rel="nofollow ugc noopener">'
            "https://magazine.org/story</a> now</p>",
        ),
        (
            "<https://magazine.example>",
            '<p><a href="https://magazine.example" rel="nofollow ugc noopener">'
            "https://magazine.example</a></p>",
        ),
        (
            "[write](mailto:editor@magazine.example)",
            '<p><a href="mailto:editor@magazine.example" rel="nofollow ugc noopener">write</a></p>',
        ),
        ("<b>not bold</b>", "<p>&lt;b&gt;not bold&lt;/b&gt;</p>"),
        ("Fish & chips < 5 €", "<p>Fish &amp; chips &lt; 5 €</p>"),
        ("# not a heading", "<p># not a heading</p>"),
        ("\\*literal\\*", "<p>*literal*</p>"),
    ],
)
def test_normal_formatting_survives_exactly(text: str, expected: str) -> None:
    assert render(text) == expected
    assert_inert(expected)


@pytest.mark.parametrize("scheme", ["ftp://x.example/f", "/relative/path", "//evil.example/"])
def test_only_http_https_and_mailto_links_survive(scheme: str) -> None:
    output = render(f"[x]({scheme})")
    assert "<a" not in output
    assert_inert(output)


def test_checker_catches_executable_markup() -> None:
    for unsafe in (
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href="jav&#x09;ascript:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<p onclick="alert(1)">x</p>',
        '<a href="https://ok.example">no rel</a>',
        "<svg></svg>",
    ):
        with pytest.raises(AssertionError):
            assert_inert(unsafe)
