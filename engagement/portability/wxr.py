"""Reading a WordPress export (WXR, any version 1.x): each ``<item>`` of the ``<channel>`` is a
post or page (``title``, ``link``, ``wp:post_name``, ``wp:post_date_gmt``) holding its
``<wp:comment>`` elements.

The key of a post is its slug (``wp:post_name``) when that is a valid key, else the last
segment of its link's path. ``comment_approved`` maps 1 → approved, 0 → pending, spam → spam,
trash → deleted; pingbacks and trackbacks are not comments and are left out. A post whose
``wp:comment_status`` is ``closed`` is imported closed. WordPress keeps
the HTML a commenter typed, with line breaks as breaks; it is converted to Markdown.
"""

from __future__ import annotations

from datetime import datetime
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

WXR_PREFIX = "http://wordpress.org/export/"
_NO_DATE = "0000-00-00 00:00:00"
_STATUSES = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
}
_TRASHED = frozenset({"trash", "post-trashed"})


class _Item:
    """Finds an item's children by local name, whichever WXR version's namespace they use."""

    def __init__(self, element: Element) -> None:
        self.element = element

    def text(self, name: str, *, wp: bool = True, within: Element | None = None) -> str | None:
        for child in within if within is not None else self.element:
            namespace = xmlfiles.namespace(child)
            if xmlfiles.local_name(child) == name and namespace.startswith(WXR_PREFIX) == wp:
                return child.text
        return None


def _moment(item: _Item, comment: Element, where: str) -> datetime:
    for name in ("comment_date_gmt", "comment_date"):
        raw = (item.text(name, within=comment) or "").strip()
        if raw and raw != _NO_DATE:
            return records.timestamp(raw, where=where)
    raise MalformedSource(f"{where}: no comment_date_gmt")


def _comment(item: _Item, element: Element) -> SourceComment | None:
    source_id = (item.text("comment_id", within=element) or "").strip()
    where = f"comment {source_id or '?'}"
    if not source_id:
        raise MalformedSource(f"{where}: no comment_id")
    if (item.text("comment_type", within=element) or "").strip() in ("pingback", "trackback"):
        return None
    parent = (item.text("comment_parent", within=element) or "0").strip()
    approved = (item.text("comment_approved", within=element) or "1").strip()
    created_at = _moment(item, element, where)
    html = item.text("comment_content", within=element)
    return SourceComment(
        source_id=source_id,
        parent_id=None if parent in ("", "0") else parent,
        text=records.text(markdown_from_html(html, keep_newlines=True)),
        created_at=created_at,
        status=CommentStatus.REJECTED
        if approved in _TRASHED
        else _STATUSES.get(approved, CommentStatus.PENDING),
        deleted_at=created_at if approved in _TRASHED else None,
        author_name=records.name(item.text("comment_author", within=element)),
        author_email=records.email(item.text("comment_author_email", within=element)),
        author_website=records.website(item.text("comment_author_url", within=element)),
    )


def _thread(element: Element, key_from: KeyFrom) -> SourceThread:
    item = _Item(element)
    link = item.text("link", wp=False)
    slug = item.text("post_name")
    published = (item.text("post_date_gmt") or "").strip()
    thread = SourceThread(
        key=records.article_key(identifier=slug, url=link, key_from=key_from),
        label=f"{slug or ''} {link or ''}".strip() or "an item without slug or link",
        title=records.line(item.text("title", wp=False), records.TITLE_MAX) or "",
        url=records.url(link),
        published_at=records.timestamp(published, where=f"item {slug}")
        if published and published != _NO_DATE
        else None,
        comments_open=(item.text("comment_status") or "open").strip() != "closed",
    )
    for child in element:
        if xmlfiles.local_name(child) == "comment" and xmlfiles.namespace(child).startswith(
            WXR_PREFIX
        ):
            comment = _comment(item, child)
            if comment is None:
                thread.not_comments += 1
            else:
                thread.comments.append(comment)
    return thread


def read(path: Path, stage: Stage, *, key_from: KeyFrom = KeyFrom.AUTO) -> None:
    """Stage the posts and pages of a WXR file that have comments, with their comments."""
    for index, (element, root) in enumerate(xmlfiles.children_of_root(path, depth=2)):
        if root.tag != "rss":
            raise MalformedSource(f"not a WordPress export: the root element is <{root.tag}>")
        if element.tag == "item":
            thread = _thread(element, key_from)
            if thread.comments or thread.not_comments:
                stage.add_thread(str(index), thread)
                for comment in thread.comments:
                    stage.add_comment(str(index), comment)
