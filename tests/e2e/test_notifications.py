"""Notifications in a real browser: the widget's "email me" box and double opt-in, and the
admins' webhook pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook

from engagement.models import Role
from engagement.notifications.worker import Worker
from tests import builders
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.moderation_pages import ModerationPages
from tests.e2e.sites import Site, embedding_page
from tests.e2e.widget import Widget
from tests.moderation.conftest import PASSWORD, make_moderator
from tests.notifications.conftest import (
    Clock,
    MailServer,
    Receiver,
    link_path,
    mail_settings,
    post,
)

ALICE = "alice@example.com"


@pytest.fixture
def magazine() -> Iterator[Site]:
    site = Site()
    yield site
    site.stop()


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def mailing() -> bool:
    """Whether the service has a mail server (parametrize it)."""
    return True


@pytest.fixture
def settings(magazine: Site, smtp: MailServer, mailing: bool) -> dict[str, Any]:
    chosen: dict[str, Any] = {"ALLOWED_ORIGINS": [magazine.url]}
    if mailing:
        chosen |= mail_settings(smtp.port)
    else:
        chosen |= {"WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    return chosen


@pytest.fixture
def worker(app: Flask) -> Worker:
    return Worker(app, clock=Clock())


def test_a_reader_asks_for_reply_mails_and_confirms_the_address(
    page: Page,
    app: Flask,
    magazine: Site,
    live_server: LiveServer,
    smtp: MailServer,
    worker: Worker,
) -> None:
    builders.article(app, key="the-story", title="The night ferry")
    page.goto(magazine.publish("/story", embedding_page(live_server.url, "the-story")))
    widget = Widget(page)
    expect(widget.counter).not_to_be_empty()
    expect(widget.notify_replies).to_be_hidden()
    widget.write("Who wrote this?", name="Alice", email=ALICE)
    expect(widget.notify_replies).to_be_visible()
    widget.notify_replies.check()
    widget.form.get_by_role("button", name="Post comment").click()
    expect(widget.status).to_contain_text("We will email you when someone replies")
    expect(widget.notify_replies).not_to_be_checked()
    worker.drain()
    [confirmation] = smtp.inbox.to(ALICE)
    page.goto(live_server.url + link_path(confirmation, "confirm"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#message")).to_have_text(
        f"Done: {ALICE} will be emailed when someone replies to its comments. "
        "Every mail has a link to stop them."
    )
    screenshot(page, "reply-mails-confirmed")


def test_the_spanish_widget_offers_reply_mails_in_spanish(
    page: Page,
    app: Flask,
    magazine: Site,
    live_server: LiveServer,
    smtp: MailServer,
    worker: Worker,
) -> None:
    builders.article(app, key="la-historia", title="El último tranvía")
    page.goto(
        magazine.publish("/historia", embedding_page(live_server.url, "la-historia", lang="es"))
    )
    widget = Widget(page)
    widget.form.get_by_label("Tu comentario").fill("¿Quién lo escribió?")
    widget.form.get_by_label("Correo electrónico (opcional)").fill(ALICE)
    widget.form.get_by_label("Avisadme por correo cuando alguien responda").check()
    widget.form.get_by_role("button", name="Publicar comentario").click()
    expect(widget.status).to_contain_text("Te avisaremos por correo")
    worker.drain()
    assert smtp.inbox.to(ALICE)[0]["Subject"] == "Confirma los avisos de respuestas"


@pytest.mark.parametrize("mailing", [False], ids=["no-smtp"])
def test_without_a_mail_server_the_widget_offers_no_reply_mails(
    page: Page, app: Flask, magazine: Site, live_server: LiveServer
) -> None:
    builders.article(app, key="the-story")
    page.goto(magazine.publish("/story", embedding_page(live_server.url, "the-story")))
    widget = Widget(page)
    expect(widget.counter).not_to_be_empty()
    widget.write("Hello.", email=ALICE)
    expect(widget.notify_replies).to_be_hidden()


@pytest.mark.parametrize("mailing", [False], ids=["no-smtp"])
def test_an_admin_registers_a_webhook_and_replays_a_delivery(
    page: Page, app: Flask, live_server: LiveServer, receiver: Receiver, worker: Worker
) -> None:
    make_moderator(app, "ada", role=Role.ADMIN)
    builders.article(app)
    pages = ModerationPages(page, live_server.url)
    pages.watch_policy_violations()
    pages.log_in("ada", PASSWORD)
    pages.open("Webhooks")
    pages.add_webhook(receiver.url, events=["comment.created"])
    expect(pages.new_secret).to_contain_text("whsec_")
    secret = pages.new_secret.inner_text()
    screenshot(page, "webhook-secret-shown-once")
    post(app.test_client())
    worker.drain()
    pages.open("Webhooks")
    page.get_by_role("link", name=receiver.url).click()
    expect(pages.new_secret).to_have_count(0)
    row = pages.delivery("comment.created")
    expect(row.locator(".status")).to_have_text("delivered")
    row.get_by_role("button", name="Replay").click()
    expect(pages.flash).to_contain_text("will be sent again")
    worker.drain()
    page.reload()
    expect(pages.delivery("comment.created")).to_have_count(2)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(secret).verify(second.body, second.headers)
    assert pages.policy_violations() == []
    screenshot(page, "webhook-delivery-log")
