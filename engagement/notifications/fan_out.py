"""The worker's first step: outbox events become webhook deliveries and reply mails.

A batch of events is taken ``FOR UPDATE SKIP LOCKED`` (concurrent workers take disjoint
events); one delivery is written per enabled endpoint that wants the event, with the mails the
event calls for, and the events are deleted, all in one transaction. A worker killed here rolls
back: the events are still there for the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import (
    Comment,
    CommentStatus,
    DeliveryStatus,
    MailKind,
    OutboxEvent,
    OutgoingMail,
    ReplyWatch,
    SubscriberState,
    WebhookDelivery,
    WebhookEndpoint,
)
from engagement.notifications import alerts, events, subscriptions
from engagement.notifications.sender import body_of

# Events after which a comment waits for a moderator (if it is pending, or reported enough).
_WAITING = {events.COMMENT_CREATED, events.COMMENT_REPORTED}
_NOTIFYING = {events.COMMENT_CREATED, events.COMMENT_APPROVED}


def fan_out_events(
    db: Session, *, batch: int, now: datetime, mailing: bool, digest: timedelta
) -> int:
    """Turn up to ``batch`` outbox events into deliveries and (when ``mailing``) mails, and
    commit; how many events. ``digest``: the least time between two reply mails to a reader."""
    taken = db.scalars(
        select(OutboxEvent).order_by(OutboxEvent.id).limit(batch).with_for_update(skip_locked=True)
    ).all()
    if not taken:
        db.rollback()
        return 0
    endpoints = db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled)).all()
    for event in taken:
        wanted = [endpoint for endpoint in endpoints if event.type in endpoint.event_list]
        if wanted:
            _deliveries_for(db, event, wanted, now)
        if mailing:
            _mails_for(db, event, now, digest)
        db.delete(event)
    db.commit()
    return len(taken)


def _deliveries_for(
    db: Session, event: OutboxEvent, endpoints: list[WebhookEndpoint], now: datetime
) -> None:
    body = body_of(event.type, event.created_at, event.data)
    for endpoint in endpoints:
        db.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                message_id=event.message_id,
                event_type=event.type,
                payload=body,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )


def _mails_for(db: Session, event: OutboxEvent, now: datetime, digest: timedelta) -> None:
    if event.watch_language and event.comment_id:
        watched = db.get(Comment, event.comment_id)
        if watched is not None and watched.author_email and not watched.erased:
            subscriptions.watch(db, comment=watched, language=event.watch_language, now=now)
    status = event.data.get("comment", {}).get("status")
    if event.type in _WAITING and (
        event.type == events.COMMENT_REPORTED or status == CommentStatus.PENDING.value
    ):
        alerts.note_waiting(db, now=now)
    if event.type in _NOTIFYING and status == CommentStatus.APPROVED.value:
        _queue_reply_mail(db, event, now, digest)


def _queue_reply_mail(db: Session, event: OutboxEvent, now: datetime, digest: timedelta) -> None:
    reply = db.get(Comment, event.comment_id) if event.comment_id else None
    if reply is None or not reply.visible or reply.parent_id is None:
        return
    parent = db.get(Comment, reply.parent_id)
    watch = db.get(ReplyWatch, reply.parent_id)
    if parent is None or watch is None or not parent.author_email:
        return
    recipient = parent.author_email
    # Never mail anyone about their own reply (by address, or by the same browser).
    if reply.author_email == recipient or reply.visitor == parent.visitor:
        return
    subscriber = subscriptions.subscriber(db, email=recipient)
    if subscriber is None or subscriber.state is not SubscriberState.CONFIRMED:
        return
    due = now
    if subscriber.last_mailed_at is not None and digest:
        due = max(now, subscriber.last_mailed_at + digest)
    # One mail per reply and reader, ever: approving a reply again sends nothing new.
    db.execute(
        database.insert(db)(OutgoingMail)
        .values(
            kind=MailKind.REPLY,
            recipient=recipient,
            language=watch.language,
            comment_id=reply.id,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=due,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "recipient", "comment_id"])
    )
