"""engagement export: the document, what it never holds, and the way back in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engagement import db as database
from engagement.abuse import bans
from engagement.comments import likes, reports
from engagement.comments import service as comments
from engagement.comments.settings import Settings
from engagement.models import (
    ApiToken,
    BanKind,
    Comment,
    CommentStatus,
    DailyViews,
    ReportReason,
    Role,
    utcnow,
)
from engagement.moderation import accounts
from engagement.moderation.audit import Actor
from tests import builders
from tests.conftest import committing, empty_tables, make_app
from tests.portability.sources import run
from tests.portability.threads import thread

# Every test here: the command line and a second app read what the test wrote.
pytestmark = pytest.mark.commits

SETUP = Actor(name="setup")


def exported(app: Flask, tmp_path: Path) -> dict[str, Any]:
    result = run(app, tmp_path, "export")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def add_daily_views(app: Flask, key: str, views: dict[date, int]) -> None:
    with app.app_context():
        db = database.session()
        article = builders.articles.get(db, key=key)
        assert article is not None
        db.add_all(DailyViews(article_id=article.id, day=d, views=n) for d, n in views.items())
        article.view_count = sum(views.values())
        db.commit()


def a_magazine(app: Flask) -> None:
    """Two stories: replies, a deleted comment with an answer, spam, pending, a pin, likes, a
    report, views per day, and a ban."""
    builders.article(app, "my-story", title="My story", url="https://magazine.example/my-story")
    builders.article(app, "other-story", title="Other")
    first, _ = builders.comment(app, "my-story", "First *post*", email="ada@example.org")
    reply, _ = builders.comment(app, "my-story", "A reply", parent_id=first, visitor="visitor-2")
    builders.comment(app, "my-story", "Deeper", parent_id=reply, visitor="visitor-3")
    gone, _ = builders.comment(app, "my-story", "Regretted", visitor="visitor-4")
    builders.comment(app, "my-story", "Answer to it", parent_id=gone, visitor="visitor-5")
    builders.comment(app, "my-story", "Buy now", status=CommentStatus.SPAM, visitor="visitor-6")
    builders.comment(app, "other-story", "Held", status=CommentStatus.PENDING)
    builders.pin(app, reply)
    with app.app_context():
        db = database.session()
        deleted = comments.get(db, comment_id=gone)
        liked = comments.get(db, comment_id=first)
        assert deleted is not None and liked is not None
        comments.delete(db, comment=deleted)
        likes.like(db, comment=liked, visitor="visitor-9")
        reports.report(
            db,
            comment=liked,
            visitor="visitor-8",
            reason=ReportReason.OFF_TOPIC,
            hide_after=Settings.from_app(app).hide_after_reports,
        )
        bans.ban(db, kind=BanKind.EMAIL, value="troll@example.org", reason="abuse")
        db.commit()
    today = utcnow().date()
    add_daily_views(app, "my-story", {today - timedelta(days=1): 30, today: 12})


@contextmanager
def fresh_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """Another process of the service on the same database: nothing cached."""
    other = make_app(committing(app).config["DATABASE_URL"], tmp_path / "other")
    yield other
    other.extensions["engagement.engine"].dispose()
    other.extensions["engagement.raw_engine"].dispose()


def without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ("id", "parent_id")}
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    return value


def test_the_export_is_a_versioned_document_of_every_article(app: Flask, tmp_path: Path) -> None:
    a_magazine(app)
    document = exported(app, tmp_path)
    assert (document["format"], document["version"]) == ("engagement-export", 1)
    assert [article["key"] for article in document["articles"]] == ["my-story", "other-story"]
    story = document["articles"][0]
    assert story["views"] == 42 and [day["views"] for day in story["daily_views"]] == [30, 12]
    assert len(story["comments"]) == 6 and story["comments"][0]["author_email"] == "ada@example.org"
    assert story["comments"][0]["reports"][0]["reason"] == "off-topic"
    assert document["bans"][0]["value"] == "troll@example.org"


def test_replies_name_their_parent_and_come_after_it(app: Flask, tmp_path: Path) -> None:
    a_magazine(app)
    story = exported(app, tmp_path)["articles"][0]
    seen: set[int] = set()
    for comment in story["comments"]:
        assert comment["parent_id"] is None or comment["parent_id"] in seen
        seen.add(comment["id"])


def test_the_export_holds_no_password_token_or_edit_secret(app: Flask, tmp_path: Path) -> None:
    a_magazine(app)
    secret = builders.api_token(app)
    with app.app_context():
        db = database.session()
        accounts.create(
            db, actor=SETUP, username="ada", password="correct horse battery", role=Role.ADMIN
        )
        db.commit()
        moderator = accounts.by_username(db, username="ada")
        assert moderator is not None
        password_hash = moderator.password_hash
        edit_hashes = [row.edit_token_hash for row in db.scalars(select(Comment))]
        token_hashes = list(db.scalars(select(ApiToken.token_hash)))
    text = run(app, tmp_path, "export").stdout
    assert password_hash not in text and "scrypt" not in text
    assert secret not in text and not any(token_hash in text for token_hash in token_hashes)
    assert not any(edit_hash and edit_hash in text for edit_hash in edit_hashes)
    assert app.config["SECRET_KEY"] not in text


def test_the_progress_bar_stays_out_of_the_json(app: Flask, tmp_path: Path) -> None:
    a_magazine(app)
    result = run(app, tmp_path, "export")
    assert "Exporting articles" in result.stderr
    json.loads(result.stdout)


def test_export_to_a_file(app: Flask, tmp_path: Path) -> None:
    a_magazine(app)
    target = tmp_path / "backup.json"
    result = run(app, tmp_path, "export", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))["articles"]) == 2


def test_export_then_import_into_an_empty_database_gives_the_same_threads_and_counters(
    app: Flask, tmp_path: Path
) -> None:
    a_magazine(app)
    with fresh_app(app, tmp_path / "before") as before:
        threads = {key: thread(before, key) for key in ("my-story", "other-story")}
    backup = tmp_path / "backup.json"
    assert run(app, tmp_path, "export", "--output", str(backup)).exit_code == 0
    empty_tables(app)

    result = run(app, tmp_path, "import", "engagement", str(backup))
    assert result.exit_code == 0, result.output
    assert "2 articles created, 7 comments imported" in result.stdout
    with fresh_app(app, tmp_path / "after") as after:
        for key, answer in threads.items():
            assert without_ids(thread(after, key)) == without_ids(answer)
    again = exported(app, tmp_path)
    assert again["articles"][0]["daily_views"] == exported_days(backup)
    assert [ban["value"] for ban in again["bans"]] == ["troll@example.org"]


def exported_days(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["articles"][0]["daily_views"]  # type: ignore[no-any-return]


def test_importing_an_export_into_the_same_database_changes_nothing(
    app: Flask, tmp_path: Path
) -> None:
    a_magazine(app)
    backup = tmp_path / "backup.json"
    run(app, tmp_path, "export", "--output", str(backup))
    before = exported(app, tmp_path)
    result = run(app, tmp_path, "import", "engagement", str(backup))
    assert "0 articles created, 0 comments imported, 7 skipped" in result.stdout
    after = exported(app, tmp_path)
    assert after["articles"] == before["articles"] and after["bans"] == before["bans"]
