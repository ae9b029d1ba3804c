"""Comments: posting, reading a thread, the author's edit and delete, likes and reports.

Every change to what a thread shows goes through a verb of this module (``create``,
``set_status``, ``delete``, ``restore``, ``edit``, ``set_pinned``, ``like``), and each keeps two
things exact: ``Article.comment_count`` (visible comments: approved and not deleted), moved by
atomic SQL increments at each visibility transition, and ``Article.thread_version``, bumped so
no cached answer of the old thread is served again. Moderation calls these verbs too.

Each verb re-reads the comment under a row lock before changing it, so make changes to a
comment through these verbs: unflushed changes made to the object beforehand are discarded.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Dialect,
    Row,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from engagement import db as database
from engagement import sanitize
from engagement.abuse import spam
from engagement.articles import service as articles
from engagement.comments.inputs import MAX_ID, NewComment
from engagement.errors import ApiError
from engagement.models import (
    Article,
    Comment,
    CommentLike,
    CommentStatus,
    ModerationMode,
    Report,
    ReportReason,
    utcnow,
)

EDIT_TOKEN_BYTES = 32  # 256 random bits
SORTS = ("oldest", "newest", "top")
PLACEHOLDER_STATUS = "deleted"


@dataclass(frozen=True)
class Created:
    comment: Comment
    # Shown to the author once; only its SHA-256 is stored.
    edit_token: str


# --- reading one comment ---------------------------------------------------------------------


def get(db: Session, *, comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for numbers no row id can have)."""
    if not 1 <= comment_id <= MAX_ID:
        return None
    return db.get(Comment, comment_id)


def get_visible(db: Session, *, comment_id: int) -> Comment:
    """The comment readers can see with this id, or a 404."""
    comment = get(db, comment_id=comment_id)
    if comment is None or not comment.visible:
        raise ApiError(404, "comment_not_found", f"No comment with id {comment_id}.", "id")
    return comment


def avatar_for(*, email: str | None, visitor: str) -> str:
    """The avatar hash: keyed, so it cannot be matched against public avatar services."""
    secret = current_app.config["SECRET_KEY"].encode()[:64]
    source = f"email:{email}" if email else f"visitor:{visitor}"
    digest = hashlib.blake2b(source.encode(), key=secret, person=b"avatar", digest_size=16)
    return digest.hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def as_json(comment: Comment) -> dict[str, Any]:
    """The public representation of one comment (no email, visitor hash or secret)."""
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "html": comment.html,
        "author_name": comment.author_name,
        "author_website": comment.author_website,
        "avatar": comment.avatar,
        "likes": comment.likes,
        "status": comment.status.value,
        "pinned": comment.pinned,
        "deleted": comment.deleted_at is not None,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }


def author_json(comment: Comment) -> dict[str, Any]:
    """What the comment's author gets back: the public fields plus the Markdown source.

    A comment the spam screening filed away reads as waiting for moderation, like any other:
    the answer must not teach a spammer which of their posts were caught.
    """
    shown = {**as_json(comment), "text": comment.text}
    if filed_by_screening(comment):
        shown["status"] = CommentStatus.PENDING.value
    return shown


def filed_by_screening(comment: Comment) -> bool:
    """Whether the spam screening, not a moderator, put this comment in the spam queue."""
    return comment.status is CommentStatus.SPAM and comment.moderated_at is None


# --- posting ---------------------------------------------------------------------------------


def has_approved_comment(db: Session, *, email: str | None, visitor: str) -> bool:
    """Whether this commenter (by email if given, else by visitor hash) was approved before."""
    who = Comment.author_email == email if email else Comment.visitor == visitor
    found = db.scalar(
        select(Comment.id).where(who, Comment.status == CommentStatus.APPROVED).limit(1)
    )
    return found is not None


