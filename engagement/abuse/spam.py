"""Spam screening of a new comment: signals, each with a weight, summed into a score.

The score decides where the comment goes: at ``ENGAGEMENT_SPAM_THRESHOLD`` or more it is filed
as spam, at ``ENGAGEMENT_SPAM_PENDING_THRESHOLD`` or more it waits for a moderator, below that
the moderation mode decides as for anyone. Every signal that fired is kept on the comment as a
reason a moderator can read, such as ``links: 5 links, more than 2 (+3)``. The poster is
answered the same way whatever the verdict, so the answer teaches a spammer nothing.

A poster under an active ban is refused as ``banned`` (``ENGAGEMENT_BAN_RESPONSE=refuse``)
or, with ``shadow``, answered normally while the ban counts as a signal that files the comment
as spam. The site's settings come in as ``Settings``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engagement.abuse import bans
from engagement.config import ConfigError
from engagement.models import Ban, Comment, digest_of, utcnow
from engagement.refusals import NotAllowed

# How much each signal adds to the score. With the default thresholds (3: pending, 10: spam)
# any one signal holds a comment for a moderator, and a honeypot, a ban or two blocklisted
# terms file it as spam.
WEIGHTS: Mapping[str, int] = {
    "honeypot": 10,
    "banned": 10,
    "blocklist": 5,
    "duplicate_site": 5,
    "duplicate_visitor": 3,
    "links": 3,
}
# Short texts ("Thanks!", "+1", "Great piece") are repeated by honest readers all the time.
DUPLICATE_MIN_CHARS = 30
# A scheme or a bare www. host: one link in Markdown ([a](https://b)) counts once.
_LINK = re.compile(r"https?://|(?<![\w./@])www\.", re.IGNORECASE)
EXTENSION = "engagement.blocklist"
# The comment body field the widget renders out of sight; a comment field people never fill.
HONEYPOT_FIELD = "url"


class Verdict(enum.StrEnum):
    PUBLISH = "publish"  # nothing suspicious: the moderation mode decides
    PENDING = "pending"
    SPAM = "spam"


@dataclass(frozen=True)
class Signal:
    code: str
    detail: str

    @property
    def weight(self) -> int:
        return WEIGHTS[self.code]

    @property
    def reason(self) -> str:
        """The signal as a moderator reads it: ``code: detail (+weight)``."""
        return f"{self.code}: {self.detail} (+{self.weight})"


@dataclass(frozen=True)
class Screening:
    signals: tuple[Signal, ...]
    verdict: Verdict

    @property
    def score(self) -> int:
        return sum(signal.weight for signal in self.signals)

    @property
    def reasons(self) -> list[str] | None:
        """What to store in ``Comment.spam_reasons``: None when nothing fired."""
        return [signal.reason for signal in self.signals] or None


@dataclass(frozen=True)
class Post:
    """What screening reads of a new comment and its poster."""

    text: str
    visitor: str
    author_name: str | None = None
    author_email: str | None = None
    author_website: str | None = None
    address: str | None = None
    honeypot: str | None = None


@dataclass(frozen=True)
class Term:
    """A blocklist entry: a word or phrase matched as whole words, or a regular expression."""

    label: str
    pattern: re.Pattern[str]


def term(entry: str) -> Term:
    """A blocklist entry from its written form: ``re:<regex>``, else a word or phrase."""
    if entry.startswith("re:"):
        source = entry[3:].strip()
        return Term(f"/{source}/", re.compile(source, re.IGNORECASE))
    words = r"\s+".join(re.escape(word) for word in entry.split())
    return Term(f'"{entry}"', re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE))


def load_blocklist(words: Iterable[str], path: str) -> tuple[Term, ...]:
    """The blocklist: ``words`` plus the file's lines (``#`` starts a comment line)."""
    entries = [word.strip() for word in words if word.strip()]
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"ENGAGEMENT_SPAM_BLOCKLIST_FILE={path!r}: {exc.strerror}") from None
        entries += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    terms = []
    for entry in dict.fromkeys(entries):
        try:
            terms.append(term(entry))
        except re.error as exc:
            message = f"blocklist entry {entry!r} is not a regular expression: {exc}"
            raise ConfigError(message) from None
    return tuple(terms)


def init_app(app: Flask) -> None:
    """Compile the blocklist once; a bad file or expression stops the start-up."""
    config = app.config
    app.extensions[EXTENSION] = load_blocklist(
        config["SPAM_BLOCKLIST"], config["SPAM_BLOCKLIST_FILE"]
    )


