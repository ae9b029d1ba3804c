"""The demo's mail catcher: a local SMTP server (aiosmtpd) that keeps every mail as a file.

``engagement demo`` starts one and points the service at it, so reply notifications and
alerts can be tried without a mail server; the demo pages list the caught mails
(``/demo/mail/``). Never for production: it accepts anything from anyone on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import socket
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_sequence = itertools.count(1)


@dataclass(frozen=True)
class CaughtMail:
    name: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def recipient(self) -> str:
        return str(self.message["To"] or "")

    @property
    def date(self) -> str:
        return str(self.message["Date"] or "")

    def part(self, kind: str) -> str:
        body = self.message.get_body(preferencelist=(kind,))
        return str(body.get_content()) if body is not None else ""


class _Keeper:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.time_ns()}-{next(_sequence)}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Caught"


class MailCatcher:
    """aiosmtpd on 127.0.0.1, writing each mail into ``folder``."""

    def __init__(self, folder: Path, port: int = 0) -> None:
        self.folder = folder
        self.port = port or _free_port()
        self._controller = Controller(_Keeper(folder), hostname="127.0.0.1", port=self.port)

    def start(self) -> MailCatcher:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def caught(folder: Path) -> list[CaughtMail]:
    """The mails in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda path: path.name, reverse=True)
    return [read(path) for path in files]


def read(path: Path) -> CaughtMail:
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return CaughtMail(name=path.stem, message=message)
