"""Comments: posting, the author's edit and delete, likes and reports (reading: ``threads``).

Every change to what a thread shows goes through a verb of this module (``save``,
``set_status``, ``delete``, ``restore``, ``edit``, ``set_pinned``, ``like``), and each keeps two
things exact: ``Article.comment_count`` (visible comments: approved and not deleted), moved by
atomic SQL increments at each visibility transition, and ``Article.thread_version``, bumped so
no cached answer of the old thread is served again. Moderation calls these verbs too.

Each verb re-reads the comment under a row lock before changing it, so make changes to a
comment through these verbs: unflushed changes made to the object beforehand are discarded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy import delete as delete_rows
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import sanitize
from engagement.abuse import spam
from engagement.articles import service as articles
from engagement.comments.inputs import MAX_ID, NewComment
from engagement.errors import ApiError
from engagement.identity import readers
from engagement.identity.sessions import ReaderSession, reader_id
from engagement.keyed import site_hash
from engagement.models import (
    Article,
    Comment,
    Commenting,
    CommentLike,
    CommentStatus,
    MailSubscriber,
    ModerationMode,
    Report,
    ReportReason,
    Trust,
    utcnow,
)
from engagement.notifications import events

EDIT_TOKEN_BYTES = 32  # 256 random bits


@dataclass(frozen=True)
class Draft:
    """A comment built by ``prepare``, and stored once ``save`` has run."""

    comment: Comment
    # Shown to the author once; only its SHA-256 is stored.
    edit_token: str
    article: Article | None = None
    # Whether anything consumes events (``events.listening``), asked while reading.
    heard: bool | None = None
    # The language of the reply mails the author asked for; None: they asked for none.
    watch_language: str | None = None


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


def avatar_for(*, email: str | None, visitor: str, subject: str | None = None) -> str:
    """The avatar hash: keyed, so it cannot be matched against public avatar services."""
    if email:
        source = f"email:{email}"
    elif subject:
        source = f"reader:{subject}"
    else:
        source = f"visitor:{visitor}"
    return site_hash(source, person=b"avatar")


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
        "author_verified": comment.author_subject is not None,
        "author_staff": comment.author_staff,
        "author_id": reader_id(comment.author_subject) if comment.author_subject else None,
        "avatar": comment.author_avatar_url or comment.avatar,
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


_APPROVED_BY_SUBJECT = (
    select(Comment.id)
    .where(Comment.author_subject == bindparam("who"), Comment.status == CommentStatus.APPROVED)
    .limit(1)
)


# A guest's address earns trust only once it proved it is read: its owner followed the
# confirmation link of the reply notifications (confirmed_at stays set after unsubscribing).
_APPROVED_BY_CONFIRMED_EMAIL = (
    select(Comment.id)
    .join(MailSubscriber, MailSubscriber.email == Comment.author_email)
    .where(
        Comment.author_email == bindparam("email"),
        Comment.author_subject.is_(None),
        Comment.status == CommentStatus.APPROVED,
        MailSubscriber.confirmed_at.is_not(None),
    )
    .limit(1)
)


def has_approved_comment(db: Session, *, subject: str) -> bool:
    """Whether this signed-in reader had a comment approved before."""
    return db.scalar(_APPROVED_BY_SUBJECT, {"who": subject}) is not None


def confirmed_guest_was_approved(db: Session, *, email: str) -> bool:
    """Whether a guest whose address is confirmed had a comment approved under it before."""
    return db.scalar(_APPROVED_BY_CONFIRMED_EMAIL, {"email": email}) is not None


def initial_status(
    db: Session,
    *,
    article: Article,
    reader: ReaderSession | None,
    screening: spam.Screening,
    email: str | None = None,
    now: datetime | None = None,
) -> CommentStatus:
    """The status a new comment starts with: the one place that decides who is seen at once.

    Trust goes to verified identities only (the rules: ``identity/readers.py``): a signed-in
    reader, or a guest whose ``email`` was confirmed through the reply notifications. A typed
    email alone proves nothing, so under first-time moderation such a guest waits.
    """
    if screening.verdict is spam.Verdict.SPAM:
        return CommentStatus.SPAM
    if screening.verdict is spam.Verdict.PENDING:
        return CommentStatus.PENDING
    record = readers.get(db, subject=reader.subject) if reader is not None else None
    if record is not None and record.trust is Trust.UNTRUSTED:
        return CommentStatus.PENDING
    mode = articles.moderation_mode(article)
    if mode is ModerationMode.POST:
        return CommentStatus.APPROVED
    if reader is None:
        first_time = mode is ModerationMode.FIRST_TIME and email is not None
        if first_time and confirmed_guest_was_approved(db, email=str(email)):
            return CommentStatus.APPROVED
        return CommentStatus.PENDING
    config = current_app.config
    if (
        reader.staff
        or (record is not None and record.trust is Trust.TRUSTED)
        or readers.is_regular(
            db,
            subject=reader.subject,
            after=config["TRUST_AFTER_APPROVED"],
            clean_days=config["TRUST_CLEAN_DAYS"],
            now=now,
        )
    ):
        return CommentStatus.APPROVED
    if mode is ModerationMode.FIRST_TIME and has_approved_comment(db, subject=reader.subject):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING


def check_may_comment(article: Article, *, reader: ReaderSession | None) -> None:
    """Refuse a reader the article's rule does not let comment: 401 for a guest who must
    sign in, 403 for a signed-in reader who is not a subscriber."""
    rule = articles.commenting(article)
    if rule is Commenting.ANYONE:
        return
    if reader is None:
        message = (
            "Sign in to comment on this article."
            if rule is Commenting.SIGNED_IN
            else "Only subscribers can comment on this article: sign in."
        )
        raise ApiError(401, "sign_in_required", message, None)
    if rule is Commenting.SUBSCRIBERS and not reader.subscriber:
        raise ApiError(
            403, "subscribers_only", "Only subscribers can comment on this article.", None
        )


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


def prepare(
    db: Session,
    *,
    article: Article,
    new: NewComment,
    visitor: str,
    address: str | None = None,
    honeypot: str | None = None,
    reader: ReaderSession | None = None,
    now: datetime | None = None,
) -> Draft:
    """Check and screen a comment or reply, reading only; ``save`` stores it.

    ``address`` (the client's IP, for network bans) and ``honeypot`` (the hidden form field's
    value) feed the spam screening; a banned poster is refused with 403 ``banned``. A signed-in
    ``reader`` posts under the name the magazine gave them (the name, email and website in
    ``new`` are not used); a guest may not use a signed-in reader's name.
    """
    if not articles.is_open(article, now=now):
        raise ApiError(403, "thread_closed", "This thread is closed to new comments.", None)
    check_may_comment(article, reader=reader)
    if new.parent_id is not None:
        _parent(db, article=article, parent_id=new.parent_id)
    if reader is None:
        readers.check_guest_name(db, name=new.author_name)
        name, email, website, subject = (
            new.author_name,
            new.author_email,
            new.author_website,
            None,
        )
    else:
        record = readers.get(db, subject=reader.subject)
        name, email, website = reader.name, record.email if record else None, None
        subject = reader.subject
    post = spam.Post(
        text=new.text,
        visitor=visitor,
        author_name=name,
        author_email=email,
        author_website=website,
        address=address,
        honeypot=honeypot,
    )
    screening = spam.screen(db, post=post, now=now)
    token = secrets.token_urlsafe(EDIT_TOKEN_BYTES)
    comment = Comment(
        article_id=article.id,
        parent_id=new.parent_id,
        status=initial_status(
            db, article=article, reader=reader, screening=screening, email=email, now=now
        ),
        spam_reasons=screening.reasons,
        text=new.text,
        html=new.html,
        author_name=name,
        author_email=email,
        author_website=website,
        author_subject=subject,
        author_staff=reader is not None and reader.staff,
        avatar=avatar_for(email=email, visitor=visitor, subject=subject),
        author_avatar_url=reader.avatar if reader is not None else None,
        visitor=visitor,
        edit_token_hash=_token_hash(token),
        likes=0,
        pinned=False,
        created_at=now or utcnow(),
    )
    watch = new.notify_replies and new.author_email and events.mail_configured()
    return Draft(
        comment=comment,
        edit_token=token,
        article=article,
        heard=events.listening(db),
        watch_language=new.language if watch else None,
    )


def save(db: Session, draft: Draft) -> Draft:
    """Store a prepared comment: one insert, and the thread's counter and version if it shows;
    its event (with the author's wish to hear of replies) in the same transaction."""
    comment = draft.comment
    db.add(comment)
    db.flush()
    if comment.visible:
        articles.bump_thread(db, article_id=comment.article_id, count_delta=1)
    # Spam asks for nothing: no confirmation mail goes out on a spammer's say-so.
    watch = draft.watch_language if comment.status is not CommentStatus.SPAM else None
    events.comment_event(
        db,
        type=events.COMMENT_CREATED,
        comment=comment,
        article=draft.article,
        heard=draft.heard,
        watch_language=watch,
    )
    return draft


def staff_reply(db: Session, *, parent: Comment, text: str, name: str, author: str) -> Comment:
    """Store the newsroom's reply to a visible comment: approved, with the staff badge.

    ``author`` (the moderator's or token's name) keys the reply's avatar and visitor hash, so
    the newsroom's replies look alike and are never taken for a reader's.
    """
    if not parent.visible:
        raise ApiError(
            400, "invalid_parent", "The comment replied to can no longer be answered.", "parent_id"
        )
    article = db.get(Article, parent.article_id)
    assert article is not None
    if not articles.is_open(article):
        raise ApiError(403, "thread_closed", "This thread is closed to new comments.", None)
    staff = site_hash(f"staff:{author}", person=b"visitor")
    comment = Comment(
        article_id=parent.article_id,
        parent_id=parent.id,
        status=CommentStatus.APPROVED,
        text=text,
        html=sanitize.render(text),
        author_name=name,
        author_staff=True,
        avatar=avatar_for(email=None, visitor=staff),
        visitor=staff,
        likes=0,
        pinned=False,
        created_at=utcnow(),
        moderated_at=utcnow(),
    )
    return save(db, Draft(comment=comment, edit_token="")).comment


# --- changes to what a thread shows (also the moderation verbs) ------------------------------


def _change(db: Session, comment: Comment, mutate: Callable[[Comment], None]) -> None:
    """Apply ``mutate`` to the freshly locked row; keep the counter and thread version right."""
    # Re-read under a row lock (PostgreSQL; SQLite serializes writers), so two concurrent
    # transitions of one comment cannot both count the same change.
    db.refresh(comment, with_for_update=True)
    was_visible = comment.visible
    before = (comment.status, comment.deleted_at, comment.text)
    mutate(comment)
    db.flush()
    delta = int(comment.visible) - int(was_visible)
    articles.bump_thread(db, article_id=comment.article_id, count_delta=delta)
    for type in _events_of(before, comment):
        events.comment_event(db, type=type, comment=comment)


def _events_of(before: tuple[CommentStatus, datetime | None, str], comment: Comment) -> list[str]:
    """The events a change made: approved, rejected, deleted, edited."""
    status, deleted_at, text = before
    happened = []
    if comment.status is not status and comment.status is CommentStatus.APPROVED:
        happened.append(events.COMMENT_APPROVED)
    if comment.status is not status and comment.status is CommentStatus.REJECTED:
        happened.append(events.COMMENT_REJECTED)
    if deleted_at is None and comment.deleted_at is not None:
        happened.append(events.COMMENT_DELETED)
    if comment.text != text:
        happened.append(events.COMMENT_EDITED)
    return happened


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


def is_own(comment: Comment, reader: ReaderSession | None) -> bool:
    """Whether the signed-in reader wrote this comment."""
    return (
        reader is not None
        and comment.author_subject is not None
        and hmac.compare_digest(comment.author_subject.encode(), reader.subject.encode())
    )


def check_author(
    comment: Comment,
    *,
    token: str | None,
    reader: ReaderSession | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse unless the request comes from the comment's author (its edit secret, or the
    signed-in reader who wrote it, on any device) and the edit window is still open."""
    if comment.deleted_at is not None:
        raise ApiError(404, "comment_not_found", f"No comment with id {comment.id}.", "id")
    stored = comment.edit_token_hash
    if is_own(comment, reader):
        pass
    elif not token or stored is None or not hmac.compare_digest(_token_hash(token), stored):
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
    reader: ReaderSession | None = None,
    now: datetime | None = None,
) -> None:
    """The author's edit, screened like a new comment; under pre-moderation it goes back to
    the queue. An edit can hold or file away a visible comment, never release a held one."""
    check_author(comment, token=token, reader=reader, now=now)
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
    db: Session,
    *,
    comment: Comment,
    token: str | None,
    reader: ReaderSession | None = None,
    now: datetime | None = None,
) -> None:
    """The author's delete."""
    check_author(comment, token=token, reader=reader, now=now)
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


def unlike(db: Session, *, comment: Comment, visitor: str) -> bool:
    """Take back this visitor's like; returns whether there was one (a second call changes
    nothing)."""
    result = db.execute(
        delete_rows(CommentLike).where(
            CommentLike.comment_id == comment.id, CommentLike.visitor == visitor
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    db.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.likes > 0)
        .values(likes=Comment.likes - 1)
        .execution_options(synchronize_session=False)
    )
    articles.bump_thread(db, article_id=comment.article_id)
    return True


def likes_of(db: Session, *, comment_id: int) -> int:
    """The comment's like count as stored now."""
    return db.scalar(select(Comment.likes).where(Comment.id == comment_id)) or 0


def report(
    db: Session,
    *,
    comment: Comment,
    visitor: str,
    reason: ReportReason,
    note: str | None = None,
    network: str | None = None,
) -> bool:
    """Flag a comment for moderators once per visitor; returns whether this report was new.

    ``network`` (``visitors.network()``) makes one network's reports count once toward the
    report threshold.
    """
    insert = database.insert(db)
    result = db.execute(
        insert(Report)
        .values(
            comment_id=comment.id,
            visitor=visitor,
            network=network,
            reason=reason,
            note=note,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["comment_id", "visitor"])
        .returning(Report.id)
    )
    added = result.first() is not None
    if added and not current_app.config["REPORTED_VISIBLE"]:
        _hide_when_reported(db, comment=comment)
    if added:
        events.comment_event(db, type=events.COMMENT_REPORTED, comment=comment)
    return added


def reporters() -> ColumnElement[int]:
    """How many reporters a group of reports comes from: each network once (a report stored
    without one counts by its visitor). What the report threshold is compared with."""
    return func.count(func.distinct(func.coalesce(Report.network, Report.visitor)))


def open_reports(db: Session, *, comment_id: int) -> int:
    """How many reporters have reports on the comment that no moderator has dealt with yet."""
    return (
        db.scalar(
            select(reporters()).where(Report.comment_id == comment_id, Report.resolved_at.is_(None))
        )
        or 0
    )


def _hide_when_reported(db: Session, *, comment: Comment) -> None:
    """Hold a visible comment for moderation once its open reports reach the threshold."""
    threshold = current_app.config["REPORT_THRESHOLD"]
    if comment.visible and open_reports(db, comment_id=comment.id) >= threshold:
        set_status(db, comment=comment, status=CommentStatus.PENDING)
