"""Moderating in a real browser: log in, clear the queue, ban, read the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from playwright.sync_api import Page, expect

from engagement import db as database
from engagement.models import DailyViews, Role
from tests import builders
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.moderation_pages import ModerationPages
from tests.moderation.conftest import PASSWORD, make_moderator


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
    expect(views.locator("figcaption")).to_contain_text("42 in 30 days")
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
