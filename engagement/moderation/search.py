"""Searching every comment for moderators: full text, author, article, status, dates, signals.

PostgreSQL matches ``comments.search_vector`` (kept by triggers under the configuration of the
article's language: Spanish or English stemming, accents folded) against the words under every
configuration at once, so one query serves an archive in both languages. SQLite matches its
FTS5 table ``comments_search`` (accents removed by the tokenizer) against each word or a prefix
of its Spanish and English stems. Results come newest first, paged by a keyset cursor, each with
a highlighted excerpt whose markup is built here from escaped text only.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from markupsafe import Markup, escape
from sqlalchemy import String, bindparam, cast, func, literal_column, select, text, tuple_
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engagement import db as database
from engagement.abuse.spam import WEIGHTS
from engagement.http import KEY_PATTERN
from engagement.models import Article, Comment, CommentStatus
from engagement.moderation.items import QueueItem, items_for
from engagement.refusals import invalid

MAX_TEXT = 200
MAX_WORDS = 12
MAX_NAME = 254
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
SIGNALS = tuple(WEIGHTS)
# The PostgreSQL text search configurations the migration makes, one per article language.
CONFIGURATIONS = ("engagement_es", "engagement_en", "engagement_simple")
LANGUAGES = ("es", "en")
# Where an excerpt's matches start and stop. Comment text refuses C0 control characters, so
# these never come from a reader; an imported one at worst opens or closes a mark early.
START, STOP = "\x01", "\x02"
_HEADLINE_OPTIONS = (
    f'StartSel="{START}", StopSel="{STOP}", MaxWords=30, MinWords=12, MaxFragments=2,'
    ' FragmentDelimiter=" … "'
)
_WORD = re.compile(r"\w+")
_STEMMERS = {
    language: snowballstemmer.stemmer(name)
    for language, name in (("es", "spanish"), ("en", "english"))
}
EXCERPT_CHARS = 300
# How many of the newest comments a search looks through first (see ``search``).
RECENT_WINDOW = 2000
_FTS5_IDS = "SELECT rowid FROM comments_search WHERE comments_search MATCH :q"


@dataclass(frozen=True)
class SearchQuery:
    """What a moderator asks for; every part optional, all given parts must hold."""

    text: str = ""
    article: str | None = None
    author: str | None = None  # a name (any case) or an email address
    identity: str | None = None  # the commenter's stable visitor hash
    statuses: tuple[CommentStatus, ...] = ()
    since: date | None = None
    until: date | None = None
    signal: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: tuple[datetime, int] | None = None

    def args(self) -> dict[str, Any]:
        """The query as URL arguments (without the cursor), to link to its next page."""
        found: dict[str, Any] = {
            "q": self.text or None,
            "article": self.article,
            "author": self.author,
            "identity": self.identity,
            "status": [status.value for status in self.statuses] or None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "signal": self.signal,
        }
        return {name: value for name, value in found.items() if value}


@dataclass(frozen=True)
class SearchHit:
    item: QueueItem
    excerpt: Markup


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit] = field(default_factory=list)
    next_cursor: str | None = None


# --- parsing -----------------------------------------------------------------------------------


def _one(args: Mapping[str, Any], name: str, limit: int) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    value = " ".join(str(raw).split())
    if "\x00" in value or any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise invalid(name, f"{name}: NUL and lone surrogate characters are not allowed.")
    if len(value) > limit:
        raise invalid(name, f"{name}: at most {limit} characters.")
    return value or None


def _day(args: Mapping[str, Any], name: str) -> date | None:
    raw = _one(args, name, 10)
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise invalid(name, f"{name}: a day as YYYY-MM-DD.")


def parse(args: Mapping[str, Any], statuses: Sequence[str] = ()) -> SearchQuery:
    """A search from URL arguments (``q``, ``article``, ``author``, ``identity``, ``status``
    (repeatable), ``since``, ``until``, ``signal``, ``limit``, ``cursor``), or a 400 naming the
    argument at fault."""
    article = _one(args, "article", 200)
    if article is not None and not KEY_PATTERN.fullmatch(article):
        raise invalid("article", "article: an article key.")
    wanted = []
    for raw in statuses:
        if raw not in set(CommentStatus):
            raise invalid("status", "status: approved, pending, rejected or spam.")
        wanted.append(CommentStatus(raw))
    signal = _one(args, "signal", 40)
    if signal is not None and signal not in SIGNALS:
        raise invalid("signal", f"signal: one of {', '.join(SIGNALS)}.")
    raw_limit = _one(args, "limit", 3)
    if raw_limit is not None and not (raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT):
        raise invalid("limit", f"limit: a whole number from 1 to {MAX_LIMIT}.")
    since, until = _day(args, "since"), _day(args, "until")
    if since and until and since > until:
        raise invalid("until", "until: the same day as since or later.")
    raw_cursor = _one(args, "cursor", 200)
    return SearchQuery(
        text=_one(args, "q", MAX_TEXT) or "",
        article=article,
        author=_one(args, "author", MAX_NAME),
        identity=_one(args, "identity", 64),
        statuses=tuple(dict.fromkeys(wanted)),
        since=since,
        until=until,
        signal=signal,
        limit=int(raw_limit) if raw_limit else DEFAULT_LIMIT,
        cursor=decode_cursor(raw_cursor) if raw_cursor else None,
    )


def encode_cursor(comment: Comment) -> str:
    """An opaque cursor after ``comment`` in the newest-first order."""
    raw = json.dumps([comment.created_at.isoformat(), comment.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor carries, or a 400 when it is not one of ours."""
    bad = invalid("cursor", "cursor: not a cursor of this search.", "invalid_cursor")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        created_at, last_id = decoded
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None or type(last_id) is not int or not 0 < last_id < 2**31:
            raise bad
        return moment.astimezone(UTC), last_id
    except (binascii.Error, ValueError, TypeError, OverflowError):
        raise bad from None


