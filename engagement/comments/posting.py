"""Posting a comment: checked and screened while reading only (``prepare``), then stored
(``save``); the newsroom's replies; the one constructor of a new comment row (``comment_row``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import sanitize
from engagement.abuse import spam
from engagement.articles import service as articles
from engagement.comments import authors, service
from engagement.comments.inputs import NewComment
from engagement.comments.settings import Settings
from engagement.identity import readers
from engagement.identity.sessions import ReaderSession
from engagement.keyed import site_hash
from engagement.models import (
    Article,
    Comment,
    Commenting,
    CommentStatus,
    MailSubscriber,
    ModerationMode,
    Trust,
    utcnow,
)
from engagement.notifications import events
from engagement.refusals import Invalid, NotAllowed, SignInRequired


@dataclass(frozen=True)
class Poster:
    """Who posts, as their request shows them: what the screening and the trust rules read."""

    visitor: str
    address: str | None = None  # the client's IP, for network bans
    reader: ReaderSession | None = None  # a signed-in reader's session
    honeypot: str | None = None  # the hidden form field's value (``spam.honeypot_value``)


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


def avatar_for(*, email: str | None, visitor: str, subject: str | None = None) -> str:
    """The avatar hash: keyed, so it cannot be matched against public avatar services."""
    if email:
        source = f"email:{email}"
    elif subject:
        source = f"reader:{subject}"
    else:
        source = f"visitor:{visitor}"
    return site_hash(source, person=b"avatar")


def comment_row(
    *,
    article_id: int | None,
    parent_id: int | None,
    status: CommentStatus,
    text: str,
    html: str,
    visitor: str,
    created_at: datetime,
    author_name: str | None = None,
    author_email: str | None = None,
    author_website: str | None = None,
    author_subject: str | None = None,
    author_staff: bool = False,
    author_avatar_url: str | None = None,
    edit_token_hash: str | None = None,
    likes: int = 0,
    pinned: bool = False,
    spam_reasons: list[str] | None = None,
    edited_at: datetime | None = None,
    deleted_at: datetime | None = None,
    moderated_at: datetime | None = None,
) -> Comment:
    """A new comment row, not stored yet, its avatar drawn from its author: how a post, a
    staff reply and an import all make one."""
    return Comment(
        article_id=article_id,
        parent_id=parent_id,
        status=status,
        spam_reasons=spam_reasons,
        text=text,
        html=html,
        author_name=author_name,
        author_email=author_email,
        author_website=author_website,
        author_subject=author_subject,
        author_staff=author_staff,
        avatar=avatar_for(email=author_email, visitor=visitor, subject=author_subject),
        author_avatar_url=author_avatar_url,
        visitor=visitor,
        edit_token_hash=edit_token_hash,
        likes=likes,
        pinned=pinned,
        created_at=created_at,
        edited_at=edited_at,
        deleted_at=deleted_at,
        moderated_at=moderated_at,
    )


_APPROVED_BY_SUBJECT = (
    select(Comment.id)
    .where(Comment.author_subject == bindparam("who"), Comment.status == CommentStatus.APPROVED)
    .limit(1)
)


# A guest's address earns trust only once it proved it is read: its owner followed the
# confirmation link of the reply notifications (confirmed_at stays set after unsubscribing).
# And the poster proves they are that owner as far as a guest can: the approved comment came
# from the same visitor (the keyed hash of address and browser), not just the same typed email.
_APPROVED_BY_CONFIRMED_EMAIL = (
    select(Comment.id)
    .join(MailSubscriber, MailSubscriber.email == Comment.author_email)
    .where(
        Comment.author_email == bindparam("email"),
        Comment.visitor == bindparam("visitor"),
        Comment.author_subject.is_(None),
        Comment.status == CommentStatus.APPROVED,
        MailSubscriber.confirmed_at.is_not(None),
    )
    .limit(1)
)


def has_approved_comment(db: Session, *, subject: str) -> bool:
    """Whether this signed-in reader had a comment approved before."""
    return db.scalar(_APPROVED_BY_SUBJECT, {"who": subject}) is not None


def confirmed_guest_was_approved(db: Session, *, email: str, visitor: str) -> bool:
    """Whether this visitor had a comment approved before under this address, confirmed."""
    found = db.scalar(_APPROVED_BY_CONFIRMED_EMAIL, {"email": email, "visitor": visitor})
    return found is not None


def initial_status(
    db: Session,
    *,
    article: Article,
    reader: ReaderSession | None,
    screening: spam.Screening,
    settings: Settings,
    email: str | None = None,
    visitor: str = "",
    now: datetime | None = None,
) -> CommentStatus:
    """The status a new comment starts with: the one place that decides who is seen at once.

    Trust goes to verified identities only (the rules: ``identity/readers.py``): a signed-in
    reader, or a guest whose ``email`` was confirmed through the reply notifications and who
    posts as the same ``visitor`` as their approved comment. A typed email alone proves nothing,
    so under first-time moderation such a guest waits.
    """
    if screening.verdict is spam.Verdict.SPAM:
        return CommentStatus.SPAM
    if screening.verdict is spam.Verdict.PENDING:
        return CommentStatus.PENDING
    record = readers.get(db, subject=reader.subject) if reader is not None else None
    if record is not None and record.trust is Trust.UNTRUSTED:
        return CommentStatus.PENDING
    mode = articles.moderation_mode(article, default=settings.articles.moderation)
    if mode is ModerationMode.POST:
        return CommentStatus.APPROVED
    if reader is None:
        first_time = mode is ModerationMode.FIRST_TIME and email is not None
        if first_time and confirmed_guest_was_approved(db, email=str(email), visitor=visitor):
            return CommentStatus.APPROVED
        return CommentStatus.PENDING
    if (
        reader.staff
        or (record is not None and record.trust is Trust.TRUSTED)
        or readers.is_regular(
            db,
            subject=reader.subject,
            after=settings.trust_after_approved,
            clean_days=settings.trust_clean_days,
            now=now,
        )
    ):
        return CommentStatus.APPROVED
    if mode is ModerationMode.FIRST_TIME and has_approved_comment(db, subject=reader.subject):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING


def check_may_comment(
    article: Article, *, reader: ReaderSession | None, default: Commenting
) -> None:
    """Refuse a reader the article's rule (else the site's ``default``) does not let comment:
    ``sign_in_required`` for a guest, ``subscribers_only`` for a signed-in reader who is not a
    subscriber."""
    rule = articles.commenting(article, default=default)
    if rule is Commenting.ANYONE:
        return
    if reader is None:
        message = (
            "Sign in to comment on this article."
            if rule is Commenting.SIGNED_IN
            else "Only subscribers can comment on this article: sign in."
        )
        raise SignInRequired("sign_in_required", message)
    if rule is Commenting.SUBSCRIBERS and not reader.subscriber:
        raise NotAllowed("subscribers_only", "Only subscribers can comment on this article.")


def _closed() -> NotAllowed:
    return NotAllowed("thread_closed", "This thread is closed to new comments.")


def _gone_parent() -> Invalid:
    return Invalid(
        "invalid_parent", "The comment replied to can no longer be answered.", "parent_id"
    )


def _parent(db: Session, *, article: Article, parent_id: int) -> Comment:
    parent = service.get(db, comment_id=parent_id)
    if parent is None or parent.article_id != article.id:
        raise Invalid(
            "invalid_parent", "The comment replied to is not in this thread.", "parent_id"
        )
    if not parent.visible:
        raise _gone_parent()
    return parent


def prepare(
    db: Session,
    *,
    article: Article,
    new: NewComment,
    poster: Poster,
    settings: Settings,
    now: datetime | None = None,
) -> Draft:
    """Check and screen a comment or reply, reading only; ``save`` stores it.

    A banned poster is refused as ``banned`` (unless bans are shadowed). A signed-in reader
    posts under the name the magazine gave them (the name, email and website in ``new`` are
    not used); a guest may not use a signed-in reader's name.
    """
    if not articles.is_open(article, close_after_days=settings.articles.close_after_days, now=now):
        raise _closed()
    reader = poster.reader
    check_may_comment(article, reader=reader, default=settings.articles.commenting)
    if new.parent_id is not None:
        _parent(db, article=article, parent_id=new.parent_id)
    if reader is None:
        readers.check_guest_name(db, name=new.author_name)
        name, email, website, subject = new.author_name, new.author_email, new.author_website, None
    else:
        record = readers.get(db, subject=reader.subject)
        name, email, website = reader.name, record.email if record else None, None
        subject = reader.subject
    post = spam.Post(
        text=new.text,
        visitor=poster.visitor,
        author_name=name,
        author_email=email,
        author_website=website,
        address=poster.address,
        honeypot=poster.honeypot,
    )
    screening = spam.screen(db, post=post, settings=settings.spam, now=now)
    status = initial_status(
        db,
        article=article,
        reader=reader,
        screening=screening,
        settings=settings,
        email=email,
        visitor=poster.visitor,
        now=now,
    )
    token, token_hash = authors.new_edit_token()
    comment = comment_row(
        article_id=article.id,
        parent_id=new.parent_id,
        status=status,
        spam_reasons=screening.reasons,
        text=new.text,
        html=new.html,
        author_name=name,
        author_email=email,
        author_website=website,
        author_subject=subject,
        author_staff=reader is not None and reader.staff,
        author_avatar_url=reader.avatar if reader is not None else None,
        visitor=poster.visitor,
        edit_token_hash=token_hash,
        created_at=now or utcnow(),
    )
    watch = new.notify_replies and new.author_email and settings.articles.reply_notifications
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


def post(
    db: Session,
    *,
    key: str,
    new: NewComment,
    poster: Poster,
    hints: articles.Hints,
    allowed_origin: bool,
    settings: Settings,
) -> Draft:
    """Post a comment or reply on the article ``key``: ``prepare`` then ``save``.

    An article nobody registered yet is checked as it would be registered, and this first
    comment registers it with the page's ``hints`` (``articles.for_first_use``: from an allowed
    origin only). A refused post registers nothing.
    """
    # Everything that decides the post is read before its write transaction, so concurrent
    # posts (and views) wait only for the insert and the counter update.
    with database.reading(db):
        article = articles.for_first_use(db, key=key, allowed_origin=allowed_origin)
        draft = prepare(db, article=article, new=new, poster=poster, settings=settings)
    if article.id is None:
        article = articles.register(db, article=article, hints=hints)
        draft.comment.article_id = article.id
        draft = dataclasses.replace(draft, article=article)
    return save(db, draft)


def staff_reply(
    db: Session, *, parent: Comment, text: str, name: str, author: str, close_after_days: int
) -> Comment:
    """Store the newsroom's reply to a visible comment: approved, with the staff badge.

    ``author`` (the moderator's or token's name) keys the reply's avatar and visitor hash, so
    the newsroom's replies look alike and are never taken for a reader's.
    """
    if not parent.visible:
        raise _gone_parent()
    article = db.get(Article, parent.article_id)
    assert article is not None
    if not articles.is_open(article, close_after_days=close_after_days):
        raise _closed()
    now = utcnow()
    comment = comment_row(
        article_id=parent.article_id,
        parent_id=parent.id,
        status=CommentStatus.APPROVED,
        text=text,
        html=sanitize.render(text),
        author_name=name,
        author_staff=True,
        visitor=site_hash(f"staff:{author}", person=b"visitor"),
        created_at=now,
        moderated_at=now,
    )
    return save(db, Draft(comment=comment, edit_token="")).comment
