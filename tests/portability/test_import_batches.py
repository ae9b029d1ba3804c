"""A long import is stored a batch at a time: the live service keeps writing meanwhile, and an
import stopped halfway completes when run again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from engagement import db as database
from engagement.models import Comment
from engagement.moderation.audit import Actor
from engagement.portability import importer
from engagement.portability.staging import Stage
from tests import builders
from tests.conftest import ALLOWED_ORIGIN, committing, make_app
from tests.portability import sources
from tests.portability.sources import run
from tests.portability.threads import rows

# More comments than one batch holds, with replies between batches.
MANY = importer.BATCH * 2 + 50  # besides the story's own 7


def long_thread(tmp_path: Path) -> Path:
    more: list[tuple[Any, ...]] = [
        (100 + n, (100 + n - 1) if n % 3 else None, 41, 1, f"Comment {n}", f"Reader {n}",
         f"reader{n}@example.org", None, 0)
        for n in range(MANY)
    ]  # fmt: skip
    return sources.isso_db(tmp_path, more=more)


def stored_count(app: Flask) -> int:
    with app.app_context():
        return database.session().scalar(select(func.count()).select_from(Comment)) or 0


def batches(app: Flask, stage: Stage) -> Iterator[None]:
    """The import's batches, each committed as the command commits it."""
    db = database.session()
    summary = importer.Summary()
    with database.writing():
        for _ in importer.store(
            db, stage, summary, origin="isso", file_name="comments.db", actor=Actor.command_line()
        ):
            db.commit()
            yield


def test_no_batch_stores_more_than_a_batch_of_comments(app: Flask, tmp_path: Path) -> None:
    with Stage() as stage, app.app_context():
        importer.read("isso", long_thread(tmp_path), stage)
        seen = [stored_count(app) for _ in batches(app, stage)]
    steps = [later - earlier for earlier, later in zip([0, *seen], seen, strict=False)]
    assert max(steps) <= importer.BATCH and seen[-1] == MANY + 7
    assert len([step for step in steps if step]) >= 3


@pytest.mark.commits
def test_the_service_records_views_and_comments_while_an_import_is_halfway(
    app: Flask, tmp_path: Path
) -> None:
    builders.article(app, "other-story")
    live = make_app(committing(app).config["DATABASE_URL"], tmp_path / "live")
    reader = live.test_client()
    with Stage() as stage, app.app_context():
        importer.read("isso", long_thread(tmp_path), stage)
        steps = batches(app, stage)
        for _ in range(3):
            next(steps)
        assert 0 < stored_count(app) < MANY
        view = reader.post("/api/v1/articles/other-story/views", headers={"Origin": ALLOWED_ORIGIN})
        post = reader.post("/api/v1/articles/other-story/comments", json={"text": "Meanwhile"})
        assert view.status_code == 200 and view.get_json()["counted"] is True
        assert post.status_code in (201, 202)
        for _ in steps:
            pass
    live.extensions["engagement.engine"].dispose()
    live.extensions["engagement.raw_engine"].dispose()


@pytest.mark.commits
def test_an_import_stopped_halfway_completes_when_run_again(app: Flask, tmp_path: Path) -> None:
    path = long_thread(tmp_path)
    with Stage() as stage, app.app_context():
        importer.read("isso", path, stage)
        steps = batches(app, stage)
        for _ in range(3):
            next(steps)
        steps.close()  # the process stops here: what was committed stays
    halfway = stored_count(app)
    assert 0 < halfway < MANY

    result = run(app, tmp_path, "import", "isso", str(path))
    assert result.exit_code == 0, result.output
    assert f"{MANY + 7 - halfway} comments imported" in result.stdout
    assert stored_count(app) == MANY + 7
    assert builders.counters(app, "my-story")[0] == sum(row.visible for row in rows(app))
