"""HTML comments (Disqus, WordPress) → the service's Markdown, so they are stored like any
reader's text and rendered by ``engagement.sanitize`` alone.

Paragraphs, line breaks, emphasis, links, quotes, code and lists keep their meaning; every
other tag is dropped with its text kept, and script and style elements with their content.
Text is escaped, so ``*`` or ``<b>`` written as text stay text. Whatever this conversion lets
through, the sanitizer's allowlist is what reaches a page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_ESCAPED = re.compile(r"([\\`*_\[\]<>&])")
_SPACES = re.compile(r"[ \t\n\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ABSOLUTE = re.compile(r"(?:https?://|mailto:)\S+\Z", re.IGNORECASE)
_DROPPED = frozenset({"script", "style", "template", "iframe", "object", "noscript"})
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "wbr"})
_BLOCKS = frozenset({"p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "hr"})


class _Converter(HTMLParser):
    def __init__(self, *, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        # One buffer per open element whose text is rewritten when it closes (links, quotes).
        self.buffers: list[list[str]] = [[]]
        self.hrefs: list[str | None] = []
        self.dropped = 0
        self.pre = 0
        self.inline_code = False
        self.lists: list[str] = []

    def emit(self, piece: str) -> None:
        if not self.dropped:
            self.buffers[-1].append(piece)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropped += tag not in _VOID
        elif tag in _BLOCKS:
            self.emit("\n\n")
        elif tag == "br":
            self.emit("\n")
        elif tag in ("em", "i"):
            self.emit("*")
        elif tag in ("strong", "b"):
            self.emit("**")
        elif tag == "pre":
            self.pre += 1
            self.emit("\n\n```\n")
        elif tag == "code" and not self.pre and not self.inline_code:
            self.inline_code = True
            self.emit("`")
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self.emit("\n\n")
        elif tag == "li":
            self.emit("\n" + ("1. " if self.lists and self.lists[-1] == "ol" else "- "))
        elif tag in ("a", "blockquote"):
            self.hrefs.append(dict(attrs).get("href") if tag == "a" else None)
            self.buffers.append([])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped = max(0, self.dropped - 1)
        elif tag in _BLOCKS:
            self.emit("\n\n")
        elif tag in ("em", "i"):
            self.emit("*")
        elif tag in ("strong", "b"):
            self.emit("**")
        elif tag == "pre" and self.pre:
            self.pre -= 1
            self.emit("\n```\n\n")
        elif tag == "code" and self.inline_code:
            self.inline_code = False
            self.emit("`")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.emit("\n\n")
        elif tag in ("a", "blockquote") and len(self.buffers) > 1:
            inner = "".join(self.buffers.pop())
            href = self.hrefs.pop()
            self.emit(_link(inner, href) if tag == "a" else _quote(inner))

    def handle_data(self, data: str) -> None:
        if self.pre or self.inline_code:
            self.emit(data.replace("`", "'") if self.inline_code else data)
            return
        if not self.keep_newlines:
            data = _SPACES.sub(" ", data)
        self.emit(_ESCAPED.sub(r"\\\1", data))

    def result(self) -> str:
        while len(self.buffers) > 1:  # elements never closed keep their text
            inner = "".join(self.buffers.pop())
            self.buffers[-1].append(inner)
        joined = "".join(self.buffers[0])
        lines = [row.rstrip() for row in joined.split("\n")]
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _link(inner: str, href: str | None) -> str:
    target = (href or "").strip()
    if not _ABSOLUTE.match(target):
        return inner
    target = target.replace("(", "%28").replace(")", "%29")
    if inner.replace("\\", "") == target or not inner.strip():
        return f"<{target}>"
    return f"[{inner}]({target})"


def _quote(inner: str) -> str:
    body = inner.strip()
    return "\n\n" + "\n".join(f"> {row}".rstrip() for row in body.split("\n")) + "\n\n"


def markdown_from_html(html: str | None, *, keep_newlines: bool = False) -> str:
    """Markdown with the meaning of ``html``.

    ``keep_newlines``: line breaks in the text are breaks, as WordPress shows a comment; Disqus
    writes explicit paragraphs, and its line breaks are plain whitespace.
    """
    converter = _Converter(keep_newlines=keep_newlines)
    converter.feed(html or "")
    converter.close()
    return converter.result()