def initial_status(
    db: Session, *, article: Article, new: NewComment, visitor: str, screening: spam.Screening
) -> CommentStatus:
    """The status a new comment starts with: the one place that decides who is seen at once."""
    if screening.verdict is spam.Verdict.SPAM:
        return CommentStatus.SPAM
    if screening.verdict is spam.Verdict.PENDING:
        return CommentStatus.PENDING
    mode = articles.moderation_mode(article)
    if mode is ModerationMode.POST:
        return CommentStatus.APPROVED
    if mode is ModerationMode.PRE:
        return CommentStatus.PENDING
    if has_approved_comment(db, email=new.author_email, visitor=visitor):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING


def _parent(db: Session, *, article: Article, parent_id: int) -> Comment:
    parent = get(db, comment_id=parent_id)
    if parent is None or parent.article_id != article.id:
        raise ApiError(
            400, "invalid_parent", "The comment replied to is not in this thread.", "parent_id"
        )
    if not parent.visible:
        raise ApiError(
            400, "invalid_parent", "The comment replied to can no longer be answered.", "parent_id"
        )
    return parent


def create(
    db: Session,
    *,
    article: Article,
    new: NewComment,
    visitor: str,
    address: str | None = None,
    honeypot: str | None = None,
    now: datetime | None = None,
) -> Created:
    """Post a comment or reply; returns it with the author's edit secret.

    ``address`` (the client's IP, for network bans) and ``honeypot`` (the hidden form field's
    value) feed the spam screening; a banned poster is refused with 403 ``banned``.
    """
    if not articles.is_open(article, now=now):
        raise ApiError(403, "thread_closed", "This thread is closed to new comments.", None)
    if new.parent_id is not None:
        _parent(db, article=article, parent_id=new.parent_id)
    post = spam.Post(
        text=new.text,
        visitor=visitor,
        author_name=new.author_name,
        author_email=new.author_email,
        author_website=new.author_website,
        address=address,
        honeypot=honeypot,
    )
    screening = spam.screen(db, post=post, now=now)
    token = secrets.token_urlsafe(EDIT_TOKEN_BYTES)
    comment = Comment(
        article_id=article.id,
        parent_id=new.parent_id,
        status=initial_status(db, article=article, new=new, visitor=visitor, screening=screening),
        spam_reasons=screening.reasons,
        text=new.text,
        html=sanitize.render(new.text),
        author_name=new.author_name,
        author_email=new.author_email,
        author_website=new.author_website,
        avatar=avatar_for(email=new.author_email, visitor=visitor),
        visitor=visitor,
        edit_token_hash=_token_hash(token),
        likes=0,
        pinned=False,
        created_at=now or utcnow(),
    )
    db.add(comment)
    db.flush()
    if comment.visible:
        _thread_changed(db, article_id=article.id, count_delta=1)
    return Created(comment=comment, edit_token=token)


# --- changes to what a thread shows (also the moderation verbs) ------------------------------


def _thread_changed(db: Session, *, article_id: int, count_delta: int = 0) -> None:
    """Bump the thread's version and move its comment counter by ``count_delta``, atomically."""
    if not count_delta:
        articles.bump_thread(db, article_id=article_id)
        return
    # One statement for both: the counter and the version always move together.
    db.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(
            comment_count=Article.comment_count + count_delta,
            thread_version=Article.thread_version + 1,
        )
        .execution_options(synchronize_session=False)
    )


def _change(db: Session, comment: Comment, mutate: Callable[[Comment], None]) -> None:
    """Apply ``mutate`` to the freshly locked row; keep the counter and thread version right."""
    # Re-read under a row lock (PostgreSQL; SQLite serializes writers), so two concurrent
    # transitions of one comment cannot both count the same change.
    db.refresh(comment, with_for_update=True)
    was_visible = comment.visible
    mutate(comment)
    db.flush()
    delta = int(comment.visible) - int(was_visible)
    _thread_changed(db, article_id=comment.article_id, count_delta=delta)


def set_status(
    db: Session, *, comment: Comment, status: CommentStatus, now: datetime | None = None
) -> None:
    """Move a comment to ``status`` (approve, reject, mark as spam, back to pending)."""

    def mutate(row: Comment) -> None:
        row.status = status
        row.moderated_at = now or utcnow()

    _change(db, comment, mutate)


