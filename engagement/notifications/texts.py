"""The words of mails and notification pages, one message file per language (``messages/``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

MESSAGES = Path(__file__).resolve().parent / "messages"
DEFAULT_LANGUAGE = "en"


@cache
def languages() -> tuple[str, ...]:
    """The languages with a message file, e.g. ``("en", "es")``."""
    return tuple(sorted(path.stem for path in MESSAGES.glob("*.json")))


def language_for(tag: str) -> str:
    """The language of a tag such as ``es-MX``: its primary subtag if we speak it, else English."""
    primary = tag.strip().split("-")[0].split("_")[0].lower()
    return primary if primary in languages() else DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((MESSAGES / f"{language}.json").read_text("utf-8"))
    return messages


def t(language: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``language`` (English when missing), ``{name}`` filled in."""
    message = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
    return message.format(**values) if values else message
