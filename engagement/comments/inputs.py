"""What a reader may send about a comment, parsed and normalized in one place.

Only the fields named here are read; anything else in the body (``"status": "approved"``, say)
is ignored, so nobody approves, pins or likes their own comment by asking. Text is normalized
to Unicode NFC and bounded; control characters are refused rather than silently dropped, so
what is stored is what the reader typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from pydantic.json_schema import SkipJsonSchema

from engagement import openapi, parsing, sanitize
from engagement.articles import service as articles
from engagement.comments import threads
from engagement.http import validated
from engagement.models import Comment, Report, ReportReason
from engagement.notifications import texts
from engagement.parsing import column_length, column_max, within
from engagement.refusals import Invalid, Refusal, invalid

# Limits are the columns' sizes: the schema is the one source of truth.
MAX_ID = column_max(Comment.id)
NAME_MAX = column_length(Comment.author_name)
EMAIL_MAX = column_length(Comment.author_email)
WEBSITE_MAX = column_length(Comment.author_website)
NOTE_MAX = column_length(Report.note)

# C0 and C1 control characters other than tab and line feed (carriage returns are normalized to
# line feeds first). They have no place in a comment and some break terminals and logs.
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# In one-line fields even tab and line feed are refused, and so are the bidirectional overrides
# that make a name read differently from what it is.
_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
# The same rules as JSON Schema patterns, for the API document: text with something besides
# whitespace and no control character, a line with no control character at all.
TEXT_PATTERN = (
    r"^\s*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
)
_LINE_CONTROL_CLASS = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
LINE_PATTERN = rf"^[^{_LINE_CONTROL_CLASS}]*$"
# A line with something besides whitespace (leading whitespace that is no control character).
NAME_PATTERN = rf"^[^\S{_LINE_CONTROL_CLASS}]*[^\s{_LINE_CONTROL_CLASS}][^{_LINE_CONTROL_CLASS}]*$"
_EMAIL_PART = rf"[^@\s.{_LINE_CONTROL_CLASS}]+"
EMAIL_PATTERN = (
    rf"^[^\S{_LINE_CONTROL_CLASS}]*[^@\s{_LINE_CONTROL_CLASS}]{{1,64}}@{_EMAIL_PART}"
    rf"(\.{_EMAIL_PART})+[^\S{_LINE_CONTROL_CLASS}]*$"
)
WEBSITE_PATTERN = (
    rf"^[^\S{_LINE_CONTROL_CLASS}]*[hH][tT][tT][pP][sS]?://[^\s/?#@:\[\]{_LINE_CONTROL_CLASS}]+"
    rf"(:[0-9]{{1,5}})?([/?#][^\s{_LINE_CONTROL_CLASS}]*)?[^\S{_LINE_CONTROL_CLASS}]*$"
)


def documented_pattern(pattern: str) -> Any:
    """Say in the document what the parsing functions below enforce (their messages stay)."""
    return {"pattern": pattern}


@openapi.schema
class CommentIn(BaseModel):
    """A new comment or reply. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    text: StrictStr = Field(
        description="Markdown: paragraphs, emphasis, links, quotes, code.",
        json_schema_extra=documented_pattern(TEXT_PATTERN),
    )
    author_name: StrictStr | None = Field(
        default=None,
        description="Shown as plain text.",
        json_schema_extra=documented_pattern(LINE_PATTERN),
    )
    author_email: StrictStr | None = Field(
        default=None,
        description="Never shown nor returned; only a hash of it picks the avatar.",
        json_schema_extra=documented_pattern(EMAIL_PATTERN),
    )
    author_website: StrictStr | None = Field(
        default=None,
        description="An http or https URL.",
        json_schema_extra=documented_pattern(WEBSITE_PATTERN),
    )
    parent_id: Annotated[int, within(Comment.id)] | None = Field(
        default=None, description="The comment this one replies to."
    )
    notify_replies: StrictBool | None = Field(
        default=None,
        description="Email the author when someone replies (needs author_email). The first "
        "time, the address gets a confirmation mail and nothing else until it confirms. "
        "Ignored while the service has no mail server (the article's `reply_notifications`).",
    )
    lang: StrictStr | None = Field(
        default=None,
        max_length=35,
        description="The page's language tag (`es`, `en-GB`): the language of the mails.",
    )
    article_title: StrictStr | None = Field(
        default=None, description="The page's headline: the title of an article this registers."
    )
    article_url: StrictStr | None = Field(
        default=None, description="The page's address: the URL of an article this registers."
    )
    article_lang: StrictStr | None = Field(
        default=None, description="The page's language tag (es, en-GB...) for comment search."
    )


def article_hints(body: dict[str, Any]) -> articles.Hints:
    """The page's ``article_title``, ``article_url`` and ``article_lang``; anything unusable is
    left out rather than refusing the reader's comment."""
    title = body.get("article_title")
    url = body.get("article_url")
    try:
        url = website(url) if isinstance(url, str) else None
    except Refusal:
        url = None
    clean_title = ""
    if isinstance(title, str):
        clean_title = " ".join(_LINE_CONTROLS.sub(" ", title).split())[:300]
    return articles.Hints(
        title=clean_title, url=url, language=articles.language_of(body.get("article_lang"))
    )


@openapi.schema
class CommentEditIn(BaseModel):
    """The author's new text for their comment."""

    model_config = ConfigDict(extra="ignore")

    text: StrictStr = Field(json_schema_extra=documented_pattern(TEXT_PATTERN))