def delete(db: Session, *, comment: Comment, now: datetime | None = None) -> None:
    """Delete a comment. Its row stays so it can be restored; readers see it as a placeholder
    while it has visible replies, and not at all otherwise."""

    def mutate(row: Comment) -> None:
        if row.deleted_at is None:
            row.deleted_at = now or utcnow()

    _change(db, comment, mutate)


def restore(db: Session, *, comment: Comment) -> None:
    """Undo a deletion."""

    def mutate(row: Comment) -> None:
        row.deleted_at = None

    _change(db, comment, mutate)


def edit(db: Session, *, comment: Comment, text: str, now: datetime | None = None) -> None:
    """Replace a comment's text (already normalized) and re-render it; marks it edited."""

    def mutate(row: Comment) -> None:
        row.text = text
        row.html = sanitize.render(text)
        row.edited_at = now or utcnow()

    _change(db, comment, mutate)


def set_pinned(db: Session, *, comment: Comment, pinned: bool) -> None:
    """Pin a comment to the top of its thread, or unpin it."""

    def mutate(row: Comment) -> None:
        row.pinned = pinned

    _change(db, comment, mutate)


# --- the author's edit secret ----------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def check_author(comment: Comment, *, token: str | None, now: datetime | None = None) -> None:
    """Refuse unless ``token`` is this comment's edit secret and its window is still open."""
    if comment.deleted_at is not None:
        raise ApiError(404, "comment_not_found", f"No comment with id {comment.id}.", "id")
    stored = comment.edit_token_hash
    if not token or stored is None or not hmac.compare_digest(_token_hash(token), stored):
        raise ApiError(
            403, "invalid_edit_token", "Only the comment's author can change it.", "X-Edit-Token"
        )
    removed = comment.status is CommentStatus.REJECTED or (
        comment.status is CommentStatus.SPAM and not filed_by_screening(comment)
    )
    if removed:
        raise ApiError(403, "not_editable", "This comment was removed by a moderator.", None)
    window = timedelta(minutes=current_app.config["COMMENT_EDIT_WINDOW_MINUTES"])
    if (now or utcnow()) >= comment.created_at + window:
        raise ApiError(
            403, "edit_window_closed", "The time to edit or delete this comment is over.", None
        )


def edit_by_author(
    db: Session,
    *,
    comment: Comment,
    token: str | None,
    text: str,
    address: str | None = None,
    now: datetime | None = None,
) -> None:
    """The author's edit, screened like a new comment; under pre-moderation it goes back to
    the queue. An edit can hold or file away a visible comment, never release a held one."""
    check_author(comment, token=token, now=now)
    article = db.get(Article, comment.article_id)
    assert article is not None
    post = spam.Post(
        text=text,
        visitor=comment.visitor,
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_website=comment.author_website,
        address=address,
    )
    screening = spam.screen(db, post=post, now=now, exclude_comment_id=comment.id)
    back_to_queue = articles.moderation_mode(article) is ModerationMode.PRE
    held = back_to_queue or screening.verdict is spam.Verdict.PENDING

    def mutate(row: Comment) -> None:
        row.text = text
        row.html = sanitize.render(text)
        row.edited_at = now or utcnow()
        if screening.verdict is spam.Verdict.SPAM:
            row.status = CommentStatus.SPAM
        elif held and row.status is not CommentStatus.SPAM:
            row.status = CommentStatus.PENDING
        if screening.reasons:
            row.spam_reasons = list(dict.fromkeys([*(row.spam_reasons or []), *screening.reasons]))

    _change(db, comment, mutate)


def delete_by_author(
    db: Session, *, comment: Comment, token: str | None, now: datetime | None = None
) -> None:
    """The author's delete."""
    check_author(comment, token=token, now=now)
    delete(db, comment=comment, now=now)


# --- likes and reports -----------------------------------------------------------------------


