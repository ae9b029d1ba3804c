"""Notification fixtures: a real SMTP server (aiosmtpd), a real HTTP receiver, a clock the test
moves, and the worker that delivers."""

from __future__ import annotations

import email
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engagement.models import utcnow
from engagement.notifications.worker import Worker

PORTS = range(8600, 8700)
PUBLIC_URL = "https://comments.example"
SENDER = "Magazine comments <comments@magazine.example>"


def free_port() -> int:
    """A free port of this suite's range on 127.0.0.1."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8600-8699")


class Inbox:
    """Mails an aiosmtpd server received, parsed."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.mails.append(parsed)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [mail for mail in self.mails if mail["To"] == address]


class MailServer:
    """aiosmtpd on 127.0.0.1, started and stopped by the test (an outage is a ``stop``)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> MailServer:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server that records every POST and answers with the statuses it is told."""

    answers: list[int] = field(default_factory=list)
    default: int = 200
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/hooks"

    def start(self, port: int = 0) -> Receiver:
        """Listen on 127.0.0.1 (``port`` 0: any free port)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                with receiver.lock:
                    receiver.requests.append(Received(dict(self.headers.items()), body))
                    status = receiver.answers.pop(0) if receiver.answers else receiver.default
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def start_on(self, port: int) -> Receiver:
        return self.start(port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def ids(self) -> list[str]:
        with self.lock:
            return [received.headers["webhook-id"] for received in self.requests]

    def types(self) -> list[str]:
        with self.lock:
            return [received.json["type"] for received in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


class Clock:
    """Now, as far as the worker knows: the real time, plus however far the test moved it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **span: float) -> None:
        self.offset += timedelta(**span)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def mail_settings(port: int) -> dict[str, Any]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_TLS": "none",
        "MAIL_FROM": SENDER,
        "PUBLIC_URL": PUBLIC_URL,
        "WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.0/8"],
    }


@pytest.fixture
def settings(smtp: MailServer) -> dict[str, Any]:
    """Mail through the test's SMTP server; webhooks may go to loopback receivers."""
    return mail_settings(smtp.port)


@pytest.fixture
def worker(app: Flask, clock: Clock) -> Worker:
    return Worker(app, clock=clock)


def post(
    client: FlaskClient,
    key: str = "the-story",
    *,
    reader: str = "alice",
    text: str = "A fine story.",
    **body: Any,
) -> TestResponse:
    """Post as a reader whose browser is named ``reader`` (each reader a different visitor)."""
    headers = {"User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) {reader}"}
    return client.post(
        f"/api/v1/articles/{key}/comments", json={"text": text, **body}, headers=headers
    )


LINK = re.compile(r"https://comments\.example(/notifications/[a-z]+/[A-Za-z0-9._-]+)")


def link_path(mail: EmailMessage, kind: str) -> str:
    """The path of the confirmation or unsubscribe link in a mail's text part."""
    text = text_of(mail)
    for path in LINK.findall(text):
        if path.startswith(f"/notifications/{kind}/"):
            return str(path)
    raise AssertionError(f"no {kind} link in:\n{text}")


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())