@dataclass(frozen=True, slots=True)
class Settings:
    """The site's settings the screening follows (``ENGAGEMENT_SPAM_*``, ``_BAN_RESPONSE``)."""

    blocklist: tuple[Term, ...]
    honeypot: bool
    duplicate_minutes: int  # 0: duplicates are not looked for
    max_links: int
    pending_threshold: int
    spam_threshold: int
    refuse_banned: bool  # False: a ban is a signal (``shadow``)

    @classmethod
    def from_app(cls, app: Flask) -> Settings:
        """The settings of ``app``, with the blocklist ``init_app`` compiled."""
        config = app.config
        return cls(
            blocklist=app.extensions.get(EXTENSION, ()),
            honeypot=config["SPAM_HONEYPOT"],
            duplicate_minutes=config["SPAM_DUPLICATE_MINUTES"],
            max_links=config["SPAM_MAX_LINKS"],
            pending_threshold=config["SPAM_PENDING_THRESHOLD"],
            spam_threshold=config["SPAM_THRESHOLD"],
            refuse_banned=config["BAN_RESPONSE"] == "refuse",
        )


def honeypot_value(body: Mapping[str, Any], *, settings: Settings) -> str | None:
    """What the body carries in the honeypot field (people never see it, so never fill it)."""
    value = body.get(HONEYPOT_FIELD) if settings.honeypot else None
    if value is None or value == "" or value is False:
        return None
    return str(value)[:200]


def count_links(text: str) -> int:
    """How many links the text carries, in Markdown or bare."""
    return len(_LINK.findall(text))


def _blocklisted(post: Post, terms: tuple[Term, ...]) -> list[Signal]:
    fields = [post.text, post.author_name, post.author_email, post.author_website]
    haystack = "\n".join(field for field in fields if field)
    return [Signal("blocklist", found.label) for found in terms if found.pattern.search(haystack)]


# Built once: a post runs it on every submission (the index on the digest finds the rows).
_SAME_TEXT = (
    select(Comment.visitor)
    .where(
        Comment.text_digest == bindparam("digest"),
        Comment.text == bindparam("text"),
        Comment.created_at >= bindparam("since"),
        Comment.id != bindparam("exclude"),
    )
    .limit(100)
)


def _duplicates(
    db: Session, post: Post, now: datetime, exclude: int | None, minutes: int
) -> list[Signal]:
    if not minutes or len(post.text) < DUPLICATE_MIN_CHARS:
        return []
    params = {
        "digest": digest_of(post.text),
        "text": post.text,
        "since": now - timedelta(minutes=minutes),
        "exclude": exclude or 0,  # no comment has id 0
    }
    posters = set(db.scalars(_SAME_TEXT, params))
    found = []
    if post.visitor in posters:
        found.append(Signal("duplicate_visitor", f"same text by this visitor within {minutes} min"))
    if posters - {post.visitor}:
        found.append(Signal("duplicate_site", f"same text by another visitor within {minutes} min"))
    return found


def signals(
    db: Session,
    *,
    post: Post,
    ban: Ban | None,
    now: datetime,
    exclude_comment_id: int | None,
    settings: Settings,
) -> list[Signal]:
    """Every signal the post raises, strongest evidence first."""
    found = []
    if post.honeypot:
        found.append(Signal("honeypot", "the hidden form field was filled"))
    if ban is not None:
        found.append(Signal("banned", f"{ban.kind.value} ban #{ban.id}"))
    found += _blocklisted(post, settings.blocklist)
    found += _duplicates(db, post, now, exclude_comment_id, settings.duplicate_minutes)
    links, most = count_links(post.text), settings.max_links
    if links > most:
        found.append(Signal("links", f"{links} links, more than {most}"))
    return found


def verdict(score: int, *, settings: Settings) -> Verdict:
    """Where a comment with this score goes."""
    if score >= settings.spam_threshold:
        return Verdict.SPAM
    if score >= settings.pending_threshold:
        return Verdict.PENDING
    return Verdict.PUBLISH


def screen(
    db: Session,
    *,
    post: Post,
    settings: Settings,
    now: datetime | None = None,
    exclude_comment_id: int | None = None,
) -> Screening:
    """Screen a post: ``banned`` for a banned poster (unless shadow), else a verdict.

    ``exclude_comment_id`` names the comment an edit changes, which is no duplicate of itself.
    """
    moment = now or utcnow()
    ban = bans.active_ban_for(
        db,
        email=post.author_email,
        visitor=post.visitor,
        address=post.address,
        name=post.author_name,
        now=moment,
    )
    if ban is not None and settings.refuse_banned:
        until = f" until {ban.expires_at:%Y-%m-%d %H:%M} UTC" if ban.expires_at else ""
        raise NotAllowed("banned", f"You may not comment here{until}.")
    found = signals(
        db,
        post=post,
        ban=ban,
        now=moment,
        exclude_comment_id=exclude_comment_id,
        settings=settings,
    )
    score = sum(signal.weight for signal in found)
    return Screening(tuple(found), verdict(score, settings=settings))
