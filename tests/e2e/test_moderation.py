"""Moderating in a real browser: log in, clear the queue, ban, read the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from engagement import db as database
from engagement.embed.routes import DEMO_ARTICLES
from engagement.models import DailyViews, ModerationMode, Role
from tests import builders
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.moderation_pages import ModerationPages
from tests.e2e.sites import Site
from tests.e2e.widget import Widget
from tests.moderation.conftest import PASSWORD, make_moderator

DEMO_KEY = DEMO_ARTICLES["en"]["key"]


@pytest.fixture
def magazine() -> Iterator[Site]:
    """The magazine's web server, whose article pages embed the widget."""
    site = Site()
    yield site
    site.stop()


@pytest.fixture
def settings(magazine: Site) -> dict[str, Any]:
    return {"ALLOWED_ORIGINS": [magazine.url], "DEMO": True}


@pytest.fixture
def moderator_page(browser: Browser) -> Iterator[Page]:
    """A second browser, the moderator's: its own cookies, a phone-to-laptop sized window."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def reader_posts(
    page: Page, magazine: Site, live_server: LiveServer, text: str, **who: str
) -> Widget:
    page.goto(magazine.publish_demo(live_server.url))
    widget = Widget(page)
    expect(widget.counter).not_to_be_empty()
    widget.post(text, **who)
    expect(widget.status).to_have_text(
        "Thank you. Your comment will appear once a moderator has approved it."
    )
    return widget


def test_a_comment_approved_in_the_queue_appears_in_the_public_thread(
    page: Page, moderator_page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key=DEMO_KEY, title="The night ferry", moderation=ModerationMode.PRE)
    make_moderator(app, "mia")
    widget = reader_posts(page, magazine, live_server, "Please approve me.", name="Lena")
    expect(widget.comment("Please approve me.")).to_have_count(0)

    moderation = ModerationPages(moderator_page, live_server.url)
    moderation.watch_policy_violations()
    moderation.log_in("mia", PASSWORD)
    expect(moderation.queue_size("pending")).to_have_text("1")
    moderation.open("Pending")
    item = moderation.item("Please approve me.")
    expect(item).to_contain_text("Lena")
    expect(item).to_contain_text("The night ferry")
    screenshot(moderator_page, "moderation-pending-queue")
    moderator_page.set_viewport_size({"width": 390, "height": 844})
    screenshot(moderator_page, "moderation-pending-queue-phone")
    moderation.act("Please approve me.", "Approve")
    expect(moderation.flash).to_contain_text("approve done")
    expect(moderation.item("Please approve me.")).to_have_count(0)
    expect(moderation.queue_size("pending")).to_have_text("0")
    screenshot(moderator_page, "moderation-pending-queue-cleared")
    assert moderation.policy_violations() == []

    page.reload()
    expect(widget.comment("Please approve me.")).to_be_visible()
    expect(widget.counter).to_contain_text("1 comment")
    screenshot(page, "moderation-approved-comment-in-thread")


def test_banning_the_author_from_the_queue(
    page: Page, moderator_page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key=DEMO_KEY, moderation=ModerationMode.PRE)
    make_moderator(app, "mia")
    widget = reader_posts(
        page, magazine, live_server, "Cheap pills at my site", email="pills@example.com"
    )

    moderation = ModerationPages(moderator_page, live_server.url)
    moderation.log_in("mia", PASSWORD)
    moderation.open("Pending")
    expect(moderation.item("Cheap pills")).to_contain_text("pills@example.com")
    moderation.act("Cheap pills", "Ban author")
    expect(moderation.flash).to_contain_text("ban-author done")
    expect(moderation.item("Cheap pills")).to_have_count(0)
    moderation.open("Bans")
    bans = moderator_page.locator("#bans tbody tr")
    expect(bans).to_have_count(2)
    expect(moderator_page.locator("#bans")).to_contain_text("pills@example.com")
    screenshot(moderator_page, "moderation-bans-after-ban")

    widget.post("Cheap pills again")
    expect(widget.error).to_have_text("You can no longer comment here.")


def test_the_dashboard_draws_its_charts(page: Page, live_server: LiveServer, app: Flask) -> None:
    make_moderator(app, "mia")
    story = builders.article(app, "budget", title="The budget")
    with app.app_context():
        db = database.session()
        db.add(DailyViews(article_id=story.id, day=datetime.now(UTC).date(), views=42))
        db.commit()
    moderation = ModerationPages(page, live_server.url)
    moderation.log_in("mia", PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    views = moderation.chart("Views per day")
    expect(views.locator("svg rect.bar")).to_have_count(30)
    expect(views.locator("figcaption")).to_contain_text("42 views in 30 days")
    expect(views.locator("text.axis-title-x")).to_have_text("Day (UTC)")
    expect(views.locator("text.axis-title-y")).to_have_text("Views per day")
    expect(views.locator("text.tick-y").last).to_have_text("60")
    assert views.locator("svg rect.bar").last.bounding_box()["height"] > 50  # type: ignore[index]
    expect(moderation.chart("Comments per day").locator("svg rect.bar")).to_have_count(30)
    expect(page.locator("#most-read")).to_contain_text("The budget")
    screenshot(page, "moderation-dashboard")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "moderation-dashboard-phone")


def test_a_wrong_password_is_explained_and_logout_ends_the_session(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    make_moderator(app, "ada", role=Role.ADMIN)
    moderation = ModerationPages(page, live_server.url)
    moderation.log_in("ada", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    moderation.log_in("ada", PASSWORD)
    expect(page.get_by_role("link", name="API tokens")).to_be_visible()
    moderation.log_out()
    page.goto(f"{live_server.url}/moderation/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_select_all_and_reject_in_bulk_with_the_keyboard(
    moderator_page: Page, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    for text in ("First bad one", "Second bad one"):
        builders.comment(app, text=text)
    make_moderator(app, "mia")
    moderation = ModerationPages(moderator_page, live_server.url)
    moderation.log_in("mia", PASSWORD)
    moderation.open("Pending")
    select_all = moderator_page.get_by_label("All on this page")
    select_all.focus()
    moderator_page.keyboard.press("Space")
    expect(moderator_page.locator("input[name=ids]:checked")).to_have_count(2)
    moderator_page.get_by_label("Reason (optional)").fill("off topic")
    moderator_page.get_by_role("button", name="Reject selected").click()
    expect(moderation.flash).to_contain_text("reject: 2 comments")
    expect(moderation.queue_size("pending")).to_have_text("0")
    assert builders.counters(app, "the-story") == (0, 0)
