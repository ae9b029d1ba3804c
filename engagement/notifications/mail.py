"""Mails: building them (multipart text and HTML, in the reader's language) and sending them."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from types import TracebackType
from typing import Any

from flask import render_template


class MailRefused(Exception):
    """The mail server refused this mail for good (a 5xx answer): retrying will not help."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str  # starttls | tls | none
    user: str
    password: str
    timeout: int
    sender: str
    reply_to: str

    @classmethod
    def from_config(cls, config: Any) -> SmtpSettings:
        return cls(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            tls=config["SMTP_TLS"],
            user=config["SMTP_USER"],
            password=config["SMTP_PASSWORD"],
            timeout=config["SMTP_TIMEOUT_SECONDS"],
            sender=config["MAIL_FROM"],
            reply_to=config["MAIL_REPLY_TO"],
        )


def build(
    settings: SmtpSettings,
    *,
    to: str,
    subject: str,
    template: str,
    language: str,
    unsubscribe_url: str | None = None,
    **context: Any,
) -> EmailMessage:
    """A mail from ``notifications/<template>.txt`` and ``.html``: both parts say the same."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 8058: mail clients offer "unsubscribe" and POST "List-Unsubscribe=One-Click".
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    values = {"language": language, "unsubscribe_url": unsubscribe_url, **context}
    message.set_content(render_template(f"notifications/{template}.txt", **values))
    message.add_alternative(
        render_template(f"notifications/{template}.html", subject=subject, **values),
        subtype="html",
    )
    # After the parts exist: turning the mail multipart moves Content-* headers into the first.
    message["Content-Language"] = language
    return message


class Mailer:
    """One connection to the mail server, opened on the first mail and kept for a batch."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if settings.tls == "tls":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.tls == "starttls":
                smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password)
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send one mail; ``MailRefused`` for a permanent refusal, ``OSError`` or
        ``smtplib.SMTPException`` when the server cannot be reached or fails for now."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise MailRefused(str(exc)) from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused):
                raise MailRefused(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            self.close()
            raise
        except (OSError, smtplib.SMTPException):
            self.close()
            raise

    def close(self) -> None:
        """Say goodbye to the server (and forget a broken connection)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()
