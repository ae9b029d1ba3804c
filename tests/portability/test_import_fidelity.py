"""Imports keep what the source meant: closed threads, plain names, dates, erasures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engagement import db as database
from engagement.models import Article
from tests import builders
from tests.conftest import empty_tables
from tests.portability import sources
from tests.portability.sources import run
from tests.portability.threads import outline, rows, thread

# Every test here: the command line is an app of its own, on its own connections.
pytestmark = pytest.mark.commits


def imported(app: Flask, tmp_path: Path, source_format: str, path: Path) -> str:
    result = run(app, tmp_path, "import", source_format, str(path))
    assert result.exit_code == 0, result.output
    return result.stdout


def article(app: Flask, key: str) -> Article:
    with app.app_context():
        found = database.session().scalar(select(Article).where(Article.key == key))
        assert found is not None
        return found


def test_a_closed_disqus_thread_stays_closed(app: Flask, tmp_path: Path) -> None:
    path = sources.disqus_xml(tmp_path)
    path.write_text(path.read_text().replace("<isClosed>false", "<isClosed>true", 1))
    imported(app, tmp_path, "disqus", path)
    assert thread(app, "my-story")["article"]["open"] is False


def test_a_wordpress_post_closed_to_comments_stays_closed(app: Flask, tmp_path: Path) -> None:
    path = sources.wxr_xml(tmp_path)
    path.write_text(path.read_text().replace("comment_status>open<", "comment_status>closed<"))
    imported(app, tmp_path, "wxr", path)
    assert thread(app, "my-story")["article"]["open"] is False


@pytest.mark.parametrize("source_format", ["disqus", "wxr"])
def test_an_open_thread_stays_open(app: Flask, tmp_path: Path, source_format: str) -> None:
    build = sources.disqus_xml if source_format == "disqus" else sources.wxr_xml
    imported(app, tmp_path, source_format, build(tmp_path))
    assert thread(app, "my-story")["article"]["open"] is True


def test_isso_names_and_websites_are_unescaped(app: Flask, tmp_path: Path) -> None:
    escaped = (9, None, 45, 1, "Hello", "O&#x27;Brien &amp; Sons", "ob@example.org",
               "https://example.org/?a=1&amp;b=2", 0)  # fmt: skip
    imported(app, tmp_path, "isso", sources.isso_db(tmp_path, more=[escaped]))
    (row,) = [row for row in rows(app) if row.author_email == "ob@example.org"]
    assert (row.author_name, row.author_website) == (
        "O'Brien & Sons",
        "https://example.org/?a=1&b=2",
    )


GMT = "comment_date_gmt><![CDATA["
OUT_OF_RANGE = [
    ("disqus", "<createdAt>2024-05-01T10:00:00Z", "<createdAt>0001-01-01T00:30:00+01:00"),
    ("disqus", "<createdAt>2024-05-01T10:00:00Z", "<createdAt>9999-12-31T23:00:00-05:00"),
    ("disqus", "<createdAt>2024-05-01T10:00:00Z", "<createdAt>0001-01-01T00:00:00Z"),
    ("wxr", f"{GMT}2024-05-01 10:00:00", f"{GMT}0001-01-01 00:00:00"),
    ("wxr", f"{GMT}2024-05-01 10:00:00", f"{GMT}9999-12-31 23:59:59"),
]  # fmt: skip


@pytest.mark.parametrize(("source_format", "old", "new"), OUT_OF_RANGE)
def test_a_date_out_of_range_is_refused_with_its_place(
    app: Flask, tmp_path: Path, source_format: str, old: str, new: str
) -> None:
    build = sources.disqus_xml if source_format == "disqus" else sources.wxr_xml
    path = build(tmp_path)
    path.write_text(path.read_text().replace(old, new, 1))
    result = run(app, tmp_path, "import", source_format, str(path))
    assert result.exit_code == 1, result.output
    assert "is out of range (dates from 1970-01-01 to 9998-12-31 UTC)" in result.stderr
    assert "nothing was imported" in result.stderr and "Traceback" not in result.output
    assert rows(app) == []


@pytest.mark.parametrize("created", [-62135596800.0, 1e15, float("inf")])
def test_an_isso_timestamp_out_of_range_is_refused(
    app: Flask, tmp_path: Path, created: float
) -> None:
    path = sources.isso_db(tmp_path)
    connection = sources.sqlite3.connect(path)
    connection.execute("UPDATE comments SET created = ? WHERE id = 3", (created,))
    connection.commit()
    connection.close()
    result = run(app, tmp_path, "import", "isso", str(path))
    assert result.exit_code == 1 and "comment 3:" in result.stderr, result.output
    assert "nothing was imported" in result.stderr and rows(app) == []


def test_an_articles_registration_time_survives_export_and_import(
    app: Flask, tmp_path: Path
) -> None:
    builders.article(app, "my-story", title="My story")
    registered = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    with app.app_context():
        db = database.session()
        db.get_one(Article, article(app, "my-story").id).created_at = registered
        db.commit()
    backup = tmp_path / "backup.json"
    assert run(app, tmp_path, "export", "--output", str(backup)).exit_code == 0
    empty_tables(app)
    imported(app, tmp_path, "engagement", backup)
    assert article(app, "my-story").created_at == registered


def erase(app: Flask, tmp_path: Path, email: str) -> None:
    result = run(app, tmp_path, "commenter", "erase", email, "--yes")
    assert result.exit_code == 0, result.output


def test_erasures_move_with_the_export_and_keep_old_files_out(app: Flask, tmp_path: Path) -> None:
    disqus = sources.disqus_xml(tmp_path)
    imported(app, tmp_path, "disqus", disqus)
    erase(app, tmp_path, "ada@example.org")
    backup = tmp_path / "backup.json"
    assert run(app, tmp_path, "export", "--output", str(backup)).exit_code == 0
    empty_tables(app)  # the installation the export moves to

    assert "1 erased commenters kept out from now on" in imported(
        app, tmp_path, "engagement", backup
    )
    before = outline(app, "my-story")
    again = imported(app, tmp_path, "disqus", disqus)
    assert "0 comments imported" in again and "2 of erased commenters" in again
    assert outline(app, "my-story") == before
    assert all(row.author_email != "ada@example.org" for row in rows(app))


def test_an_export_whose_erasures_were_made_under_another_key_is_refused(
    app: Flask, tmp_path: Path
) -> None:
    imported(app, tmp_path, "disqus", sources.disqus_xml(tmp_path))
    erase(app, tmp_path, "ada@example.org")
    backup = tmp_path / "backup.json"
    assert run(app, tmp_path, "export", "--output", str(backup)).exit_code == 0
    empty_tables(app)

    other_key = "another-secret-key-9876543210"
    result = run(app, tmp_path, "import", "engagement", str(backup), secret=other_key)
    assert result.exit_code == 1
    assert "erased under another ENGAGEMENT_SECRET_KEY" in result.stderr
    assert "nothing was imported" in result.stderr and rows(app) == []


def test_reimporting_an_export_records_its_erasures_once(app: Flask, tmp_path: Path) -> None:
    imported(app, tmp_path, "disqus", sources.disqus_xml(tmp_path))
    erase(app, tmp_path, "ada@example.org")
    backup = tmp_path / "backup.json"
    assert run(app, tmp_path, "export", "--output", str(backup)).exit_code == 0
    output = imported(app, tmp_path, "engagement", backup)
    assert "erased commenters kept out" not in output
