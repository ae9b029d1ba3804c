"""Signed-in readers in a real browser: the page hands the widget the magazine's token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from engagement.models import Commenting
from tests import builders
from tests.conftest import LiveServer
from tests.e2e.sites import Site, embedding_page
from tests.e2e.widget import Widget
from tests.identity.tokens import SSO_SETTINGS, bearer, hs256

LOGIN = "https://magazine.example/login"


@pytest.fixture
def magazine() -> Iterator[Site]:
    site = Site()
    yield site
    site.stop()


@pytest.fixture
def settings(magazine: Site) -> dict[str, Any]:
    return {"ALLOWED_ORIGINS": [magazine.url], "SSO_LOGIN_URL": LOGIN, **SSO_SETTINGS}


def open_article(page: Page, magazine: Site, live_server: LiveServer, thread: str = "") -> Widget:
    url = magazine.publish("/story", embedding_page(live_server.url, "the-story", thread=thread))
    page.goto(url)
    widget = Widget(page)
    expect(widget.root.locator(":scope > .eg-form:visible, .eg-gate:visible")).to_be_visible()
    return widget


def test_the_token_in_the_page_signs_the_reader_in(
    app: Flask, page: Page, magazine: Site, live_server: LiveServer
) -> None:
    builders.article(app)
    token = hs256(name="Ines Arroyo", roles=["staff"])
    widget = open_article(page, magazine, live_server, thread=f'data-sso-token="{token}"')
    expect(widget.signed_in_as).to_contain_text("Ines Arroyo")
    expect(widget.form.get_by_label("Name (optional)")).to_have_count(0)
    expect(widget.form.get_by_label("Email (optional)")).to_have_count(0)
    widget.post("From the newsroom: thanks for reading.")
    comment = widget.comment("From the newsroom")
    expect(comment.locator(".eg-author").first).to_have_text("Ines Arroyo")
    expect(comment.locator(".eg-staff")).to_have_text("Staff")
    page.reload()  # the same token again: the session is kept, not refused as a replay
    expect(widget.signed_in_as).to_contain_text("Ines Arroyo")


def test_a_single_page_site_signs_in_and_out(
    app: Flask, page: Page, magazine: Site, live_server: LiveServer
) -> None:
    builders.article(app)
    widget = open_article(page, magazine, live_server)
    expect(widget.form.get_by_label("Name (optional)")).to_be_visible()
    widget.sign_in(hs256(name="Ada Lovelace"))
    expect(widget.signed_in_as).to_contain_text("Ada Lovelace")
    widget.sign_out()
    expect(widget.signed_in_as).to_have_count(0)
    expect(widget.form.get_by_label("Name (optional)")).to_be_visible()


def test_a_reader_edits_their_comment_from_another_device(
    app: Flask, page: Page, magazine: Site, live_server: LiveServer
) -> None:
    builders.article(app)
    phone = app.test_client()
    session = phone.post("/api/v1/sso/session", json={"token": hs256()}).json["session"]
    phone.post(
        "/api/v1/articles/the-story/comments",
        json={"text": "Written on my phone."},
        headers=bearer(session),
    )
    widget = open_article(page, magazine, live_server)
    expect(widget.comment("Written on my phone").get_by_role("button", name="Edit")).to_have_count(
        0
    )
    widget.sign_in(hs256())
    widget.edit("Written on my phone", "Written on my phone, fixed on my laptop.")
    expect(widget.comment("fixed on my laptop")).to_be_visible()


def test_a_guest_is_told_to_sign_in_and_given_the_login_link(
    app: Flask, page: Page, magazine: Site, live_server: LiveServer
) -> None:
    builders.article(app)
    builders.comment(app, text="Said before the rule.")
    builders.article(app, commenting=Commenting.SIGNED_IN)
    widget = open_article(page, magazine, live_server)
    expect(widget.gate).to_contain_text("Sign in to comment on this article.")
    reply = widget.comment("Said before the rule").get_by_role("button", name="Reply to")
    expect(reply).to_be_hidden()
    expect(widget.gate.get_by_role("link", name="Sign in")).to_have_attribute("href", LOGIN)
    expect(widget.form).to_be_hidden()
    widget.sign_in(hs256(name="Ada Lovelace"))
    expect(widget.gate).to_be_hidden()
    expect(reply).to_be_visible()
    widget.post("Signed in, so I may speak.")
    expect(widget.comment("so I may speak")).to_be_visible()


def test_a_reader_who_is_not_a_subscriber_is_told_why(
    app: Flask, page: Page, magazine: Site, live_server: LiveServer
) -> None:
    builders.article(app, commenting=Commenting.SUBSCRIBERS)
    widget = open_article(page, magazine, live_server)
    widget.sign_in(hs256(roles=[]))
    expect(widget.gate).to_contain_text("Only subscribers can comment on this article.")
    expect(widget.gate.get_by_role("link")).to_have_count(0)


def test_a_page_rendered_for_a_logged_out_reader_ends_the_session(
    app: Flask, page: Page, magazine: Site, live_server: LiveServer
) -> None:
    builders.article(app)
    token = hs256(name="Ada Lovelace")
    widget = open_article(page, magazine, live_server, thread=f'data-sso-token="{token}"')
    expect(widget.signed_in_as).to_contain_text("Ada Lovelace")
    url = magazine.publish(
        "/after-logout", embedding_page(live_server.url, "the-story", thread='data-sso-token=""')
    )
    page.goto(url)
    expect(widget.form.get_by_label("Name (optional)")).to_be_visible()
    expect(widget.signed_in_as).to_have_count(0)
