"""Importing Disqus, WordPress and Isso files: threads, statuses, duplicates, bad files."""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from engagement import db as database
from engagement.models import Article, Comment, CommentStatus, ModerationAction
from engagement.sanitize import ALLOWED_TAGS
from tests import builders
from tests.portability import sources
from tests.portability.sources import HOSTILE, run
from tests.portability.threads import outline, rows, thread, visible_in

# Every test here: the command line is an app of its own, on its own connections.
pytestmark = pytest.mark.commits

Build = Callable[..., Path]
FORMATS: dict[str, tuple[Build, str]] = {
    "disqus": (sources.disqus_xml, "extra_message"),
    "wxr": (sources.wxr_xml, "extra_content"),
    "isso": (sources.isso_db, "extra_text"),
}
ALL = pytest.mark.parametrize("source_format", sorted(FORMATS))


def source_file(source_format: str, tmp_path: Path, extra: str | None = None) -> Path:
    build, extra_name = FORMATS[source_format]
    return build(tmp_path, **({extra_name: extra} if extra is not None else {}))


def imported(app: Flask, tmp_path: Path, source_format: str, path: Path) -> str:
    result = run(app, tmp_path, "import", source_format, str(path))
    assert result.exit_code == 0, result.output
    return result.stdout


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        db = database.session()
        return (
            db.scalar(select(func.count()).select_from(Article)) or 0,
            db.scalar(select(func.count()).select_from(Comment)) or 0,
            db.scalar(select(func.count()).select_from(ModerationAction)) or 0,
        )


@ALL
def test_the_thread_is_imported_with_its_replies_nested(
    app: Flask, tmp_path: Path, source_format: str
) -> None:
    imported(app, tmp_path, source_format, source_file(source_format, tmp_path))
    second = "Agreed, see this.\nSecond line." if source_format == "wxr" else "Agreed, see this."
    assert outline(app, "my-story") == [
        ("First! A fine story.", [(second, [("Thanks Bob", [])])]),
        ("(deleted)", [("Don't feed the trolls", [])]),
    ]


@ALL
def test_comment_count_equals_what_the_thread_shows(
    app: Flask, tmp_path: Path, source_format: str
) -> None:
    imported(app, tmp_path, source_format, source_file(source_format, tmp_path))
    answer = thread(app, "my-story")
    assert answer["article"]["comments"] == visible_in(answer["comments"]) == 4
    assert builders.counters(app, "my-story") == (4, 0)


@pytest.mark.parametrize(
    ("source_format", "expected"),
    [
        ("disqus", {"Cheap pills": ("spam", False), "Something rude": ("approved", True)}),
        (
            "wxr",
            {
                "Cheap pills": ("spam", False),
                "Something rude": ("rejected", True),
                "Is this true?": ("pending", False),
            },
        ),
        ("isso", {"": ("approved", True), "Is this true?": ("pending", False)}),
    ],
)
def test_statuses_are_mapped(
    app: Flask, tmp_path: Path, source_format: str, expected: dict[str, tuple[str, bool]]
) -> None:
    imported(app, tmp_path, source_format, source_file(source_format, tmp_path))
    stored = {row.text: (row.status.value, row.deleted_at is not None) for row in rows(app)}
    assert {text: stored[text] for text in expected} == expected
    assert stored["Thanks Bob"] == ("approved", False)


@ALL
def test_timestamps_are_kept(app: Flask, tmp_path: Path, source_format: str) -> None:
    imported(app, tmp_path, source_format, source_file(source_format, tmp_path))
    created = {row.text: row.created_at for row in rows(app)}
    assert created["Thanks Bob"] == datetime(2024, 5, 1, 10, 10, tzinfo=UTC)


@ALL
def test_importing_the_same_file_again_changes_nothing(
    app: Flask, tmp_path: Path, source_format: str
) -> None:
    path = source_file(source_format, tmp_path)
    imported(app, tmp_path, source_format, path)
    before = (outline(app, "my-story"), builders.counters(app, "my-story"), counts(app)[:2])
    again = imported(app, tmp_path, source_format, path)
    assert "0 articles created, 0 comments imported" in again
    after = (outline(app, "my-story"), builders.counters(app, "my-story"), counts(app)[:2])
    assert after == before


