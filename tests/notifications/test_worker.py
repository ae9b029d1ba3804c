"""``engagement worker`` as operators run it: separate processes, several at once on PostgreSQL,
killed in the middle of a batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from engagement import db as database
from engagement.articles import service as articles
from engagement.comments import posting
from engagement.comments.inputs import NewComment
from engagement.comments.settings import Settings
from engagement.notifications import events, webhooks
from tests.conftest import TEST_SECRET, committing
from tests.notifications.conftest import Receiver

pytestmark = pytest.mark.timeout(240)


def post_comments(app: Flask, count: int) -> None:
    """``count`` comments posted through the comments service, each with its event."""
    with app.app_context():
        db = database.session()
        article = articles.get_or_create(db, key="the-story")
        for index in range(count):
            new = NewComment(
                text=f"comment {index}",
                author_name=None,
                author_email=None,
                author_website=None,
                parent_id=None,
            )
            poster = posting.Poster(visitor=f"visitor-{index}")
            settings = Settings.from_app(app)
            draft = posting.prepare(db, article=article, new=new, poster=poster, settings=settings)
            posting.save(db, draft)
        db.commit()


def register(app: Flask, url: str) -> None:
    with app.app_context():
        db = database.session()
        webhooks.create(db, url=url, events=[events.COMMENT_CREATED])
        db.commit()


def environment(app: Flask, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENGAGEMENT_DATABASE_URL": committing(app).config["DATABASE_URL"],
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_AUTO_MIGRATE": "0",
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "ENGAGEMENT_SMTP_HOST": "",
    }


@pytest.fixture
def start_worker(app: Flask, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*options: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-c", "from engagement.cli import main; main()", "worker", *options],
            env=environment(app, tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def wait_for(receiver: Receiver, count: int, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len(set(receiver.ids())) < count and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """These tests run several workers at once: PostgreSQL."""
    return postgres_url


@pytest.mark.postgres
@pytest.mark.commits  # the workers are processes of their own
def test_two_workers_deliver_a_thousand_events_exactly_once_each(
    app: Flask, receiver: Receiver, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    register(app, receiver.url)
    post_comments(app, 1000)
    first, second = start_worker("--batch", "20"), start_worker("--batch", "20")
    wait_for(receiver, 1000, seconds=150)
    time.sleep(1.5)  # room for a duplicate to show up, were there one
    ids = Counter(receiver.ids())
    assert len(ids) == 1000
    assert ids.most_common(1)[0][1] == 1
    assert first.poll() is None and second.poll() is None  # both were running throughout


@pytest.mark.postgres
@pytest.mark.commits  # the workers are processes of their own
def test_a_worker_killed_mid_batch_loses_nothing(
    app: Flask, receiver: Receiver, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    register(app, receiver.url)
    post_comments(app, 200)
    receiver.delay = 0.02
    victim = start_worker("--batch", "50", "--lease-seconds", "3")
    wait_for(receiver, 30, seconds=60)
    victim.kill()  # SIGKILL: no chance to finish or release anything
    victim.wait()
    delivered_before = len(set(receiver.ids()))
    assert delivered_before < 200
    start_worker("--batch", "50", "--lease-seconds", "3")
    wait_for(receiver, 200, seconds=90)
    ids = Counter(receiver.ids())
    assert len(ids) == 200
    # At least once: only the delivery in flight at the kill may arrive twice (same webhook-id).
    assert sum(count - 1 for count in ids.values()) <= 1


def test_the_worker_command_drains_the_outbox_on_sqlite(
    sqlite_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    from tests.conftest import empty_tables, make_app

    app = make_app(sqlite_url, tmp_path, WEBHOOK_ALLOWED_NETWORKS=["127.0.0.0/8"])
    try:
        register(app, receiver.url)
        post_comments(app, 5)
        done = subprocess.run(
            [sys.executable, "-c", "from engagement.cli import main; main()", "worker", "--once"],
            env=environment(app, tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert len(set(receiver.ids())) == 5
    finally:
        empty_tables(app)
