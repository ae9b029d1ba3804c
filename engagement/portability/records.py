"""What an importer reads from a source, whatever its format: threads of comments, each with
the source's own ids, staged (``staging.Stage``) to be stored by ``importer.store``.

Readers turn their format's fields into these records and nothing else; how records become
rows (keys, duplicates, counters, the audit log) is decided in one place, the importer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from engagement.comments import inputs
from engagement.http import KEY_PATTERN
from engagement.models import BanKind, CommentStatus, ModerationMode, ReportReason
from engagement.refusals import Refusal

TITLE_MAX = 300
URL_MAX = 2000
# Control characters (tab and line feed excepted), NUL, and lone surrogates: no text column
# should hold them, and one stray byte in a ten-year-old export must not stop an import.
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class MalformedSource(Exception):
    """A file that cannot be imported; the message says what is wrong and where."""


class KeyFrom(StrEnum):
    """Where an article's key comes from in a source."""

    AUTO = "auto"  # the identifier when it is a valid key, else the URL's last path segment
    IDENTIFIER = "identifier"  # Disqus's thread identifier, WordPress's post slug, Isso's id
    URL = "url"  # the last segment of the article's URL path


@dataclass
class SourceReport:
    reason: ReportReason
    visitor: str
    network: str | None
    note: str | None
    created_at: datetime
    resolved_at: datetime | None


@dataclass
class SourceComment:
    """One comment as the source has it; ``text`` is Markdown, already cleaned."""

    source_id: str
    parent_id: str | None
    text: str
    created_at: datetime
    status: CommentStatus = CommentStatus.APPROVED
    deleted_at: datetime | None = None
    edited_at: datetime | None = None
    moderated_at: datetime | None = None
    author_name: str | None = None
    author_email: str | None = None
    author_website: str | None = None
    likes: int = 0
    pinned: bool = False
    spam_reasons: list[str] | None = None
    # Only our own export carries the poster's visitor hash; others get one from the importer.
    visitor: str | None = None
    reports: list[SourceReport] = field(default_factory=list)


@dataclass
class SourceThread:
    """One article's thread; ``key`` is None when the source gives no usable article key."""

    key: str | None
    label: str  # how the source names the thread, for messages
    title: str = ""
    url: str | None = None
    published_at: datetime | None = None
    # When the article was registered where the file comes from (only our own export says).
    created_at: datetime | None = None
    comments: list[SourceComment] = field(default_factory=list)
    comments_open: bool = True
    moderation: ModerationMode | None = None
    view_count: int = 0
    daily_views: dict[date, int] = field(default_factory=dict)
    # Entries of the source that are not comments (WordPress pingbacks and trackbacks).
    not_comments: int = 0
    # Whether the article is stored even without comments (our own export's articles are).
    register: bool = False


@dataclass
class SourceBan:
    kind: BanKind
    value: str
    reason: str | None
    created_at: datetime
    expires_at: datetime | None
    created_by: str | None
    revoked_at: datetime | None


# --- fields, as every reader cleans them -----------------------------------------------------


def last_segment(url: str | None) -> str | None:
    """The last non-empty segment of a URL's path: ``my-story`` for ``/2024/05/my-story/``."""
    if not url:
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    segments = [segment for segment in path.split("/") if segment]
    return segments[-1] if segments else None


def article_key(*, identifier: str | None, url: str | None, key_from: KeyFrom) -> str | None:
    """The article key a thread gets, or None when the chosen source gives no valid key."""
    candidates = {
        KeyFrom.IDENTIFIER: [identifier],
        KeyFrom.URL: [last_segment(url)],
        KeyFrom.AUTO: [identifier, last_segment(url)],
    }[key_from]
    for candidate in candidates:
        candidate = candidate.strip() if candidate else None
        if candidate and KEY_PATTERN.fullmatch(candidate):
            return candidate
    return None


def text(raw: str | None) -> str:
    """Comment text as the service stores it: NFC, line feeds only, no control characters."""
    value = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    return _UNSTORABLE.sub("", unicodedata.normalize("NFC", value)).strip()


def line(raw: str | None, limit: int) -> str | None:
    """A one-line field: whitespace collapsed, bounded, empty as None."""
    value = " ".join(text(raw).split())[:limit]
    return value or None


def email(raw: str | None) -> str | None:
    """The address normalized as the comment form does (lower case), or None if not one."""
    try:
        return inputs.email(line(raw, inputs.EMAIL_MAX))
    except Refusal:
        return None


def website(raw: str | None) -> str | None:
    """An http or https address, or None: the form accepts nothing else either."""
    try:
        return inputs.website(line(raw, inputs.WEBSITE_MAX))
    except Refusal:
        return None


def name(raw: str | None) -> str | None:
    return line(raw, inputs.NAME_MAX)


def url(raw: str | None) -> str | None:
    value = line(raw, URL_MAX + 1)
    return value if value and len(value) <= URL_MAX else None


def timestamp(raw: str | None, *, where: str) -> datetime:
    """An ISO 8601 moment (``Z`` or an offset; none means UTC) within ``EARLIEST`` and
    ``LATEST``, or MalformedSource."""
    try:
        moment = datetime.fromisoformat((raw or "").strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedSource(f"{where}: {raw!r} is not a date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return in_range(moment.astimezone(UTC), raw=raw, where=where)
    except OverflowError:  # year 1 or 9999 moved across midnight by its offset
        raise MalformedSource(out_of_range(raw, where)) from None


# Comments older than the Unix epoch or from beyond year 9998 are damaged data; refusing them
# also keeps every date the service computes from them (edit windows, days) representable.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)


def out_of_range(raw: object, where: str) -> str:
    return f"{where}: {raw!r} is out of range (dates from 1970-01-01 to 9998-12-31 UTC)"


def in_range(moment: datetime, *, raw: object, where: str) -> datetime:
    """``moment`` if it lies between ``EARLIEST`` and ``LATEST``, else MalformedSource."""
    if not EARLIEST <= moment <= LATEST:
        raise MalformedSource(out_of_range(raw, where))
    return moment