def test_identical_comments_of_one_file_are_each_stored_with_their_own_replies(
    app: Flask, tmp_path: Path
) -> None:
    twins = [
        (8, None, 50, 1, "+1", "Dan", "dan@example.org", None, 0),
        (9, None, 50, 1, "+1", "Eve", "eve@example.org", None, 0),
        (10, 9, 55, 1, "Me too, Eve", "Fay", None, None, 0),
    ]
    path = sources.isso_db(tmp_path, more=twins)
    imported(app, tmp_path, "isso", path)
    assert outline(app, "my-story")[-2:] == [("+1", []), ("+1", [("Me too, Eve", [])])]
    by_text = {row.text: row for row in rows(app) if row.text != "+1"}
    (eve,) = [row for row in rows(app) if row.author_name == "Eve"]
    assert by_text["Me too, Eve"].parent_id == eve.id
    before = (outline(app, "my-story"), builders.counters(app, "my-story"), counts(app)[:2])
    assert "0 comments imported" in imported(app, tmp_path, "isso", path)
    assert (outline(app, "my-story"), builders.counters(app, "my-story"), counts(app)[:2]) == before


def test_an_old_file_does_not_bring_back_an_erased_commenter(app: Flask, tmp_path: Path) -> None:
    path = sources.isso_db(tmp_path)
    imported(app, tmp_path, "isso", path)
    erased = run(app, tmp_path, "commenter", "erase", "ada@example.org", "--yes")
    assert erased.exit_code == 0, erased.output
    before = (outline(app, "my-story"), builders.counters(app, "my-story"), counts(app)[:2])
    again = imported(app, tmp_path, "isso", path)
    assert "0 comments imported" in again and "2 of erased commenters" in again
    assert (outline(app, "my-story"), builders.counters(app, "my-story"), counts(app)[:2]) == before
    assert all(row.author_email != "ada@example.org" for row in rows(app))


@ALL
def test_a_new_comment_in_a_later_file_is_added_to_the_thread(
    app: Flask, tmp_path: Path, source_format: str
) -> None:
    imported(app, tmp_path, source_format, source_file(source_format, tmp_path))
    (tmp_path / "later").mkdir()
    later = source_file(source_format, tmp_path / "later", extra="Late to the party")
    output = imported(app, tmp_path, source_format, later)
    assert "0 articles created, 1 comments imported" in output
    assert outline(app, "my-story")[-1] == ("Late to the party", [])
    assert builders.counters(app, "my-story") == (5, 0)


@ALL
def test_the_import_reports_what_it_did(app: Flask, tmp_path: Path, source_format: str) -> None:
    output = imported(app, tmp_path, source_format, source_file(source_format, tmp_path))
    total = {"disqus": 6, "wxr": 7, "isso": 7}[source_format]
    assert f"1 articles created, {total} comments imported" in output


@ALL
def test_an_import_is_one_entry_of_the_audit_log(
    app: Flask, tmp_path: Path, source_format: str
) -> None:
    path = source_file(source_format, tmp_path)
    imported(app, tmp_path, source_format, path)
    with app.app_context():
        entry = database.session().scalars(select(ModerationAction)).one()
        assert (entry.actor, entry.action) == (f"cli:{getpass.getuser()}", "import")
        assert entry.reason == f"{source_format}: {path.name}"
        assert entry.after is not None and entry.after["articles_created"] == 1


@ALL
def test_unsafe_html_in_an_import_never_reaches_readers(
    app: Flask, tmp_path: Path, source_format: str
) -> None:
    imported(app, tmp_path, source_format, source_file(source_format, tmp_path, extra=HOSTILE))
    html = thread(app, "my-story")["comments"][-1]["html"]
    tags = re.findall(r"<\s*/?\s*([A-Za-z0-9]+)([^>]*)>", html)
    assert {tag for tag, _ in tags} <= ALLOWED_TAGS
    assert not any(re.search(r"\bon\w+\s*=|javascript:", attrs) for _, attrs in tags)


@ALL
def test_emails_are_stored_lower_case_and_never_shown(
    app: Flask, tmp_path: Path, source_format: str
) -> None:
    imported(app, tmp_path, source_format, source_file(source_format, tmp_path))
    emails = {row.author_email for row in rows(app)}
    assert "ada@example.org" in emails
    assert not any(email and email != email.lower() for email in emails)
    assert "example.org" not in str(thread(app, "my-story"))


@pytest.mark.parametrize(
    ("source_format", "content"),
    [
        ("disqus", '<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com"><post>'),
        ("disqus", '<?xml version="1.0"?>\n<rss><channel /></rss>\n'),
        ("wxr", '<?xml version="1.0"?>\n<rss><channel><item><title>x</title>'),
        ("wxr", "this is not XML at all"),
        ("isso", "SQLite format 3\x00 but not really"),
        ("engagement", '{"format": "engagement-export", "version": 1, "articles": [{"key": 1}]}'),
        ("engagement", '{"format": "something-else"}'),
        (
            "engagement",
            '{"format": "engagement-export", "version": 1, "articles": [{"key": "k", "comments":'
            ' [{"id": 1, "text": "x", "status": "approved", "created_at": "2024-05-01T10:00:00Z",'
            f' "visitor": "{"f" * 65}"}}]}}]}}',
        ),
    ],
)
def test_a_malformed_file_exits_non_zero_and_imports_nothing(
    app: Flask, tmp_path: Path, source_format: str, content: str
) -> None:
    path = tmp_path / "broken"
    path.write_text(content, encoding="utf-8")
    result = run(app, tmp_path, "import", source_format, str(path))
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr and str(path) in result.stderr
    assert counts(app) == (0, 0, 0)


