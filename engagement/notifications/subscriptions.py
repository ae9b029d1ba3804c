"""Reply notifications: who asked, who confirmed (double opt-in), who unsubscribed.

An address that asks gets one confirmation mail, and nothing else until it follows the link in
it. A confirmed address is mailed about replies to the comments it asked about; the link in
every mail (and RFC 8058 one-click) stops them all. Links carry the address signed with the
site's secret key: no login, nothing to guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import (
    Article,
    Comment,
    DeliveryStatus,
    MailKind,
    MailSubscriber,
    OutgoingMail,
    ReplyWatch,
    SubscriberState,
    utcnow,
)

# An address is asked to confirm at most once a day, however often someone types it in.
ASK_AGAIN_AFTER = timedelta(hours=24)
CONFIRM_LINK_DAYS = 7
_CONFIRM_SALT = "engagement.notifications.confirm"
_UNSUBSCRIBE_SALT = "engagement.notifications.unsubscribe"


@dataclass(frozen=True)
class LinkHolder:
    """Who a signed link speaks for."""

    email: str
    language: str


def _timed() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_CONFIRM_SALT)


def _lasting() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def confirm_token(email: str, language: str) -> str:
    """The signed token of a confirmation link (valid for a week)."""
    return str(_timed().dumps({"e": email, "l": language}))


def unsubscribe_token(email: str, language: str) -> str:
    """The signed token of an unsubscribe link (valid for good)."""
    return str(_lasting().dumps({"e": email, "l": language}))


def _holder(payload: object) -> LinkHolder | None:
    if not isinstance(payload, dict):
        return None
    email, language = payload.get("e"), payload.get("l")
    if not isinstance(email, str) or not isinstance(language, str):
        return None
    return LinkHolder(email=email, language=language)


def read_confirm_token(token: str) -> LinkHolder | None:
    """Whom a confirmation token speaks for, or None if it is forged or too old."""
    try:
        payload = _timed().loads(token, max_age=CONFIRM_LINK_DAYS * 86400)
    except (SignatureExpired, BadSignature):
        return None
    return _holder(payload)


def read_unsubscribe_token(token: str) -> LinkHolder | None:
    """Whom an unsubscribe token speaks for, or None if it is forged."""
    try:
        payload = _lasting().loads(token)
    except BadSignature:
        return None
    return _holder(payload)


def subscriber(db: Session, *, email: str) -> MailSubscriber | None:
    """The address's subscription, or None if it never asked."""
    return db.scalar(select(MailSubscriber).where(MailSubscriber.email == email))


def is_confirmed(db: Session, *, email: str) -> bool:
    """Whether this address proved it is read by following a confirmation link (and has not
    unsubscribed since)."""
    found = subscriber(db, email=email.strip().lower())
    return found is not None and found.state is SubscriberState.CONFIRMED


def watch(db: Session, *, comment: Comment, language: str, now: datetime | None = None) -> None:
    """Note that the comment's author wants to hear of replies; ask the address to confirm
    unless it has (a confirmation mail at most once a day)."""
    email = comment.author_email
    assert email is not None, "only a comment with an email can be watched"
    now = now or utcnow()
    db.add(ReplyWatch(comment_id=comment.id, language=language, created_at=now))
    db.execute(
        database.insert(db)(MailSubscriber)
        .values(email=email, state=SubscriberState.PENDING, language=language, created_at=now)
        .on_conflict_do_nothing(index_elements=["email"])
    )
    found = subscriber(db, email=email)
    assert found is not None
    if found.state is SubscriberState.CONFIRMED:
        return
    asked = found.confirmation_sent_at
    if asked is not None and now - asked < ASK_AGAIN_AFTER:
        return
    found.state = SubscriberState.PENDING
    found.language = language
    found.confirmation_sent_at = now
    article = db.get(Article, comment.article_id)
    db.add(
        OutgoingMail(
            kind=MailKind.CONFIRM,
            recipient=email,
            language=language,
            data={"title": article.title if article else ""},
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    db.flush()


def confirm(db: Session, *, holder: LinkHolder, now: datetime | None = None) -> bool:
    """Confirm the address of a confirmation link; False if it no longer waits to be."""
    found = subscriber(db, email=holder.email)
    if found is None or found.state is SubscriberState.UNSUBSCRIBED:
        return False
    if found.state is SubscriberState.PENDING:
        found.state = SubscriberState.CONFIRMED
        found.confirmed_at = now or utcnow()
        db.flush()
    return True


def unsubscribe(db: Session, *, holder: LinkHolder, now: datetime | None = None) -> None:
    """Stop every reply mail to the address, including those waiting to be sent."""
    found = subscriber(db, email=holder.email)
    if found is None:
        return
    found.state = SubscriberState.UNSUBSCRIBED
    found.unsubscribed_at = now or utcnow()
    db.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.recipient == holder.email,
            OutgoingMail.kind.in_([MailKind.REPLY, MailKind.CONFIRM]),
            OutgoingMail.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.DROPPED)
        .execution_options(synchronize_session=False)
    )
    db.flush()


def forget(db: Session, *, email: str, comment_ids: list[int]) -> None:
    """Erase what notifications hold of an address: its subscription, its mails not yet sent,
    and its wishes to hear of replies."""
    db.execute(
        delete(MailSubscriber)
        .where(MailSubscriber.email == email)
        .execution_options(synchronize_session=False)
    )
    db.execute(
        delete(OutgoingMail)
        .where(OutgoingMail.recipient == email)
        .execution_options(synchronize_session=False)
    )
    if comment_ids:
        db.execute(
            delete(ReplyWatch)
            .where(ReplyWatch.comment_id.in_(comment_ids))
            .execution_options(synchronize_session=False)
        )