# --- matching ----------------------------------------------------------------------------------


def words(query: str) -> list[str]:
    """The words of a query, lower-cased, in order, without repeats, at most ``MAX_WORDS``."""
    return list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))[:MAX_WORDS]


def fts5_match(query: str) -> str | None:
    """An FTS5 MATCH expression for ``query``: every word must appear, as typed or as a word
    sharing its Spanish or English stem. Only quoted words reach FTS5, never its syntax."""
    clauses = []
    for word in words(query):
        forms = [f'"{word}"']
        for stemmer in _STEMMERS.values():
            stem = stemmer.stemWord(word)
            if len(stem) >= 3 and f'"{stem}"*' not in forms:
                forms.append(f'"{stem}"*')
        clauses.append("(" + " OR ".join(forms) + ")")
    return " AND ".join(clauses) or None


def _postgres_tsquery() -> Any:
    combined: Any = None
    for name in CONFIGURATIONS:
        one = func.websearch_to_tsquery(cast(literal_column(f"'{name}'"), REGCONFIG), _q())
        combined = one if combined is None else combined.op("||")(one)
    return combined


def _q() -> Any:
    return bindparam("q", type_=String)


def _span(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The conditions on the newest-first order itself: the days asked for and the cursor."""
    conditions: list[ColumnElement[bool]] = []
    if query.since:
        conditions.append(Comment.created_at >= datetime.combine(query.since, time.min, UTC))
    if query.until:
        end = datetime.combine(query.until + timedelta(days=1), time.min, UTC)
        conditions.append(Comment.created_at < end)
    if query.cursor:
        conditions.append(tuple_(Comment.created_at, Comment.id) < tuple_(*query.cursor))
    return conditions


def _narrow(query: SearchQuery, *, postgres: bool) -> list[ColumnElement[bool]]:
    """The filters that pick few comments each, through their own index."""
    conditions: list[ColumnElement[bool]] = []
    if query.article:
        conditions.append(
            Comment.article_id.in_(select(Article.id).where(Article.key == query.article))
        )
    whose: list[ColumnElement[bool]] = []
    if query.author and "@" in query.author:
        whose.append(Comment.author_email == query.author.lower())
    if query.identity:
        whose.append(Comment.visitor == query.identity)
    if whose and postgres:
        # One commenter's comments are few: read them through their index first, whatever
        # the planner guesses about how they mix with a status or a day.
        authored = select(Comment.id).where(*whose).cte("authored").prefix_with("MATERIALIZED")
        whose = [Comment.id.in_(select(authored.c.id))]
    return conditions + whose


def _by_name(query: SearchQuery) -> ColumnElement[bool] | None:
    """The author filter by name: many people may share one, so it is no narrow filter."""
    if query.author and "@" not in query.author:
        return func.lower(Comment.author_name) == query.author.lower()
    return None


def _broad(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The filters that keep a share of every day's comments."""
    name = _by_name(query)
    conditions: list[ColumnElement[bool]] = [] if name is None else [name]
    if query.statuses:
        conditions.append(Comment.status.in_(query.statuses))
    if query.signal:
        # Stored as ["code: detail (+weight)", ...]; the code is one of SIGNALS, never a pattern.
        conditions.append(cast(Comment.spam_reasons, String).like(f'%"{query.signal}:%'))
    return conditions


def _newest_first(statement: Any, limit: int) -> Any:
    return statement.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit + 1)


