"""Comment text → safe HTML: a Markdown subset, then one allowlist pass. The only bleach import.

markdown-it-py renders the Markdown with raw HTML switched off, so ``<b>`` typed by a reader is
shown as text. Its output then goes through one bleach ``Cleaner`` pass whose linkify filter turns
bare URLs into links and gives every link ``rel="nofollow ugc noopener"``. Whatever the Markdown
parser lets through, the allowlist below is what can reach a page; nothing touches the HTML after
that pass. Moving to another sanitizer means changing this module alone: the tests describe the
result, not the library.
"""

from __future__ import annotations

import re
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

# The Markdown subset: paragraphs, line breaks, emphasis, strong, links, block quotes, inline
# code, code blocks and lists. No headings, images, tables, rules or raw HTML.
_RULES = [
    "paragraph",
    "newline",
    "emphasis",
    "link",
    "blockquote",
    "backticks",
    "code",
    "fence",
    "list",
    "escape",
    "entity",
    "autolink",
    "text_join",
]

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "a", "blockquote", "code", "pre", "ul", "ol", "li"}
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,30}")
# Nested quotes and lists beyond this are rendered as text: deep nesting is never needed in a
# comment and only costs parsing time.
MAX_NESTING = 20


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in {"href", "title", "rel"}
    if tag == "ol":
        return name == "start" and value.isdigit() and len(value) <= 9
    if tag == "code":
        return name == "class" and bool(_LANGUAGE_CLASS.fullmatch(value))
    return False


def _harden_link(attrs: dict[tuple[str | None, str], str], new: bool = False) -> dict:  # type: ignore[type-arg]
    attrs[(None, "rel")] = LINK_REL
    return attrs


_ABSOLUTE_LINK = re.compile(r"(?:https?://|mailto:)[^\s]", re.IGNORECASE)


def _acceptable_link(url: str) -> bool:
    # Only absolute http, https and mailto targets become links; anything else stays text.
    return bool(_ABSOLUTE_LINK.match(url))


_markdown = MarkdownIt(
    "zero", {"html": False, "breaks": True, "linkify": False, "maxNesting": MAX_NESTING}
).enable(_RULES)
_markdown.validateLink = _acceptable_link  # type: ignore[method-assign]

_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=False,
    strip_comments=True,
    filters=[
        partial(
            LinkifyFilter,
            callbacks=[_harden_link],
            skip_tags={"pre", "code"},
            parse_email=False,
        )
    ],
)


def render(text: str) -> str:
    """The sanitized HTML of a comment's Markdown ``text``; safe to put in a page as it is."""
    return _cleaner.clean(_markdown.render(text)).strip()
