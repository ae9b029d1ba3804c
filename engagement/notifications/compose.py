"""Which mail each outgoing row becomes: a confirmation, replies (one digest per reader), a
moderator alert, or an admin's notice; or none, when it is no longer wanted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from engagement.models import (
    Article,
    Comment,
    DeliveryStatus,
    MailKind,
    OutgoingMail,
    SubscriberState,
)
from engagement.moderation import queues as moderation_queues
from engagement.notifications import mail, subscriptions, texts


@dataclass(frozen=True)
class Composer:
    """Builds mails with the settings they depend on."""

    smtp: mail.SmtpSettings
    public_url: str
    report_threshold: int
    alert_minutes: int

    def compose(self, db: Session, rows: list[OutgoingMail]) -> EmailMessage | None:
        """The mail for ``rows`` (several only for one reader's replies), or None."""
        first = rows[0]
        language = first.language

        def t(key: str, **values: Any) -> str:
            return texts.t(language, key, **values)

        if first.kind is MailKind.CONFIRM:
            return self._confirmation(db, first, t)
        if first.kind is MailKind.REPLY:
            return self._replies(db, rows, t)
        if first.kind is MailKind.ALERT:
            return self._alert(db, first, t)
        return self._notice(first, t)

    def _confirmation(
        self, db: Session, row: OutgoingMail, t: Callable[..., str]
    ) -> EmailMessage | None:
        found = subscriptions.subscriber(db, email=row.recipient)
        if found is None or found.state is not SubscriberState.PENDING:
            return None
        token = subscriptions.confirm_token(row.recipient, row.language)
        return mail.build(
            self.smtp,
            to=row.recipient,
            subject=t("confirm.subject"),
            template="confirm",
            language=row.language,
            t=t,
            title=(row.data or {}).get("title", ""),
            confirm_url=f"{self.public_url}/notifications/confirm/{token}",
        )

    def _notice(self, row: OutgoingMail, t: Callable[..., str]) -> EmailMessage:
        data = row.data or {}
        return mail.build(
            self.smtp,
            to=row.recipient,
            subject=f"Webhook endpoint disabled: {data.get('url', '')}"[:200],
            template="notice",
            language=row.language,
            t=t,
            url=data.get("url", ""),
            reason=data.get("reason", ""),
            endpoint_url=f"{self.public_url}/moderation/webhooks/{data.get('endpoint_id', '')}",
        )

    def _replies(
        self, db: Session, rows: list[OutgoingMail], t: Callable[..., str]
    ) -> EmailMessage | None:
        recipient = rows[0].recipient
        language = rows[0].language
        found = subscriptions.subscriber(db, email=recipient)
        if found is None or found.state is not SubscriberState.CONFIRMED:
            return None
        items = [item for row in rows if (item := self._reply_item(db, row, t)) is not None]
        if not items:
            return None
        if len(items) == 1:
            subject = t("reply.subject", name=items[0]["name"], title=items[0]["title"])
        else:
            subject = t("digest.subject", n=len(items))
        token = subscriptions.unsubscribe_token(recipient, language)
        return mail.build(
            self.smtp,
            to=recipient,
            subject=subject,
            template="reply",
            language=language,
            unsubscribe_url=f"{self.public_url}/notifications/unsubscribe/{token}",
            t=t,
            items=items,
        )

    def _reply_item(
        self, db: Session, row: OutgoingMail, t: Callable[..., str]
    ) -> dict[str, Any] | None:
        """One reply of a reply mail; None (and the row dropped) when it is no longer shown."""
        reply = db.get(Comment, row.comment_id) if row.comment_id else None
        if reply is None or not reply.visible or reply.parent_id is None:
            row.status = DeliveryStatus.DROPPED  # removed before its mail went out
            return None
        parent = db.get(Comment, reply.parent_id)
        article = db.get(Article, reply.article_id)
        assert parent is not None and article is not None
        page = article.url or f"{self.public_url}/"
        return {
            "name": reply.author_name or t("anonymous"),
            "title": article.title or article.key,
            "text": reply.text,
            "html": reply.html,
            "parent_text": parent.text,
            "parent_html": parent.html,
            "url": f"{page}#eg-comment-{reply.id}",
        }

    def _alert(self, db: Session, row: OutgoingMail, t: Callable[..., str]) -> EmailMessage | None:
        sizes = moderation_queues.queue_sizes(db, threshold=self.report_threshold)
        waiting = [
            queue
            for queue in (moderation_queues.Queue.PENDING, moderation_queues.Queue.REPORTED)
            if sizes[queue]
        ]
        if not waiting:
            return None
        queues = [
            {
                "name": queue.value,
                "size": sizes[queue],
                "url": f"{self.public_url}/moderation/queues/{queue.value}",
            }
            for queue in waiting
        ]
        summary = ", ".join(f"{sizes[queue]} {queue.value}" for queue in waiting)
        return mail.build(
            self.smtp,
            to=row.recipient,
            subject=f"Comments waiting: {summary}",
            template="alert",
            language="en",
            t=t,
            queues=queues,
            interval=self.alert_minutes,
            settings_url=f"{self.public_url}/moderation/alerts",
        )