def search(db: Session, *, query: SearchQuery) -> SearchPage:
    """One page of the comments matching ``query``, newest first, each with its context and a
    highlighted excerpt; a constant number of queries whatever the page size.

    A database cannot know how many comments a word or a filter keeps, and a wrong guess costs
    a walk through the whole archive (a rare word) or a sort of a large share of it (a common
    one). So a page is first looked for among the newest ``RECENT_WINDOW`` comments in its span
    (an index walk of bounded length): when they hold a full page, that page is the answer,
    since every comment outside them is older. Only otherwise are all the matches read: through
    the narrow filters' indexes when there are any, through the full-text index when the words
    are all there is (their matches are then few: they were rare among the newest comments),
    else as the database plans it.
    """
    postgres = database.is_postgres(db)
    span, narrow, broad = _span(query), _narrow(query, postgres=postgres), _broad(query)
    params: dict[str, Any] = {}
    matching: list[ColumnElement[bool]] = []
    if query.text:
        if postgres:
            matching.append(literal_column("comments.search_vector").op("@@")(_postgres_tsquery()))
            params["q"] = query.text
        else:
            match = fts5_match(query.text)
            if match is None:
                return SearchPage()
            matching.append(Comment.id.in_(text(_FTS5_IDS)))
            params["q"] = match
    found: list[Comment] = []
    if postgres and not narrow:
        recent = _newest_first(select(Comment.id).where(*span), RECENT_WINDOW - 1).subquery()
        statement = select(Comment).where(Comment.id.in_(select(recent.c.id)), *broad, *matching)
        found = list(db.scalars(_newest_first(statement, query.limit), params))
    if len(found) <= query.limit:
        if postgres and matching and not narrow and not broad:
            # Few matches among the newest comments: the full-text index gives them all.
            matches = select(Comment.id).where(*matching).cte("matches").prefix_with("MATERIALIZED")
            matching = [Comment.id.in_(select(matches.c.id))]
        elif postgres and not narrow and _by_name(query) is not None:
            # A name rare among the newest comments: its index gives all its comments, with
            # the other filters applied there (a guess at how they mix could walk them all).
            named = select(Comment.id).where(*broad).cte("named").prefix_with("MATERIALIZED")
            broad = [Comment.id.in_(select(named.c.id))]
        statement = select(Comment).where(*span, *narrow, *broad, *matching)
        found = list(db.scalars(_newest_first(statement, query.limit), params))
    more = len(found) > query.limit
    found = found[: query.limit]
    excerpts = _excerpts(db, found, params.get("q"), postgres=postgres) if query.text else {}
    hits = [
        SearchHit(item=item, excerpt=excerpts.get(item.comment.id) or plain_excerpt(item.comment))
        for item in items_for(db, comments=found)
    ]
    return SearchPage(hits=hits, next_cursor=encode_cursor(found[-1]) if more else None)


def _excerpts(
    db: Session, found: list[Comment], match: str | None, *, postgres: bool
) -> dict[int, Markup]:
    if not found or match is None:
        return {}
    ids = [comment.id for comment in found]
    if postgres:
        headline = func.ts_headline(
            func.engagement_search_config(Article.language),
            Comment.text,
            _postgres_tsquery(),
            _HEADLINE_OPTIONS,
        )
        rows = db.execute(
            select(Comment.id, headline)
            .join(Article, Article.id == Comment.article_id)
            .where(Comment.id.in_(ids)),
            {"q": match},
        )
    else:
        rows = db.execute(
            text(
                "SELECT rowid, snippet(comments_search, 0, char(1), char(2), ' … ', 30)"
                " FROM comments_search WHERE comments_search MATCH :q"
                " AND rowid IN (SELECT value FROM json_each(:ids))"
            ),
            {"q": match, "ids": json.dumps(ids)},
        )
    return {int(ident): highlighted(str(excerpt)) for ident, excerpt in rows}


def highlighted(excerpt: str) -> Markup:
    """An excerpt with its match markers as ``<mark>`` elements and everything else escaped."""
    parts: list[str] = []
    open_mark = False
    for piece in re.split(f"([{START}{STOP}])", excerpt):
        if piece == START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(str(escape(piece)))
    if open_mark:
        parts.append("</mark>")
    return Markup("".join(parts))


def plain_excerpt(comment: Comment) -> Markup:
    """The start of the comment's text, escaped, when nothing was searched for."""
    source = comment.text.replace(START, "").replace(STOP, "")
    if len(source) > EXCERPT_CHARS:
        source = source[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return Markup(escape(source))
