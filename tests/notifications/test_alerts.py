"""Moderator alerts: chosen on the moderator's own page, off by default, at most one per
interval, summarising what waits with links to the queues."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.articles import service as articles
from engagement.models import ModerationMode
from engagement.notifications.worker import Worker
from tests import builders
from tests.moderation.conftest import log_in, make_moderator, post_form
from tests.notifications.conftest import Clock, MailServer, post, text_of

MIA = "mia@magazine.example"


@pytest.fixture(autouse=True)
def pre_moderated(app: Flask) -> None:
    builders.article(app, moderation=ModerationMode.PRE)


@pytest.fixture
def mia(app: Flask, client: FlaskClient) -> FlaskClient:
    make_moderator(app, "mia")
    assert log_in(client).status_code == 303
    return client


def turn_on(client: FlaskClient, address: str = MIA) -> None:
    answer = post_form(client, "/moderation/alerts", email=address, enabled="on")
    assert answer.status_code == 303


def test_alerts_are_off_until_a_moderator_turns_them_on(
    mia: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    page = mia.get("/moderation/alerts").get_data(as_text=True)
    box = page.split('id="alert-enabled"')[1].split(">")[0]
    assert "checked" not in box
    post(mia, reader="reader")
    worker.drain()
    assert smtp.inbox.mails == []


def test_a_waiting_comment_sends_a_summary_with_links_to_the_queues(
    mia: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    turn_on(mia)
    post(mia, reader="reader")
    worker.drain()
    [alert] = smtp.inbox.to(MIA)
    assert alert["Subject"] == "Comments waiting: 1 pending"
    assert "https://comments.example/moderation/queues/pending" in text_of(alert)


def test_at_most_one_alert_per_interval(
    mia: FlaskClient, worker: Worker, smtp: MailServer, clock: Clock
) -> None:
    turn_on(mia)
    post(mia, reader="reader-1")
    worker.drain()
    post(mia, reader="reader-2", text="Another.")
    post(mia, reader="reader-3", text="And another.")
    worker.drain()
    assert len(smtp.inbox.to(MIA)) == 1
    clock.advance(minutes=31)
    worker.drain()
    alerts = smtp.inbox.to(MIA)
    assert len(alerts) == 2 and alerts[1]["Subject"] == "Comments waiting: 3 pending"


def test_nothing_is_sent_when_the_queue_was_cleared_meanwhile(
    app: Flask, mia: FlaskClient, worker: Worker, smtp: MailServer, clock: Clock
) -> None:
    turn_on(mia)
    first = post(mia, reader="reader-1").json["comment"]["id"]
    worker.drain()
    second = post(mia, reader="reader-2", text="Another.").json["comment"]["id"]
    worker.drain()
    for comment_id in (first, second):
        post_form(mia, f"/moderation/comments/{comment_id}/approve")
    clock.advance(minutes=31)
    worker.drain()
    assert len(smtp.inbox.to(MIA)) == 1


def test_turning_alerts_on_needs_an_address(mia: FlaskClient) -> None:
    post_form(mia, "/moderation/alerts", email="", enabled="on")
    page = mia.get("/moderation/alerts").get_data(as_text=True)
    assert "Give the address the alerts should go to." in page


def test_a_moderator_turns_alerts_off_again(
    mia: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    turn_on(mia)
    post_form(mia, "/moderation/alerts", email=MIA)
    post(mia, reader="reader")
    worker.drain()
    assert smtp.inbox.mails == []


def test_the_alert_settings_need_a_login(client: FlaskClient) -> None:
    assert client.get("/moderation/alerts").status_code == 401


def test_articles_service_closing_a_thread_is_not_an_alert(
    app: Flask, mia: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    turn_on(mia)
    with app.app_context():
        from engagement import db as database

        articles.put(database.session(), key="the-story", comments_open=False)
        database.session().commit()
    worker.drain()
    assert smtp.inbox.mails == []
