"""``engagement worker``: turns the outbox into webhook deliveries and mails, and sends them.

One pass does four things, each in short transactions of its own:

1. **Fan out.** Take up to a batch of outbox events (``FOR UPDATE SKIP LOCKED``: concurrent
   workers take disjoint events), write one delivery per enabled endpoint that wants the event,
   the reply mails the event calls for, and delete the events, all in one transaction. A worker
   killed here rolls back: the events are still there for the next.
2. **Deliver webhooks.** Claim due deliveries (``SKIP LOCKED`` again, then a lease written
   and committed), POST each, and commit each outcome on its own. A worker killed mid-batch
   leaves its claimed deliveries leased: once the lease runs out another worker sends them. Only
   a delivery in flight at the kill can arrive twice, under the same ``webhook-id``.
3. **Queue moderator alerts** whose interval has passed.
4. **Send mails** the same way as deliveries: claimed, sent, committed one by one (the due
   replies to one reader go out together, as one digest).

Time comes from ``clock``, so tests can move it forward instead of waiting.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import (
    Article,
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
    utcnow,
)
from engagement.moderation import audit
from engagement.moderation import service as moderation
from engagement.notifications import alerts, events, mail, subscriptions, texts, webhooks

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 50
MAIL_RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
# Events after which a comment waits for a moderator (if it is pending, or reported enough).
_WAITING = {events.COMMENT_CREATED, events.COMMENT_REPORTED}
_NOTIFYING = {events.COMMENT_CREATED, events.COMMENT_APPROVED}

Row = TypeVar("Row", WebhookDelivery, OutgoingMail)


class Worker:
    """Delivers what the outbox holds; ``run_once`` for one pass, ``run`` until stopped."""

    def __init__(
        self,
        app: Flask,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
        lease: timedelta = LEASE,
    ) -> None:
        self.app = app
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.config = app.config
        self._sessions = app.extensions["engagement.sessionmaker"]
        self._lease_ends = clock()

    # --- the loop -----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set, resting ``WORKER_POLL_SECONDS`` whenever idle."""
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # a database outage: log, rest, try again
                log.exception("worker pass failed")
                done = 0
            if not done:
                stop.wait(self.config["WORKER_POLL_SECONDS"])

    def run_once(self) -> int:
        """One pass over everything due now; how many events, deliveries and mails it handled."""
        # SQLite: take the write lock at BEGIN, like a request that writes (see db.py).
        with self.app.app_context(), database.writing():
            done = self.fan_out()
            done += self.deliver_webhooks()
            if events.mail_configured():
                with self._session() as db:
                    interval = timedelta(minutes=self.config["ALERT_MINUTES"])
                    done += alerts.queue_due(db, now=self.clock(), interval=interval)
                    db.commit()
                done += self.send_mails()
            return done

    def drain(self, *, limit: int = 1000) -> int:
        """Pass until nothing is due (at most ``limit`` passes); everything handled."""
        total = 0
        for _ in range(limit):
            done = self.run_once()
            total += done
            if not done:
                break
        return total

    def _session(self) -> Session:
        return self._sessions()  # type: ignore[no-any-return]

    # --- 1. fan out ---------------------------------------------------------------------------

    def fan_out(self) -> int:
        """Turn a batch of outbox events into deliveries and mails; how many events."""
        with self._session() as db:
            taken = db.scalars(
                select(OutboxEvent)
                .order_by(OutboxEvent.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not taken:
                db.rollback()
                return 0
            now = self.clock()
            endpoints = db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled)).all()
            mailing = events.mail_configured()
            for event in taken:
                wanted = [ep for ep in endpoints if event.type in ep.event_list]
                if wanted:
                    body = webhooks.body_of(event.type, event.created_at, event.data)
                    for endpoint in wanted:
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
                if mailing:
                    self._mails_for(db, event, now)
                db.delete(event)
            db.commit()
            return len(taken)

    def _mails_for(self, db: Session, event: OutboxEvent, now: datetime) -> None:
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
            self._queue_reply_mail(db, event, now)

    def _queue_reply_mail(self, db: Session, event: OutboxEvent, now: datetime) -> None:
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
        digest = timedelta(minutes=self.config["DIGEST_MINUTES"])
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

    # --- claiming -----------------------------------------------------------------------------

    def _claim(self, db: Session, model: type[Row]) -> list[int]:
        """Lease up to a batch of due rows of ``model`` to this worker; their ids."""
        now = self.clock()
        query = (
            select(model.id)
            .where(
                model.status == DeliveryStatus.PENDING,
                model.next_attempt_at <= now,
                or_(model.claimed_until.is_(None), model.claimed_until < now),
            )
            .order_by(model.next_attempt_at, model.id)
            .limit(self.batch)
        )
        if model is WebhookDelivery:  # a disabled endpoint's deliveries wait for it
            query = query.join(
                WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id
            ).where(WebhookEndpoint.enabled)
        ids = list(db.scalars(query.with_for_update(skip_locked=True, of=model)))
        self._lease_ends = now + self.lease
        if ids:
            db.execute(
                update(model)
                .where(model.id.in_(ids))
                .values(claimed_until=self._lease_ends)
                .execution_options(synchronize_session=False)
            )
        db.commit()
        return ids

    def _leased(self) -> bool:
        """Whether this worker's claim still holds: past it, another worker may have taken
        the rest of the batch, which must then not be sent twice."""
        return self.clock() < self._lease_ends

    # --- 2. webhooks --------------------------------------------------------------------------

    def deliver_webhooks(self) -> int:
        """Attempt every due delivery of enabled endpoints (a batch); how many."""
        with self._session() as db:
            ids = self._claim(db, WebhookDelivery)
            if not ids:
                return 0
            taken = db.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            ).all()
            wanted = {delivery.endpoint_id for delivery in taken}
            endpoints = {
                endpoint.id: endpoint
                for endpoint in db.scalars(
                    select(WebhookEndpoint).where(WebhookEndpoint.id.in_(wanted))
                )
            }
            sender = webhooks.Sender(
                allowed_networks=self.config["WEBHOOK_ALLOWED_NETWORKS"],
                timeout=self.config["WEBHOOK_TIMEOUT_SECONDS"],
            )
            with sender:
                for delivery in taken:
                    if not self._leased():
                        break
                    self._deliver(db, sender, delivery, endpoints[delivery.endpoint_id])
            return len(taken)

    def _deliver(
        self,
        db: Session,
        sender: webhooks.Sender,
        delivery: WebhookDelivery,
        endpoint: WebhookEndpoint,
    ) -> None:
        attempt = sender.post(
            endpoint, message_id=delivery.message_id, body=delivery.payload, now=self.clock()
        )
        now = self.clock()
        gave_up = webhooks.record_attempt(delivery, attempt, now=now)
        if gave_up and endpoint.enabled:
            self._disable(db, endpoint, delivery, now)
        # Each outcome commits alone: a crash repeats at most the delivery in flight.
        db.commit()

    def _disable(
        self, db: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime
    ) -> None:
        reason = (
            f"delivery {delivery.id} failed {delivery.attempts} times over "
            f"{_hours(now - delivery.created_at)} hours (last: {delivery.last_error})"
        )[:300]
        endpoint.enabled = False
        endpoint.disabled_reason = reason
        audit.record(
            db,
            actor=audit.Actor(name="worker"),
            action="webhook.disable",
            reason=reason,
            after={"id": endpoint.id, "url": endpoint.url},
        )
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
        if not events.mail_configured():
            return
        for address in alerts.admin_addresses(db):
            db.add(
                OutgoingMail(
                    kind=MailKind.NOTICE,
                    recipient=address,
                    language="en",
                    data={"endpoint_id": endpoint.id, "url": endpoint.url, "reason": reason},
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )

    # --- 4. mails -----------------------------------------------------------------------------

    def send_mails(self) -> int:
        """Send every due mail (a batch); how many rows it settled or retried."""
        with self._session() as db, mail.Mailer(mail.SmtpSettings.from_config(self.config)) as out:
            ids = self._claim(db, OutgoingMail)
            if not ids:
                return 0
            rows = list(
                db.scalars(
                    select(OutgoingMail).where(OutgoingMail.id.in_(ids)).order_by(OutgoingMail.id)
                )
            )
            replies: dict[str, list[OutgoingMail]] = defaultdict(list)
            for row in rows:
                if row.kind is MailKind.REPLY:
                    replies[row.recipient].append(row)
                elif self._leased():
                    self._send(db, out, [row])
            for group in replies.values():
                if self._leased():
                    self._send(db, out, group)
            return len(rows)

    def _send(self, db: Session, out: mail.Mailer, rows: list[OutgoingMail]) -> None:
        now = self.clock()
        message = None
        try:
            message = self._compose(db, rows)
            if message is not None:
                out.send(message)
        except mail.MailRefused as exc:
            self._settle(rows, DeliveryStatus.FAILED, now, error=str(exc))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail server unavailable, will retry: %s", exc)
            for row in rows:
                row.attempts += 1
                row.claimed_until = None
                row.last_error = f"{type(exc).__name__}: {exc}"[:300]
                if row.attempts > len(MAIL_RETRY_DELAYS):
                    row.status = DeliveryStatus.FAILED
                else:
                    row.next_attempt_at = now + MAIL_RETRY_DELAYS[row.attempts - 1]
        else:
            if message is None:
                self._settle(rows, DeliveryStatus.DROPPED, now)
            else:
                self._settle(rows, DeliveryStatus.DELIVERED, now)
                if rows[0].kind is MailKind.REPLY:
                    subscriber = subscriptions.subscriber(db, email=rows[0].recipient)
                    if subscriber is not None:
                        subscriber.last_mailed_at = now
        db.commit()

    @staticmethod
    def _settle(
        rows: list[OutgoingMail], status: DeliveryStatus, now: datetime, error: str | None = None
    ) -> None:
        for row in rows:
            row.claimed_until = None
            if row.status is not DeliveryStatus.PENDING:
                continue  # settled on its own while composing (a reply removed meanwhile)
            row.status = status
            row.attempts += 1
            row.last_error = error[:300] if error else None
            if status is DeliveryStatus.DELIVERED:
                row.sent_at = now

    def _compose(self, db: Session, rows: list[OutgoingMail]) -> Any:
        """The mail for ``rows``, or None when it is no longer wanted."""
        first = rows[0]
        settings = mail.SmtpSettings.from_config(self.config)
        base = self.config["PUBLIC_URL"]
        language = first.language

        def t(key: str, **values: Any) -> str:
            return texts.t(language, key, **values)

        if first.kind is MailKind.CONFIRM:
            found = subscriptions.subscriber(db, email=first.recipient)
            if found is None or found.state is not SubscriberState.PENDING:
                return None
            token = subscriptions.confirm_token(first.recipient, language)
            return mail.build(
                settings,
                to=first.recipient,
                subject=t("confirm.subject"),
                template="confirm",
                language=language,
                t=t,
                title=(first.data or {}).get("title", ""),
                confirm_url=f"{base}/notifications/confirm/{token}",
            )
        if first.kind is MailKind.REPLY:
            return self._compose_replies(db, rows, settings, t)
        if first.kind is MailKind.ALERT:
            return self._compose_alert(db, first, settings, t)
        data = first.data or {}
        return mail.build(
            settings,
            to=first.recipient,
            subject=f"Webhook endpoint disabled: {data.get('url', '')}"[:200],
            template="notice",
            language=language,
            t=t,
            url=data.get("url", ""),
            reason=data.get("reason", ""),
            endpoint_url=f"{base}/moderation/webhooks/{data.get('endpoint_id', '')}",
        )

    def _compose_replies(
        self,
        db: Session,
        rows: list[OutgoingMail],
        settings: mail.SmtpSettings,
        t: Callable[..., str],
    ) -> Any:
        recipient = rows[0].recipient
        language = rows[0].language
        found = subscriptions.subscriber(db, email=recipient)
        if found is None or found.state is not SubscriberState.CONFIRMED:
            return None
        items = []
        for row in rows:
            reply = db.get(Comment, row.comment_id) if row.comment_id else None
            if reply is None or not reply.visible or reply.parent_id is None:
                row.status = DeliveryStatus.DROPPED  # removed before its mail went out
                continue
            parent = db.get(Comment, reply.parent_id)
            article = db.get(Article, reply.article_id)
            assert parent is not None and article is not None
            page = article.url or f"{self.config['PUBLIC_URL']}/"
            items.append(
                {
                    "name": reply.author_name or t("anonymous"),
                    "title": article.title or article.key,
                    "text": reply.text,
                    "html": reply.html,
                    "parent_text": parent.text,
                    "parent_html": parent.html,
                    "url": f"{page}#eg-comment-{reply.id}",
                }
            )
        if not items:
            return None
        if len(items) == 1:
            subject = t("reply.subject", name=items[0]["name"], title=items[0]["title"])
        else:
            subject = t("digest.subject", n=len(items))
        token = subscriptions.unsubscribe_token(recipient, language)
        return mail.build(
            settings,
            to=recipient,
            subject=subject,
            template="reply",
            language=language,
            unsubscribe_url=f"{self.config['PUBLIC_URL']}/notifications/unsubscribe/{token}",
            t=t,
            items=items,
        )

    def _compose_alert(
        self, db: Session, row: OutgoingMail, settings: mail.SmtpSettings, t: Callable[..., str]
    ) -> Any:
        sizes = moderation.queue_sizes(db, threshold=self.config["REPORT_THRESHOLD"])
        waiting = [
            queue for queue in (moderation.Queue.PENDING, moderation.Queue.REPORTED) if sizes[queue]
        ]
        if not waiting:
            return None
        base = self.config["PUBLIC_URL"]
        queues = [
            {
                "name": queue.value,
                "size": sizes[queue],
                "url": f"{base}/moderation/queues/{queue.value}",
            }
            for queue in waiting
        ]
        summary = ", ".join(f"{sizes[queue]} {queue.value}" for queue in waiting)
        return mail.build(
            settings,
            to=row.recipient,
            subject=f"Comments waiting: {summary}",
            template="alert",
            language="en",
            t=t,
            queues=queues,
            interval=self.config["ALERT_MINUTES"],
            settings_url=f"{base}/moderation/alerts",
        )


def _hours(span: timedelta) -> int:
    return int(span.total_seconds() // 3600)
