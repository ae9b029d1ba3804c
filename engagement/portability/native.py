"""Reading the service's own export (``export.py``) back: a backup restored, or a move from one
installation to another. Keys, ids, statuses and timestamps are taken as they are."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import ijson

from engagement.http import KEY_PATTERN
from engagement.models import BanKind, CommentStatus, ModerationMode, ReportReason
from engagement.portability import records
from engagement.portability.export import FORMAT, VERSION
from engagement.portability.records import (
    MalformedSource,
    SourceBan,
    SourceComment,
    SourceReport,
    SourceThread,
)
from engagement.portability.staging import Stage

T = TypeVar("T")

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
        created_at=_maybe_moment(raw.get("created_at"), f"{where}.created_at"),
        comments_open=bool(raw.get("comments_open", True)),
        moderation=ModerationMode(moderation) if moderation else None,
        view_count=int(raw.get("views") or 0),
        daily_views={
            date.fromisoformat(day["day"]): int(day["views"]) for day in raw.get("daily_views", [])
        },
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


def _items(path: Path, prefix: str) -> Iterator[Any]:
    """The values at ``prefix`` (``articles.item``: each article), read as a stream."""
    with path.open("rb") as file:
        yield from ijson.items(file, prefix, use_float=True)


def _first(path: Path, prefix: str) -> Any:
    return next(_items(path, prefix), None)


def _checked(where: str, read: Callable[..., T], *args: Any) -> T:
    try:
        return read(*args, where)
    except MalformedSource:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedSource(f"{where} is not well formed: {type(exc).__name__} {exc}") from None


def _comments_of(raw: Any, _where: str) -> list[Any]:
    return list(raw.get("comments") or [])


def _stage_article(stage: Stage, raw: Any, where: str) -> None:
    stage.add_thread(where, _checked(where, _thread, raw))
    for index, comment in enumerate(_checked(where, _comments_of, raw)):
        stage.add_comment(where, _checked(f"{where}.comments[{index}]", _comment, comment))


def read(path: Path, stage: Stage, *, erasures_key: str) -> None:
    """Stage the articles, comments, bans and erased commenters of an export file; the audit
    log stays with the installation it describes and is not read. ``erasures_key`` names this
    installation's key for erased commenters' hashes: a file whose erasures were made under
    another key is refused, as they could not be honoured."""
    try:
        if _first(path, "format") != FORMAT:
            raise MalformedSource(f'not an engagement export (its "format" is not {FORMAT!r})')
        version = _first(path, "version")
        if version != VERSION:
            raise MalformedSource(f"export version {version!r}; this version reads {VERSION}")
        for index, article in enumerate(_items(path, "articles.item")):
            _stage_article(stage, article, f"articles[{index}]")
        for index, ban in enumerate(_items(path, "bans.item")):
            stage.add_ban(_checked(f"bans[{index}]", _ban, ban))
        erased = [
            _hash(digest, "erased_commenters") for digest in _items(path, "erased_commenters.item")
        ]
        if erased and _first(path, "erasures_key") != erasures_key:
            raise MalformedSource(
                f"its {len(erased)} erased commenters were erased under another "
                "ENGAGEMENT_SECRET_KEY, so they could not be kept out: import it with the "
                "secret key of the installation it comes from"
            )
        for digest in erased:
            stage.add_erased(digest)
    except (OSError, UnicodeDecodeError, ijson.JSONError) as exc:
        raise MalformedSource(f"not a JSON export: {exc}") from None
