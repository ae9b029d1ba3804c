"""Reading Isso's SQLite database: ``threads(id, uri, title)`` and ``comments(tid, id, parent,
created, modified, mode, text, author, email, website, likes, ...)``.

Isso stores Markdown, which is kept as it is. Modes: 1 accepted, 2 pending (waiting for
moderation), 4 deleted (kept by Isso as a placeholder while it has replies). The key of a
thread is its ``uri`` without slashes when that is a valid key (``data-isso-id="my-story"``),
else the last segment of its path (``/2024/05/my-story/`` → ``my-story``). Names and websites,
which Isso stores HTML-escaped, are unescaped. Addresses and votes are not read: the service
keeps no IP address, and likes only as a count.
"""

from __future__ import annotations

import html
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engagement.models import CommentStatus
from engagement.portability import records
from engagement.portability.records import (
    KeyFrom,
    MalformedSource,
    SourceComment,
    SourceThread,
)
from engagement.portability.staging import Stage

ACCEPTED, PENDING, DELETED = 1, 2, 4


def _moment(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError):
        raise MalformedSource(f"{where}: {value!r} is not a timestamp") from None
    except (OverflowError, OSError):
        raise MalformedSource(records.out_of_range(value, where)) from None
    return records.in_range(moment, raw=value, where=where)


def _unescaped(value: str | None) -> str | None:
    # Isso stores names and websites HTML-escaped (``O&#x27;Brien``); this service stores plain
    # text and escapes when it renders.
    return html.unescape(value) if value is not None else None


def _comment(row: sqlite3.Row) -> SourceComment:
    where = f"comment {row['id']}"
    mode = row["mode"]
    if mode not in (ACCEPTED, PENDING, DELETED):
        raise MalformedSource(f"{where}: unknown mode {mode!r}")
    created = _moment(row["created"], where)
    modified = _moment(row["modified"], where) if row["modified"] is not None else None
    return SourceComment(
        source_id=str(row["id"]),
        parent_id=str(row["parent"]) if row["parent"] is not None else None,
        text=records.text(row["text"]),
        created_at=created,
        status=CommentStatus.PENDING if mode == PENDING else CommentStatus.APPROVED,
        # Isso does not say when a comment was deleted; its last change is the best guess.
        deleted_at=(modified or created) if mode == DELETED else None,
        edited_at=modified if mode != DELETED else None,
        author_name=records.name(_unescaped(row["author"])),
        author_email=records.email(row["email"]),
        author_website=records.website(_unescaped(row["website"])),
        likes=max(0, int(row["likes"] or 0)),
    )


def read(path: Path, stage: Stage, *, key_from: KeyFrom = KeyFrom.AUTO) -> None:
    """Stage the threads and comments of an Isso database, opened read-only."""
    if not path.is_file():
        raise MalformedSource(f"{path}: no such file")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise MalformedSource(f"{path}: cannot open it as SQLite: {exc}") from None
    connection.row_factory = sqlite3.Row
    try:
        for row in connection.execute(
            "SELECT id, uri, title FROM threads WHERE id IN (SELECT tid FROM comments)"
        ):
            stage.add_thread(
                str(row["id"]),
                SourceThread(
                    key=records.article_key(
                        identifier=(row["uri"] or "").strip("/"), url=row["uri"], key_from=key_from
                    ),
                    label=repr(row["uri"]),
                    title=records.line(row["title"], records.TITLE_MAX) or "",
                ),
            )
        for row in connection.execute(
            "SELECT tid, id, parent, created, modified, mode, text, author, email, website, "
            "likes FROM comments ORDER BY id"
        ):
            stage.add_comment(str(row["tid"]), _comment(row))
    except sqlite3.Error as exc:
        raise MalformedSource(f"{path}: not an Isso database: {exc}") from None
    finally:
        connection.close()
    stage.check(thread_id="id")
