"""Reading a thread: one page of top-level comments with their replies nested, in a constant
number of queries whatever the thread's size, and the article row that keys its cache."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Row,
    Select,
    and_,
    bindparam,
    false,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from engagement import db as database
from engagement.articles.service import ArticleRow
from engagement.comments import public
from engagement.models import Article, Comment, Commenting, CommentStatus, ModerationMode
from engagement.parsing import column_max
from engagement.refusals import Invalid

SORTS = ("oldest", "newest", "top")
CURSOR_MAX = 200  # characters: a cursor of ours is far shorter


_ARTICLE_COLUMNS = tuple(field.name for field in dataclasses.fields(ArticleRow))


@functools.lru_cache(maxsize=8)
def _article_sql(dialect: Dialect) -> tuple[str, bool]:
    table = Article.__table__
    statement = select(*(table.c[name] for name in _ARTICLE_COLUMNS)).where(
        table.c.key == bindparam("key")
    )
    compiled = statement.compile(dialect=dialect)
    return str(compiled), compiled.positional


def _aware(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):  # SQLite keeps timestamps as ISO text, in UTC
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def thread_article(*, key: str) -> ArticleRow | None:
    """The article whose thread is asked for (a read-only copy), or None.

    This is the one query of a thread read answered from the cache, so it runs on a pooled
    DBAPI connection directly (``db.raw``): SQLAlchemy's connection and session machinery
    cost several times the query itself. It is read before any comment, so a cached answer is
    never older than the ``thread_version`` it is stored under.
    """

    def read(conn: database.RawConnection) -> Any:
        sql, positional = _article_sql(conn.dialect)
        return conn.execute(sql, (key,) if positional else {"key": key}).fetchone()

    row = database.raw(read, writes=False)
    if row is None:
        return None
    values = dict(zip(_ARTICLE_COLUMNS, row, strict=True))
    values["published_at"] = _aware(values["published_at"])
    values["comments_open"] = bool(values["comments_open"])
    values["moderation"] = ModerationMode(values["moderation"]) if values["moderation"] else None
    values["commenting"] = Commenting(values["commenting"]) if values["commenting"] else None
    return ArticleRow(**values)


@dataclass(frozen=True, slots=True)
class PageQuery:
    """The page of a thread a reader asks for (``inputs.thread_query``)."""

    sort: str
    limit: int
    cursor: str | None  # as sent: it names the page in the answer's ETag and cache key
    after: list[Any] | None  # the cursor's values (``decode_cursor``); None: the first page
    missing_empty: bool = False  # an unregistered article answers an empty thread, not a 404


@dataclass(frozen=True)
class Page:
    comments: list[dict[str, Any]]
    next_cursor: str | None


# A thread row: the public shape's columns (``public.COLUMNS``), read without ORM objects.
ThreadRow = Row[*tuple[Any, ...]]
_THREAD_COLUMNS = public.COLUMNS


def _order(sort: str) -> list[tuple[Any, bool]]:
    """The sort's keys, each with whether it descends: ``pinned`` first, then keys that all go
    one way, in the order of the sort's index (``ix_comments_thread_<sort>``)."""
    if sort == "newest":
        return [(Comment.pinned, True), (Comment.created_at, True), (Comment.id, True)]
    if sort == "top":  # most liked first: ascending ``-likes``, which the index holds
        return [
            (Comment.pinned, True),
            (-Comment.likes, False),
            (Comment.created_at, False),
            (Comment.id, False),
        ]
    return [(Comment.pinned, True), (Comment.created_at, False), (Comment.id, False)]


def _cursor_values(row: ThreadRow, sort: str) -> list[Any]:
    values: list[Any] = [row.pinned]
    if sort == "top":
        values.append(row.likes)  # as it was always written; ``_after`` bounds by its negation
    return [*values, row.created_at.isoformat(), row.id]


