"""Spam screening: each signal, its reason, and the verdict the score gives."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.abuse import bans, spam
from engagement.abuse.spam import Post, Verdict
from engagement.articles import service as articles
from engagement.config import ConfigError
from engagement.errors import status_of
from engagement.models import BanKind, Comment, CommentStatus, utcnow
from engagement.refusals import Refusal
from tests.conftest import make_app

VISITOR = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
ORDINARY = "I grew up near that harbour and the piece gets the smell of it exactly right."


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"SPAM_BLOCKLIST": ["casino", "cheap pills"]}


def screened(db: Session, text: str = ORDINARY, **fields: Any) -> spam.Screening:
    fields.setdefault("visitor", VISITOR)
    settings = spam.Settings.from_app(current_app)
    return spam.screen(db, post=Post(text=text, **fields), settings=settings)


def stored(db: Session, text: str, *, visitor: str, created_at: datetime | None = None) -> None:
    """A comment already in the database, as a previous post left it."""
    article = articles.get_or_create(db, key="the-story")
    db.add(
        Comment(
            article_id=article.id,
            status=CommentStatus.APPROVED,
            text=text,
            html=f"<p>{text}</p>",
            avatar="a" * 32,
            visitor=visitor,
            created_at=created_at or utcnow(),
        )
    )
    db.flush()


def test_an_ordinary_comment_raises_no_signal(db: Session) -> None:
    result = screened(db)
    assert (result.verdict, result.score, result.reasons) == (Verdict.PUBLISH, 0, None)


def test_an_ordinary_comment_with_one_link_is_not_caught(db: Session) -> None:
    text = "The council minutes say otherwise: [see p. 4](https://city.example/minutes.pdf)"
    assert screened(db, text).verdict is Verdict.PUBLISH


def test_a_filled_honeypot_files_the_comment_as_spam(db: Session) -> None:
    result = screened(db, honeypot="http://spam.example")
    assert result.verdict is Verdict.SPAM
    assert result.reasons == ["honeypot: the hidden form field was filled (+10)"]


def test_more_links_than_allowed_hold_the_comment(db: Session) -> None:
    text = "See https://a.example and www.b.example and [c](http://c.example/x)"
    result = screened(db, text)
    assert result.verdict is Verdict.PENDING
    assert result.reasons == ["links: 3 links, more than 2 (+3)"]


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no link at all", 0),
        ("[a](https://a.example)", 1),
        ("https://www.a.example", 1),
        ("www.a.example and http://b.example", 2),
        ("write to me@www.example", 0),
    ],
)
def test_links_are_counted_once_each(text: str, links: int) -> None:
    assert spam.count_links(text) == links


def test_a_blocklisted_word_holds_the_comment(db: Session) -> None:
    result = screened(db, "Best CASINO bonus in town, visit us today for the whole story")
    assert result.verdict is Verdict.PENDING
    assert result.reasons == ['blocklist: "casino" (+5)']


def test_two_blocklisted_terms_file_the_comment_as_spam(db: Session) -> None:
    result = screened(db, "Casino nights and cheap   pills, all in one place")
    assert result.verdict is Verdict.SPAM
    assert result.score == 10


def test_a_blocklisted_word_inside_another_word_is_not_caught(db: Session) -> None:
    assert screened(db, "The casinos of the riviera closed in 1939.").verdict is Verdict.PUBLISH


def test_the_blocklist_reads_the_name_and_website_too(db: Session) -> None:
    result = screened(db, author_name="Casino Royale", author_website="https://x.example")
    assert result.verdict is Verdict.PENDING


def test_the_same_text_again_from_the_same_visitor_is_held(db: Session) -> None:
    stored(db, ORDINARY, visitor=VISITOR)
    result = screened(db)
    assert result.verdict is Verdict.PENDING
    assert result.reasons == ["duplicate_visitor: same text by this visitor within 60 min (+3)"]


def test_the_same_text_from_another_visitor_is_held(db: Session) -> None:
    stored(db, ORDINARY, visitor=OTHER)
    result = screened(db)
    assert result.verdict is Verdict.PENDING
    assert result.reasons == ["duplicate_site: same text by another visitor within 60 min (+5)"]


def test_the_same_text_after_the_window_is_not_a_duplicate(db: Session) -> None:
    stored(db, ORDINARY, visitor=VISITOR, created_at=utcnow() - timedelta(minutes=61))
    assert screened(db).verdict is Verdict.PUBLISH


def test_a_short_text_repeated_is_not_a_duplicate(db: Session) -> None:
    stored(db, "Thanks, great piece!", visitor=OTHER)
    assert screened(db, "Thanks, great piece!").verdict is Verdict.PUBLISH


def test_duplicates_are_not_looked_for_when_the_window_is_zero(app: Flask, db: Session) -> None:
    app.config["SPAM_DUPLICATE_MINUTES"] = 0
    stored(db, ORDINARY, visitor=VISITOR)
    assert screened(db).verdict is Verdict.PUBLISH


def test_a_banned_poster_is_refused_with_403(db: Session) -> None:
    bans.ban(db, kind=BanKind.EMAIL, value="troll@example.com")
    with pytest.raises(Refusal) as refused:
        screened(db, author_email="troll@example.com")
    assert (status_of(refused.value), refused.value.code) == (403, "banned")


def test_a_banned_network_is_refused_with_403(db: Session) -> None:
    bans.ban(db, kind=BanKind.NETWORK, value="203.0.113.0/24")
    with pytest.raises(Refusal) as refused:
        screened(db, address="203.0.113.50")
    assert refused.value.code == "banned"


def test_a_shadow_banned_poster_is_filed_as_spam_without_refusal(app: Flask, db: Session) -> None:
    app.config["BAN_RESPONSE"] = "shadow"
    made = bans.ban(db, kind=BanKind.NAME, value="Troll")
    result = screened(db, author_name="troll")
    assert result.verdict is Verdict.SPAM
    assert result.reasons == [f"banned: name ban #{made.id} (+10)"]


def test_thresholds_come_from_the_configuration(app: Flask, db: Session) -> None:
    app.config["SPAM_PENDING_THRESHOLD"] = 6
    assert screened(db, "Casino").verdict is Verdict.PUBLISH


def test_blocklist_file_holds_words_and_regular_expressions(
    tmp_path: Path, sqlite_url: str
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("# words and patterns\nreplica watches\nre:v[i1]agra\n")
    app = make_app(sqlite_url, tmp_path, SPAM_BLOCKLIST_FILE=str(blocklist))
    with app.app_context():
        post = Post(text="Replica watches, V1AGRA", visitor=VISITOR)
        result = spam.screen(database.session(), post=post, settings=spam.Settings.from_app(app))
    assert result.reasons == ['blocklist: "replica watches" (+5)', "blocklist: /v[i1]agra/ (+5)"]


@pytest.mark.parametrize("content", [None, "re:([unclosed\n"])
def test_a_bad_blocklist_file_stops_the_start_up(
    tmp_path: Path, sqlite_url: str, content: str | None
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    if content is not None:
        blocklist.write_text(content)
    with pytest.raises(ConfigError, match=r"(?i)blocklist"):
        make_app(sqlite_url, tmp_path, SPAM_BLOCKLIST_FILE=str(blocklist))
