"""Reading a Disqus XML export: ``<thread dsq:id>`` elements (identifier, link, title) and
``<post dsq:id>`` elements (message as HTML, createdAt, isDeleted, isSpam, author name and
email, the thread and the parent they belong to), all children of ``<disqus>``. A thread whose
``isClosed`` is true is imported closed.

The key of a thread is its Disqus identifier (``<id>``) when that is a valid key, else the last
segment of its link's path (``https://magazine.example/2024/my-story/`` → ``my-story``); the
``KeyFrom`` option chooses one of the two. Messages are converted from HTML to Markdown.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from engagement.models import CommentStatus
from engagement.portability import records, xmlfiles
from engagement.portability.markup import markdown_from_html
from engagement.portability.records import (
    KeyFrom,
    MalformedSource,
    SourceComment,
    SourceThread,
)
from engagement.portability.staging import Stage

NS = "http://disqus.com"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def _find(element: Element, name: str) -> Element | None:
    return element.find(f"{{{NS}}}{name}")


def _text(element: Element, path: str) -> str | None:
    found = element.find("/".join(f"{{{NS}}}{name}" for name in path.split("/")))
    return found.text if found is not None else None


def _flag(element: Element, name: str) -> bool:
    return (_text(element, name) or "").strip().lower() == "true"


def _thread(element: Element, key_from: KeyFrom) -> SourceThread:
    identifier = _text(element, "id")
    link = _text(element, "link")
    return SourceThread(
        key=records.article_key(identifier=identifier, url=link, key_from=key_from),
        label=f"{identifier or ''} {link or ''}".strip() or element.get(DSQ_ID, "?"),
        title=records.line(_text(element, "title"), records.TITLE_MAX) or "",
        url=records.url(link),
        comments_open=not _flag(element, "isClosed"),
    )


def _post(element: Element) -> tuple[str, SourceComment]:
    source_id = element.get(DSQ_ID)
    where = f"post {source_id}"
    thread = _find(element, "thread")
    if not source_id or thread is None or not thread.get(DSQ_ID):
        raise MalformedSource(f"{where}: a post needs a dsq:id and a thread")
    created = _text(element, "createdAt")
    if created is None:
        raise MalformedSource(f"{where}: no createdAt")
    parent = _find(element, "parent")
    created_at = records.timestamp(created, where=where)
    status = CommentStatus.SPAM if _flag(element, "isSpam") else CommentStatus.APPROVED
    if _text(element, "isApproved") is not None and not _flag(element, "isApproved"):
        status = CommentStatus.PENDING if status is CommentStatus.APPROVED else status
    comment = SourceComment(
        source_id=source_id,
        parent_id=parent.get(DSQ_ID) if parent is not None else None,
        text=records.text(markdown_from_html(_text(element, "message"))),
        created_at=created_at,
        status=status,
        # Disqus does not say when; the creation time keeps a reimport recognisable.
        deleted_at=created_at if _flag(element, "isDeleted") else None,
        author_name=records.name(_text(element, "author/name")),
        author_email=records.email(_text(element, "author/email")),
    )
    return thread.get(DSQ_ID, ""), comment


def read(path: Path, stage: Stage, *, key_from: KeyFrom = KeyFrom.AUTO) -> None:
    """Stage the threads of a Disqus export and their posts."""
    for element, root in xmlfiles.children_of_root(path):
        if root.tag != f"{{{NS}}}disqus":
            raise MalformedSource(f"not a Disqus export: the root element is <{root.tag}>")
        name = xmlfiles.local_name(element)
        if name == "thread" and element.get(DSQ_ID):
            stage.add_thread(element.get(DSQ_ID, ""), _thread(element, key_from))
        elif name == "post":
            stage.add_comment(*_post(element))
    stage.check(thread_id="dsq:id")