def encode_cursor(row: ThreadRow, sort: str) -> str:
    """An opaque cursor: the sort keys of the last top-level comment of a page."""
    raw = json.dumps([sort, *_cursor_values(row, sort)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_ID_MAX = column_max(Comment.id)
_LIKES_MAX = column_max(Comment.likes)


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    """The values of the sort's keys (``_order``) a cursor carries; refused as invalid when it
    is not one of ours for this sort."""
    bad = Invalid("invalid_cursor", "The cursor is not valid for this thread.", "cursor")
    if len(cursor) > CURSOR_MAX:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    width = 5 if sort == "top" else 4
    if not isinstance(decoded, list) or len(decoded) != width or decoded[0] != sort:
        raise bad
    pinned, *middle, created_at, last_id = decoded[1:]
    if not isinstance(pinned, bool) or type(last_id) is not int or not 0 < last_id <= _ID_MAX:
        raise bad
    if sort == "top" and (type(middle[0]) is not int or not 0 <= middle[0] <= _LIKES_MAX):
        raise bad
    try:
        moment = datetime.fromisoformat(created_at) if isinstance(created_at, str) else None
        if moment is None or moment.tzinfo is None:
            raise bad
        moment = moment.astimezone(UTC)  # years 1 and 9999 may overflow here
    except (ValueError, OverflowError):
        raise bad from None
    # ``top`` is ordered by ``-likes`` (see ``_order``); the cursor carries the likes.
    return [pinned, *(-likes for likes in middle), moment, last_id]


def _after(keys: Sequence[tuple[Any, bool]], *, pinned_value: bool) -> ColumnElement[bool]:
    """Rows strictly after the cursor's values (bound as ``after_0``, ``after_1``... for the
    keys after ``pinned``) in the order ``keys`` (keyset pagination).

    The keys after ``pinned`` go one way, so one row comparison says "after" for them, and the
    index range scan starts right there (on SQLite, for ``top``, at the cursor's likes). A page
    that ends among the pinned comments (as many as a page or more) continues with the rest of
    them, then with every unpinned one.
    """
    (pinned, _), *rest = keys
    descending = rest[0][1]
    row = tuple_(*(column for column, _ in rest))
    bound = tuple_(
        *(bindparam(f"after_{index}", type_=column.type) for index, (column, _) in enumerate(rest))
    )
    beyond = row < bound if descending else row > bound
    # The same bound on the first key alone, for SQLite: it starts a range scan from a row
    # comparison only on plain columns, not on ``top``'s ``-likes``.
    first, first_value = rest[0][0], bound.clauses[0]
    beyond = and_(first <= first_value if descending else first >= first_value, beyond)
    if not pinned_value:
        return and_(pinned == false(), beyond)
    return or_(and_(pinned == true(), beyond), pinned == false())


def _visible_clause(table: Any) -> ColumnElement[bool]:
    return and_(table.status == CommentStatus.APPROVED, table.deleted_at.is_(None))


@functools.lru_cache(maxsize=16)
def _page_query(sort: str, after_pinned: bool | None) -> Select[*tuple[Any, ...]]:
    """The query of a page's top-level comments (``after_pinned``: the cursor's ``pinned``,
    None on a first page), built once: building it cost more than PostgreSQL's answer."""
    keys = _order(sort)
    child = aliased(Comment)
    # A scalar subquery, probed through ``ix_comments_parent_id`` for the few hidden comments
    # the scan meets: PostgreSQL may run an EXISTS as one hashed pass over every comment.
    has_replies = select(child.id).where(child.parent_id == Comment.id).limit(1).scalar_subquery()
    query = (
        select(*_THREAD_COLUMNS)
        .where(
            Comment.article_id == bindparam("article_id"),
            Comment.parent_id.is_(None),
            or_(_visible_clause(Comment), has_replies.is_not(None)),
        )
        .order_by(*(column.desc() if descending else column.asc() for column, descending in keys))
        .limit(bindparam("limit"))
    )
    if after_pinned is not None:
        query = query.where(_after(keys, pinned_value=after_pinned))
    return query


@functools.lru_cache(maxsize=1)
def _replies_query() -> Select[*tuple[Any, ...]]:
    """Every comment below the comments ``ids`` (one recursive query), built once."""
    tree = (
        select(*_THREAD_COLUMNS)
        .where(Comment.parent_id.in_(bindparam("ids", expanding=True)))
        .cte("tree", recursive=True)
    )
    reply = aliased(Comment)
    tree = tree.union_all(
        select(*(getattr(reply, column.key) for column in _THREAD_COLUMNS)).where(
            reply.parent_id == tree.c.id
        )
    )
    return select(tree)


def page(
    db: Session,
    *,
    article: Article | ArticleRow,
    sort: str = "oldest",
    after: list[Any] | None = None,
    limit: int = 20,
    max_depth: int = 5,
) -> Page:
    """One page of the thread: top-level comments in ``sort`` order with their replies nested.

    Two queries whatever the thread's size: the page of top-level comments, then all their
    descendants through one recursive query. Replies read oldest first; nesting deeper than
    ``max_depth`` reply levels is shown at that depth. A removed comment that still has visible
    replies is shown as a placeholder, so the thread keeps its shape.
    """
    parameters: dict[str, Any] = {"article_id": article.id, "limit": limit + 1}
    if after is not None:
        parameters.update((f"after_{index}", value) for index, value in enumerate(after[1:]))
    top = list(db.execute(_page_query(sort, None if after is None else after[0]), parameters))
    more = len(top) > limit
    top = top[:limit]
    next_cursor = encode_cursor(top[-1], sort) if more else None

    descendants: list[ThreadRow] = []
    if top:
        descendants = list(db.execute(_replies_query(), {"ids": [row.id for row in top]}))
    return Page(comments=_nest(top, descendants, max_depth), next_cursor=next_cursor)


@dataclass(slots=True)
class _Entry:
    """One comment of the thread being assembled: its place in the tree and its answer node."""

    id: int
    parent_id: int | None
    created_at: datetime
    visible: bool
    node: dict[str, Any]


def _entry(row: ThreadRow) -> _Entry:
    id_, parent_id, status, deleted_at, created_at = row[:5]  # ``public.COLUMNS`` come first
    visible = status is CommentStatus.APPROVED and deleted_at is None
    # A removed comment with visible replies: its place in the thread, nothing of its content.
    node = public.shown(row) if visible else public.placeholder(id_, parent_id, created_at)
    node["reply_count"] = 0
    node["replies"] = []
    return _Entry(id_, parent_id, created_at, visible, node)


def _nest(
    top: list[ThreadRow], descendants: list[ThreadRow], max_depth: int
) -> list[dict[str, Any]]:
    """Build the nested answer without recursion (a reply chain may be thousands deep)."""
    roots = [_entry(row) for row in top]
    replies = sorted((_entry(row) for row in descendants), key=lambda e: (e.created_at, e.id))
    children: dict[int | None, list[_Entry]] = {}
    for entry in replies:
        children.setdefault(entry.parent_id, []).append(entry)
    # Visible comments below each comment. A reply always has a larger id than its parent, so
    # walking ids downwards visits every child before its parent.
    below: dict[int, int] = {}
    for entry in sorted([*roots, *replies], key=lambda e: e.id, reverse=True):
        total = below.get(entry.id, 0) + entry.visible
        if entry.parent_id is not None:
            below[entry.parent_id] = below.get(entry.parent_id, 0) + total

    answer: list[dict[str, Any]] = []
    # (entry, depth, the list its node goes into)
    stack = [
        (entry, 0, answer) for entry in reversed(roots) if entry.visible or below.get(entry.id, 0)
    ]
    while stack:
        entry, depth, into = stack.pop()
        node = entry.node
        node["reply_count"] = below.get(entry.id, 0)
        into.append(node)
        if depth + 1 < max_depth:
            stack.extend(
                (kid, depth + 1, node["replies"])
                for kid in reversed(children.get(entry.id, []))
                if kid.visible or below.get(kid.id, 0) > 0
            )
        else:
            # Its replies are at the last level: every visible reply below is shown there,
            # oldest first, however deep it was written.
            node["replies"] = [kid.node for kid in _subtree(children, entry.id) if kid.visible]
    return answer


def _subtree(children: dict[int | None, list[_Entry]], root: int) -> list[_Entry]:
    """Every comment below ``root``, oldest first."""
    found: list[_Entry] = []
    pending = [root]
    while pending:
        kids = children.get(pending.pop(), [])
        found.extend(kids)
        pending.extend(kid.id for kid in kids)
    return sorted(found, key=lambda e: (e.created_at, e.id))