def test_a_file_failing_halfway_imports_nothing(app: Flask, tmp_path: Path) -> None:
    path = sources.disqus_xml(tmp_path)
    # The story's posts are complete, then a post names a thread the file does not have.
    stray = '<post dsq:id="99"><createdAt>2024-05-01T10:00:00Z</createdAt><thread dsq:id="404" />'
    text = path.read_text().replace("</disqus>", f"{stray}</post></disqus>")
    path.write_text(text)
    result = run(app, tmp_path, "import", "disqus", str(path))
    assert result.exit_code == 1 and "no thread with dsq:id 404" in result.stderr
    assert counts(app) == (0, 0, 0)


def test_an_xml_file_with_a_document_type_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "entities.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa">]>\n'
        '<disqus xmlns="http://disqus.com">&a;</disqus>\n'
    )
    result = run(app, tmp_path, "import", "disqus", str(path))
    assert result.exit_code == 1 and "nothing was imported" in result.stderr
    assert counts(app) == (0, 0, 0)


def test_a_disqus_key_comes_from_the_identifier_when_it_is_a_valid_key(
    app: Flask, tmp_path: Path
) -> None:
    imported(app, tmp_path, "disqus", sources.disqus_xml(tmp_path, identifier="story-2024"))
    assert len(outline(app, "story-2024")) == 2


def test_key_from_url_uses_the_last_segment_of_the_link(app: Flask, tmp_path: Path) -> None:
    path = sources.disqus_xml(tmp_path, identifier="story-2024")
    result = run(app, tmp_path, "import", "disqus", str(path), "--key-from", "url")
    assert result.exit_code == 0, result.output
    assert len(outline(app, "my-story")) == 2


def test_a_thread_without_a_valid_key_is_skipped_and_named(app: Flask, tmp_path: Path) -> None:
    path = sources.wxr_xml(tmp_path, slug="my story!")
    result = run(app, tmp_path, "import", "wxr", str(path), "--key-from", "identifier")
    assert result.exit_code == 0, result.output
    assert "skipped thread my story!" in result.stderr
    assert "0 articles created, 0 comments imported, 8 skipped" in result.stdout
    assert counts(app)[:2] == (0, 0)


def test_wordpress_pingbacks_are_not_comments(app: Flask, tmp_path: Path) -> None:
    output = imported(app, tmp_path, "wxr", sources.wxr_xml(tmp_path))
    assert "1 pingbacks or trackbacks" in output
    assert all("linked from elsewhere" not in row.text for row in rows(app))


def test_a_post_with_only_pingbacks_creates_no_article(app: Flask, tmp_path: Path) -> None:
    path = sources.wxr_xml(tmp_path)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("<wp:comment>"), text.rindex("</wp:comment>") + len("</wp:comment>")
    pingback = text[start:end].split("<wp:comment>")[-1]
    path.write_text(text[:start] + "<wp:comment>" + pingback + text[end:], encoding="utf-8")
    output = imported(app, tmp_path, "wxr", path)
    assert "0 articles created, 0 comments imported, 1 skipped" in output
    assert counts(app)[:2] == (0, 0)


def test_an_existing_article_keeps_its_title_and_gets_the_comments(
    app: Flask, tmp_path: Path
) -> None:
    builders.article(app, "my-story", title="Our title")
    builders.comment(app, "my-story", "Already here")
    output = imported(app, tmp_path, "isso", sources.isso_db(tmp_path))
    assert "0 articles created, 7 comments imported" in output
    answer = thread(app, "my-story")
    assert answer["article"]["title"] == "Our title"
    assert answer["article"]["comments"] == visible_in(answer["comments"]) == 5


def test_imported_comments_read_as_their_source_wrote_them(app: Flask, tmp_path: Path) -> None:
    imported(app, tmp_path, "disqus", sources.disqus_xml(tmp_path))
    first = thread(app, "my-story")["comments"][0]
    assert first["html"] == "<p>First! A <strong>fine</strong> story.</p>"
    assert first["author_name"] == "Ada"
    reply = first["replies"][0]
    assert '<a href="https://example.net/x" rel="nofollow ugc noopener">this</a>' in reply["html"]


def test_the_progress_bar_goes_to_standard_error(app: Flask, tmp_path: Path) -> None:
    result = run(app, tmp_path, "import", "isso", str(sources.isso_db(tmp_path)))
    assert "Importing threads" in result.stderr and "Importing" not in result.stdout
    assert CommentStatus.APPROVED.value not in result.stdout
