"""Reading the service's own export (``export.py``) back: a backup restored, or a move from one
installation to another. Keys, ids, statuses and timestamps are taken as they are."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engagement.http import KEY_PATTERN
from engagement.models import BanKind, CommentStatus, ModerationMode, ReportReason
from engagement.portability import records
from engagement.portability.export import FORMAT, VERSION
from engagement.portability.records import (
    MalformedSource,
    Source,
    SourceBan,
    SourceComment,
    SourceReport,
    SourceThread,
)

HASH_MAX = 64
BAN_VALUE_MAX = 254
CREATED_BY_MAX = 120


def _moment(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedSource(f"{where}: expected a date and time, found {value!r}")
    return records.timestamp(value, where=where)


def _maybe_moment(value: Any, where: str) -> datetime | None:
    return None if value is None else _moment(value, where)


def _hash(value: Any, where: str) -> str:
    # Visitor and network hashes (or "erased"): refuse anything their columns cannot hold.
    if not isinstance(value, str) or not 0 < len(value) <= HASH_MAX:
        raise MalformedSource(f"{where}: {value!r} is not a visitor hash")
    return value


def _report(raw: dict[str, Any], where: str) -> SourceReport:
    return SourceReport(
        reason=ReportReason(raw["reason"]),
        visitor=_hash(raw["visitor"], f"{where}.visitor"),
        network=_hash(raw["network"], f"{where}.network") if raw.get("network") else None,
        note=records.line(raw.get("note"), 500),
        created_at=_moment(raw["created_at"], f"{where}.created_at"),
        resolved_at=_maybe_moment(raw.get("resolved_at"), f"{where}.resolved_at"),
    )


def _comment(raw: dict[str, Any], where: str) -> SourceComment:
    parent = raw.get("parent_id")
    return SourceComment(
        source_id=str(raw["id"]),
        parent_id=None if parent is None else str(parent),
        text=records.text(raw["text"]),
        created_at=_moment(raw["created_at"], f"{where}.created_at"),
        status=CommentStatus(raw["status"]),
        deleted_at=_maybe_moment(raw.get("deleted_at"), f"{where}.deleted_at"),
        edited_at=_maybe_moment(raw.get("edited_at"), f"{where}.edited_at"),
        moderated_at=_maybe_moment(raw.get("moderated_at"), f"{where}.moderated_at"),
        author_name=records.name(raw.get("author_name")),
        author_email=records.email(raw.get("author_email")),
        author_website=records.website(raw.get("author_website")),
        likes=int(raw.get("likes") or 0),
        pinned=bool(raw.get("pinned")),
        spam_reasons=raw.get("spam_reasons"),
        visitor=_hash(raw["visitor"], f"{where}.visitor") if raw.get("visitor") else None,
        reports=[
            _report(report, f"{where}.reports[{index}]")
            for index, report in enumerate(raw.get("reports") or [])
        ],
    )


def _thread(raw: dict[str, Any], where: str) -> SourceThread:
    key = raw["key"]
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise MalformedSource(f"{where}: {key!r} is not a valid article key")
    moderation = raw.get("moderation")
    return SourceThread(
        key=key,
        label=key,
        register=True,
        title=records.line(raw.get("title"), records.TITLE_MAX) or "",
        url=records.url(raw.get("url")),
        published_at=_maybe_moment(raw.get("published_at"), f"{where}.published_at"),
        comments_open=bool(raw.get("comments_open", True)),
        moderation=ModerationMode(moderation) if moderation else None,
        view_count=int(raw.get("views") or 0),
        daily_views={
            date.fromisoformat(day["day"]): int(day["views"]) for day in raw.get("daily_views", [])
        },
        comments=[
            _comment(comment, f"{where}.comments[{index}]")
            for index, comment in enumerate(raw.get("comments", []))
        ],
    )


def _ban(raw: dict[str, Any], where: str) -> SourceBan:
    return SourceBan(
        kind=BanKind(raw["kind"]),
        value=records.line(raw["value"], BAN_VALUE_MAX) or "",
        reason=raw.get("reason"),
        created_at=_moment(raw["created_at"], f"{where}.created_at"),
        expires_at=_maybe_moment(raw.get("expires_at"), f"{where}.expires_at"),
        created_by=records.line(raw.get("created_by"), CREATED_BY_MAX),
        revoked_at=_maybe_moment(raw.get("revoked_at"), f"{where}.revoked_at"),
    )


def read(path: Path) -> Source:
    """The articles, comments and bans of an export file; the audit log stays with the
    installation it describes and is not read."""
    try:
        with path.open(encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedSource(f"not a JSON export: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise MalformedSource(f'not an engagement export (its "format" is not {FORMAT!r})')
    if document.get("version") != VERSION:
        raise MalformedSource(
            f"export version {document.get('version')!r}; this version reads {VERSION}"
        )
    try:
        threads = [
            _thread(article, f"articles[{index}]")
            for index, article in enumerate(document["articles"])
        ]
        bans = [_ban(ban, f"bans[{index}]") for index, ban in enumerate(document.get("bans", []))]
    except MalformedSource:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedSource(
            f"the export is not well formed: {type(exc).__name__} {exc}"
        ) from None
    return Source(threads=threads, bans=bans)
