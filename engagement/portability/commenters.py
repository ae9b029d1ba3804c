"""A commenter's own data, found by their email address or, for a reader the magazine signed
in, by their SSO subject: exported on request, erased on request.

Addresses are matched as the comment form stores them: trimmed and lower-cased, so
``Ada@Example.org`` finds what ``ada@example.org`` wrote.

Erasing deletes every comment of that address and wipes what it held about its author: text,
rendered HTML, name, email, website, visitor hash, avatar and edit secret. Each comment is
deleted through the comments service, so ``comment_count`` drops by the visible ones, and a
comment that other readers answered stays in the thread as the placeholder any deleted comment
leaves, their replies in place. Texts quoted in the audit log's entries about those comments
(moderators' edits) are wiped too. Bans of the address are kept: they exist to keep an
abuser out, and are listed in the export so the person can see them. Erasing a signed-in
reader by subject also deletes their reader record (name, email, trust mark); their next
sign-in starts a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.abuse import bans
from engagement.comments import inputs
from engagement.comments import service as comments
from engagement.identity import readers
from engagement.models import (
    ERASED,
    Article,
    Ban,
    BanKind,
    Comment,
    ModerationAction,
    Reader,
    Report,
    utcnow,
)
from engagement.moderation import audit
from engagement.moderation.audit import Actor
from engagement.notifications import events, subscriptions
from engagement.portability import erasures
from engagement.portability.export import iso
from engagement.refusals import Refusal

FORMAT = "engagement-commenter"
VERSION = 1


class NotAnEmail(ValueError):
    """What was given is not an email address."""


def normalized(email: str) -> str:
    """The address as comments store it, or NotAnEmail."""
    try:
        found = inputs.email(email)
    except Refusal:
        found = None
    if found is None:
        raise NotAnEmail(f"{email!r} is not an email address")
    return found


def _who(email: str | None, subject: str | None) -> Any:
    """The condition that finds a commenter's comments: by address, or by SSO subject."""
    if (email is None) == (subject is None):
        raise ValueError("name the commenter by email or by subject, not both")
    if subject is not None:
        return Comment.author_subject == subject
    return Comment.author_email == normalized(email or "")


def comments_of(
    db: Session, *, email: str | None = None, subject: str | None = None
) -> list[tuple[Comment, Article]]:
    """Every comment written with this address (normalized), or by the signed-in reader with
    this subject, oldest first, with its article."""
    rows = db.execute(
        select(Comment, Article)
        .join(Article, Article.id == Comment.article_id)
        .where(_who(email, subject))
        .order_by(Comment.created_at, Comment.id)
    )
    return [(comment, article) for comment, article in rows]


def _bans_of(db: Session, email: str | None) -> list[Ban]:
    if not email:
        return []
    query = select(Ban).where(Ban.kind == BanKind.EMAIL, Ban.value == normalized(email))
    return list(db.scalars(query.order_by(Ban.id)))


def _reader_json(reader: Reader | None) -> dict[str, Any] | None:
    return readers.as_json(reader) if reader is not None else None


def export(
    db: Session,
    *,
    email: str | None = None,
    subject: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything held about the person with this address, or the signed-in reader with this
    subject (their record as the magazine last described them included), as a JSON document."""
    reader = readers.get(db, subject=subject) if subject is not None else None
    ban_email = reader.email if reader is not None else email
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": iso(now or utcnow()),
        "email": normalized(email) if email is not None else None,
        "subject": subject,
        "reader": _reader_json(reader),
        "comments": [
            {
                "id": comment.id,
                "article": article.key,
                "article_title": article.title,
                "article_url": article.url,
                "parent_id": comment.parent_id,
                "status": comment.status.value,
                "deleted": comment.deleted_at is not None,
                "text": comment.text,
                "html": comment.html,
                "author_name": comment.author_name,
                "author_email": comment.author_email,
                "author_website": comment.author_website,
                "likes": comment.likes,
                "pinned": comment.pinned,
                "created_at": iso(comment.created_at),
                "edited_at": iso(comment.edited_at),
                "deleted_at": iso(comment.deleted_at),
            }
            for comment, article in comments_of(db, email=email, subject=subject)
        ],
        "bans": [bans.as_json(ban, now=now) for ban in _bans_of(db, ban_email)],
    }


@dataclass(frozen=True)
class Erasure:
    comments: int
    bans_kept: int


def _wipe(comment: Comment) -> None:
    comment.text = ""
    comment.html = ""
    comment.author_name = None
    comment.author_email = None
    comment.author_website = None
    comment.author_subject = None
    comment.author_avatar_url = None
    comment.visitor = ERASED
    comment.avatar = ERASED
    comment.edit_token_hash = None
    comment.spam_reasons = None


def _wipe_quoted_texts(db: Session, comment_ids: list[int]) -> None:
    """Wipe what others wrote that may quote the erased comments: readers' report notes and
    the texts the audit log kept of moderators' edits (their reasons stay: they are the
    moderators' own account)."""
    for report in db.scalars(select(Report).where(Report.comment_id.in_(comment_ids))):
        report.note = None
    entries = db.scalars(
        select(ModerationAction).where(ModerationAction.comment_id.in_(comment_ids))
    )
    for entry in entries:
        for side in ("before", "after"):
            state = getattr(entry, side)
            if state and "text" in state:
                # A new dict: the JSON column only notices assignment, not mutation.
                setattr(entry, side, {**state, "text": ERASED})


def erase(
    db: Session,
    *,
    actor: Actor,
    email: str | None = None,
    subject: str | None = None,
    now: datetime | None = None,
) -> Erasure:
    """Delete the comments of this address, or of the signed-in reader with this subject, and
    wipe their personal data (a reader's record too); writes one audit entry naming the person
    only by a keyed hash. The caller commits."""
    address = normalized(email) if email is not None else None
    reader = readers.get(db, subject=subject) if subject is not None else None
    found = [comment for comment, _ in comments_of(db, email=address, subject=subject)]
    for comment in found:
        comments.delete(db, comment=comment, now=now)
        _wipe(comment)
    db.flush()
    ids = [comment.id for comment in found]
    if ids:
        _wipe_quoted_texts(db, ids)
    events.forget(db, comments=found)
    ban_email = reader.email if reader is not None else address
    # An address nobody can hold ("") forgets only the reader's comments' reply wishes.
    subscriptions.forget(db, email=ban_email or "", comment_ids=ids)
    kept = [ban for ban in _bans_of(db, ban_email) if bans.is_active(ban, now=now)]
    who = (
        {"commenter": erasures.email_digest(address)}
        if address is not None
        else {"reader": erasures.subject_digest(subject or "")}
    )
    if reader is not None:
        db.delete(reader)
        db.flush()
    audit.record(
        db,
        actor=actor,
        action=erasures.ACTION,
        after={**who, "comments": ids, "bans_kept": len(kept)},
    )
    return Erasure(comments=len(ids), bans_kept=len(kept))