def like(db: Session, *, comment: Comment, visitor: str) -> bool:
    """Like a comment once per visitor; returns whether this like was new."""
    insert = database.insert(db)
    result = db.execute(
        insert(CommentLike)
        .values(comment_id=comment.id, visitor=visitor, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["comment_id", "visitor"])
        .returning(CommentLike.comment_id)
    )
    if result.first() is None:  # this visitor had liked it already
        return False
    db.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(likes=Comment.likes + 1)
        .execution_options(synchronize_session=False)
    )
    articles.bump_thread(db, article_id=comment.article_id)
    return True


def likes_of(db: Session, *, comment_id: int) -> int:
    """The comment's like count as stored now."""
    return db.scalar(select(Comment.likes).where(Comment.id == comment_id)) or 0


def report(
    db: Session, *, comment: Comment, visitor: str, reason: ReportReason, note: str | None = None
) -> bool:
    """Flag a comment for moderators once per visitor; returns whether this report was new."""
    insert = database.insert(db)
    result = db.execute(
        insert(Report)
        .values(
            comment_id=comment.id, visitor=visitor, reason=reason, note=note, created_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["comment_id", "visitor"])
        .returning(Report.id)
    )
    added = result.first() is not None
    if added and not current_app.config["REPORTED_VISIBLE"]:
        _hide_when_reported(db, comment=comment)
    return added


def open_reports(db: Session, *, comment_id: int) -> int:
    """How many reports on the comment no moderator has dealt with yet."""
    return (
        db.scalar(
            select(func.count())
            .select_from(Report)
            .where(Report.comment_id == comment_id, Report.resolved_at.is_(None))
        )
        or 0
    )


def _hide_when_reported(db: Session, *, comment: Comment) -> None:
    """Hold a visible comment for moderation once its open reports reach the threshold."""
    threshold = current_app.config["REPORT_THRESHOLD"]
    if comment.visible and open_reports(db, comment_id=comment.id) >= threshold:
        set_status(db, comment=comment, status=CommentStatus.PENDING)


# --- reading a thread ------------------------------------------------------------------------


_ARTICLE_COLUMNS = (
    "id",
    "key",
    "title",
    "url",
    "published_at",
    "comments_open",
    "moderation",
    "view_count",
    "comment_count",
    "thread_version",
)


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


def thread_article(*, key: str) -> Article | None:
    """The article whose thread is asked for (a detached copy, read-only), or None.

    This is the one query of a thread read answered from the cache, so it runs on a pooled
    DBAPI connection directly: SQLAlchemy's connection and session machinery cost several
    times the query itself. It is read before any comment, so a cached answer is never older
    than the ``thread_version`` it is stored under.
    """
    engine = database.engine()
    sql, positional = _article_sql(engine.dialect)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, (key,) if positional else {"key": key})
        row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()
    if row is None:
        return None
    values = dict(zip(_ARTICLE_COLUMNS, row, strict=True))
    values["published_at"] = _aware(values["published_at"])
    values["comments_open"] = bool(values["comments_open"])
    values["moderation"] = ModerationMode(values["moderation"]) if values["moderation"] else None
    return Article(**values)


@dataclass(frozen=True)
class Page:
    comments: list[dict[str, Any]]
    next_cursor: str | None


# A thread row: the columns below, read without building ORM objects.
ThreadRow = Row[*tuple[Any, ...]]

_THREAD_COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.status,
    Comment.deleted_at,
    Comment.html,
    Comment.author_name,
    Comment.author_website,
    Comment.avatar,
    Comment.likes,
    Comment.pinned,
    Comment.created_at,
    Comment.edited_at,
)


def _order(sort: str) -> list[tuple[Any, bool]]:
    """The sort's key columns, each with whether it descends; pinned comments always lead."""
    if sort == "newest":
        return [(Comment.pinned, True), (Comment.created_at, True), (Comment.id, True)]
    if sort == "top":
        return [
            (Comment.pinned, True),
            (Comment.likes, True),
            (Comment.created_at, False),
            (Comment.id, False),
        ]
    return [(Comment.pinned, True), (Comment.created_at, False), (Comment.id, False)]