@openapi.schema
class ReportIn(BaseModel):
    """Why a reader flags a comment."""

    model_config = ConfigDict(extra="ignore")

    reason: ReportReason
    note: StrictStr | None = Field(
        default=None, max_length=NOTE_MAX, json_schema_extra=documented_pattern(LINE_PATTERN)
    )


@dataclass(frozen=True)
class NewComment:
    text: str
    author_name: str | None
    author_email: str | None
    author_website: str | None
    parent_id: int | None
    notify_replies: bool = False
    language: str = "en"
    # Rendered when the comment is parsed, before any database work: under SQLite a write
    # request holds the write lock from its first query to its commit.
    html: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "html", sanitize.render(self.text))


def _too_long(field: str, limit: int) -> Invalid:
    return Invalid("too_long", f"{field}: at most {limit} characters.", field)


def comment_text(raw: str, *, max_length: int, field: str = "text") -> str:
    """Normalized comment text: NFC, line feeds only, trimmed, non-empty, bounded."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if _TEXT_CONTROLS.search(text):
        raise invalid(field, "The text contains control characters.")
    if not text:
        raise invalid(field, "Write something before posting.")
    if len(text) > max_length:
        raise _too_long(field, max_length)
    return text


def one_line(raw: str | None, field: str, limit: int) -> str | None:
    """A one-line field: NFC, inner whitespace collapsed, empty as None."""
    if raw is None:
        return None
    value = unicodedata.normalize("NFC", raw)
    if _LINE_CONTROLS.search(value):
        raise invalid(field, f"{field}: control characters are not allowed.")
    value = " ".join(value.split())
    if len(value) > limit:
        raise _too_long(field, limit)
    return value or None


def email(raw: str | None) -> str | None:
    """A plausible email address, lower-cased, or None when not given."""
    value = one_line(raw, "author_email", EMAIL_MAX)
    if value is None:
        return None
    if not _EMAIL.fullmatch(value):
        raise invalid("author_email", "author_email: not an email address.")
    return value.lower()


def website(raw: str | None) -> str | None:
    """An absolute http or https URL, or None when not given."""
    value = one_line(raw, "author_website", WEBSITE_MAX)
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in {"http", "https"} or not host or " " in value:
        raise invalid("author_website", "author_website: give an http:// or https:// address.")
    return value


def new_comment(data: dict[str, Any], *, max_length: int) -> NewComment:
    """The reader's comment from a JSON body, normalized; refused as invalid naming the field
    at fault."""
    parsed = validated(CommentIn, data)
    author_email = email(parsed.author_email)
    if parsed.notify_replies and author_email is None:
        raise invalid("author_email", "Give an email address to be told of replies.")
    return NewComment(
        text=comment_text(parsed.text, max_length=max_length),
        author_name=one_line(parsed.author_name, "author_name", NAME_MAX),
        author_email=author_email,
        author_website=website(parsed.author_website),
        parent_id=parsed.parent_id,
        notify_replies=bool(parsed.notify_replies),
        language=texts.language_for(parsed.lang or ""),
    )


def edited_text(data: dict[str, Any], *, max_length: int) -> str:
    """The new text of an edit, normalized like a new comment's."""
    return comment_text(validated(CommentEditIn, data).text, max_length=max_length)


def report(data: dict[str, Any]) -> ReportIn:
    """A report's reason and optional note."""
    parsed = validated(ReportIn, data)
    note = one_line(parsed.note, "note", NOTE_MAX)
    return parsed.model_copy(update={"note": note})


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # the default is a setting, said in the description


class ThreadQuery(BaseModel):
    """What page of a thread a reader asks for."""

    sort: Literal["oldest", "newest", "top"] = Field(
        default="oldest",
        description="Top-level comments oldest first, newest first, or most liked first.",
    )
    limit: Annotated[int, Field(ge=1)] | SkipJsonSchema[None] = Field(
        default=None,
        description="Top-level comments per page (default ENGAGEMENT_COMMENTS_PAGE_SIZE, at most"
        " ENGAGEMENT_COMMENTS_MAX_PAGE_SIZE).",
        json_schema_extra=_no_default,
    )
    cursor: Annotated[str, Field(max_length=threads.CURSOR_MAX)] | SkipJsonSchema[None] = Field(
        default=None,
        description="The `next_cursor` of the page before, for the page after it.",
        json_schema_extra=_no_default,
    )
    missing: Literal["empty"] | SkipJsonSchema[None] = Field(
        default=None,
        description="empty: an unregistered article answers 200 with article null and no"
        " comments instead of 404 (the widget asks so while the first view registers it).",
        json_schema_extra=_no_default,
    )


def thread_query(
    args: Mapping[str, str], *, default_limit: int, max_limit: int
) -> threads.PageQuery:
    """The page of a thread the query string asks for (``ThreadQuery``)."""
    sort = args.get("sort") or "oldest"
    if sort not in threads.SORTS:
        raise invalid("sort", "sort: one of oldest, newest, top.")
    limit = parsing.optional_number(args, "limit", maximum=max_limit) or default_limit
    cursor = args.get("cursor") or None
    return threads.PageQuery(
        sort=sort,
        limit=limit,
        cursor=cursor,
        after=threads.decode_cursor(cursor, sort) if cursor else None,
        missing_empty=args.get("missing") == "empty",
    )
