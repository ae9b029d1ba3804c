"""The demo's mail catcher: ``engagement demo`` catches mail locally, the demo pages show it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.notifications.catcher import MailCatcher
from engagement.notifications.worker import Worker
from tests import builders
from tests.notifications.conftest import mail_settings, post


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    started = MailCatcher(tmp_path / "instance" / "demo-mail").start()
    yield started
    started.stop()


@pytest.fixture
def settings(catcher: MailCatcher) -> dict[str, Any]:
    # The demo pages read the mail the catcher keeps in the app's instance folder.
    return {
        **mail_settings(catcher.port),
        "DEMO": True,
        "INSTANCE_PATH": str(catcher.folder.parent),
    }


def test_caught_mail_is_listed_and_shown_on_the_demo_pages(
    app: Flask, client: FlaskClient, worker: Worker
) -> None:
    builders.article(app, title="The night ferry")
    post(client, author_email="reader@example.com", notify_replies=True)
    worker.drain()
    listing = client.get("/demo/mail/").get_data(as_text=True)
    assert "reader@example.com" in listing and "Confirm reply notifications" in listing
    name = listing.split('href="/demo/mail/')[1].split('"')[0]
    shown = client.get(f"/demo/mail/{name}").get_data(as_text=True)
    assert "/notifications/confirm/" in shown
    html = client.get(f"/demo/mail/{name}.html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "Yes, email me replies" in html.get_data(as_text=True)


def test_the_demo_article_links_to_the_caught_mail(client: FlaskClient) -> None:
    assert 'href="http://localhost/demo/mail/"' in client.get("/demo/").get_data(as_text=True)


@pytest.mark.parametrize("name", ["nothing", "1-1", "../secret_key"])
def test_a_mail_that_was_not_caught_is_404(client: FlaskClient, name: str) -> None:
    assert client.get(f"/demo/mail/{name}").status_code == 404