def _cursor_values(row: ThreadRow, sort: str) -> list[Any]:
    values: list[Any] = [row.pinned]
    if sort == "top":
        values.append(row.likes)
    return [*values, row.created_at.isoformat(), row.id]


def encode_cursor(row: ThreadRow, sort: str) -> str:
    """An opaque cursor: the sort keys of the last top-level comment of a page."""
    raw = json.dumps([sort, *_cursor_values(row, sort)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    """The sort-key values a cursor carries, or a 400 when it is not one of ours for this sort."""
    bad = ApiError(400, "invalid_cursor", "The cursor is not valid for this thread.", "cursor")
    if len(cursor) > 200:
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
    if not isinstance(pinned, bool) or type(last_id) is not int or not 0 < last_id < 2**31:
        raise bad
    if sort == "top" and (type(middle[0]) is not int or not 0 <= middle[0] < 2**31):
        raise bad
    try:
        moment = datetime.fromisoformat(created_at) if isinstance(created_at, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad
    return [pinned, *middle, moment, last_id]


def _after(keys: Sequence[tuple[Any, bool]], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order ``keys`` (keyset pagination)."""
    clauses = []
    for index, (column, descending) in enumerate(keys):
        same = [key == value for (key, _), value in zip(keys[:index], values[:index], strict=True)]
        value = values[index]
        if isinstance(value, bool):
            # Only ``pinned`` is boolean and it descends: after pinned come the unpinned.
            beyond = column.is_(False) if value else false()
        else:
            beyond = column < value if descending else column > value
        clauses.append(and_(*same, beyond))
    return or_(*clauses)


def _visible_clause(table: Any) -> ColumnElement[bool]:
    return and_(table.status == CommentStatus.APPROVED, table.deleted_at.is_(None))


def thread(
    db: Session,
    *,
    article: Article,
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
    keys = _order(sort)
    child = aliased(Comment)
    top_query = (
        select(*_THREAD_COLUMNS)
        .where(
            Comment.article_id == article.id,
            Comment.parent_id.is_(None),
            or_(_visible_clause(Comment), exists().where(child.parent_id == Comment.id)),
        )
        .order_by(*(column.desc() if descending else column.asc() for column, descending in keys))
        .limit(limit + 1)
    )
    if after is not None:
        top_query = top_query.where(_after(keys, after))
    top = list(db.execute(top_query))
    more = len(top) > limit
    top = top[:limit]
    next_cursor = encode_cursor(top[-1], sort) if more else None

    descendants: list[ThreadRow] = []
    if top:
        tree = (
            select(*_THREAD_COLUMNS)
            .where(Comment.parent_id.in_([row.id for row in top]))
            .cte("tree", recursive=True)
        )
        reply = aliased(Comment)
        tree = tree.union_all(
            select(*(getattr(reply, column.key) for column in _THREAD_COLUMNS)).where(
                reply.parent_id == tree.c.id
            )
        )
        descendants = list(db.execute(select(tree)))
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
    (id_, parent_id, status, deleted_at, html, name, website, avatar, likes, pinned, created_at,
     edited_at) = row  # fmt: skip
    visible = status is CommentStatus.APPROVED and deleted_at is None
    node: dict[str, Any] = {
        "id": id_,
        "parent_id": parent_id,
        "html": html,
        "author_name": name,
        "author_website": website,
        "avatar": avatar,
        "likes": likes,
        "status": status.value,
        "pinned": pinned,
        "deleted": False,
        "created_at": created_at.isoformat(),
        "edited_at": _iso(edited_at),
        "reply_count": 0,
        "replies": [],
    }
    if not visible:  # a placeholder: the comment's place in the thread, nothing of its content
        node.update(
            html="",
            author_name=None,
            author_website=None,
            avatar=None,
            likes=0,
            status=PLACEHOLDER_STATUS,
            pinned=False,
            deleted=True,
            edited_at=None,
        )
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
