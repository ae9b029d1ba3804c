"""Working the queues from the keyboard in a real browser, with counts that refresh by
themselves and the trend chart of one article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from engagement import db as database
from engagement.models import Comment, CommentStatus, DailyViews
from tests import builders
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.moderation_pages import ModerationPages
from tests.moderation.conftest import PASSWORD, make_moderator


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"QUEUE_REFRESH_SECONDS": 1}


def status_of(app: Flask, comment_id: int) -> CommentStatus:
    with app.app_context():
        return database.session().get(Comment, comment_id).status  # type: ignore[union-attr]


def logged_in(page: Page, live_server: LiveServer, app: Flask) -> ModerationPages:
    make_moderator(app, "mia")
    moderation = ModerationPages(page, live_server.url)
    moderation.watch_policy_violations()
    moderation.log_in("mia", PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return moderation


def pending(app: Flask, *texts: str) -> list[int]:
    builders.article(app)
    return [
        builders.comment(app, text=text, name=f"Reader {n}", status=CommentStatus.PENDING)[0]
        for n, text in enumerate(texts)
    ]


def test_approve_reject_and_spam_from_the_keyboard_without_a_reload(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    first, second, third = pending(app, "Good point", "Off the rails", "Buy cheap pills")
    moderation = logged_in(page, live_server, app)
    moderation.open_queue("pending")
    moderation.mark_page()
    expect(moderation.queue_size("pending")).to_have_text("3")

    moderation.press("j")
    expect(moderation.current_item).to_contain_text("Good point")
    moderation.press("a")
    expect(moderation.announcement).to_have_text(f"Comment {first} by Reader 0 approved.")
    expect(moderation.item("Good point")).to_be_hidden()
    expect(moderation.current_item).to_contain_text("Off the rails")
    moderation.press("r")
    expect(moderation.announcement).to_have_text(f"Comment {second} by Reader 1 rejected.")
    moderation.press("s")
    expect(moderation.announcement).to_have_text(f"Comment {third} by Reader 2 marked as spam.")
    expect(moderation.queue_size("pending")).to_have_text("0")
    expect(moderation.queue_size("spam")).to_have_text("1")

    assert moderation.same_page()
    assert [status_of(app, c) for c in (first, second, third)] == [
        CommentStatus.APPROVED,
        CommentStatus.REJECTED,
        CommentStatus.SPAM,
    ]
    assert moderation.policy_violations() == []


def test_next_and_previous_move_through_the_queue(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    pending(app, "One", "Two", "Three")
    moderation = logged_in(page, live_server, app)
    moderation.open_queue("pending")
    moderation.press("j", "j", "j", "j")
    expect(moderation.current_item).to_contain_text("Three")
    moderation.press("k")
    expect(moderation.current_item).to_contain_text("Two")
    expect(moderation.current_item).to_be_focused()


def test_typing_a_reason_does_not_trigger_shortcuts(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    (only,) = pending(app, "Keep me")
    moderation = logged_in(page, live_server, app)
    moderation.open_queue("pending")
    page.get_by_label("Reason (optional)").fill("a rejection reason")
    assert status_of(app, only) is CommentStatus.PENDING
    expect(moderation.current_item).to_have_count(0)


def test_a_refused_action_is_announced(page: Page, live_server: LiveServer, app: Flask) -> None:
    (only,) = pending(app, "Gone already")
    moderation = logged_in(page, live_server, app)
    moderation.open_queue("pending")
    with app.app_context():
        db = database.session()
        db.get(Comment, only).deleted_at = datetime.now(UTC)  # type: ignore[union-attr]
        db.commit()
    moderation.press("j", "a")
    expect(moderation.announcement).to_contain_text(
        f"Could not act on comment {only} by Reader 0: Restore the comment first."
    )
    expect(moderation.item("Gone already")).to_be_visible()


def test_question_mark_opens_the_shortcut_help_and_escape_closes_it(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    pending(app, "Anything")
    moderation = logged_in(page, live_server, app)
    moderation.open_queue("pending")
    moderation.press("?")
    expect(moderation.shortcut_help).to_be_visible()
    expect(moderation.shortcut_help).to_contain_text("Mark as spam")
    screenshot(page, "moderation-shortcut-help")
    moderation.press("Escape")
    expect(moderation.shortcut_help).to_be_hidden()


def test_c_shows_the_parent_and_siblings_of_the_comment(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app)
    parent, _ = builders.comment(app, text="The original point", name="Ada")
    builders.comment(app, text="An earlier answer", name="Bo", parent_id=parent)
    builders.comment(
        app,
        text="The answer in question",
        name="Cy",
        parent_id=parent,
        status=CommentStatus.PENDING,
    )
    builders.comment(app, text="A later answer", name="Di", parent_id=parent)
    moderation = logged_in(page, live_server, app)
    moderation.open_queue("pending")
    moderation.press("j", "c")
    context = moderation.context_of("The answer in question")
    expect(context).to_contain_text("Parent — Ada (approved): The original point")
    lines = context.locator("ol").last.locator("li")
    expect(lines).to_have_text(
        [
            "Bo (approved): An earlier answer",
            "This comment — Cy (pending): The answer in question",
            "Di (approved): A later answer",
        ]
    )
    expect(context).to_be_focused()
    expect(moderation.announcement).to_have_text(
        "Thread context shown: a parent and 2 nearby comments."
    )
    screenshot(page, "moderation-queue-context")
    moderation.press("c")
    expect(context).to_have_count(0)


def test_queue_counts_refresh_by_themselves(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app)
    moderation = logged_in(page, live_server, app)
    moderation.mark_page()
    expect(moderation.queue_size("pending")).to_have_text("0")
    expect(page.locator('[data-queue="pending"]')).to_have_text("0")
    builders.comment(app, text="Arrives while the page is open", status=CommentStatus.PENDING)
    expect(moderation.queue_size("pending")).to_have_text("1", timeout=5_000)
    expect(page.locator('[data-queue="pending"]')).to_have_text("1")
    assert moderation.same_page()


def test_the_article_page_charts_its_views_and_comments_with_labelled_axes(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    story = builders.article(app, "budget", title="The budget")
    today = datetime.now(UTC).date()
    with app.app_context():
        db = database.session()
        for days_ago, views in ((0, 1), (1, 2), (5, 37)):
            db.add(
                DailyViews(article_id=story.id, day=today - timedelta(days=days_ago), views=views)
            )
        db.commit()
    builders.set_views(app, "budget", 40)
    builders.comment(app, "budget", text="A comment")
    moderation = logged_in(page, live_server, app)
    moderation.open_article("budget")
    views = moderation.chart("Views per day")
    expect(views.locator("figcaption")).to_have_text(
        "Views per day: 40 views in 30 days, at most 37 views a day"
    )
    expect(views.locator("text.axis-title-y")).to_have_text("Views per day")
    expect(views.locator("text.axis-title-x")).to_have_text("Day (UTC)")
    expect(views.locator("text.tick-y")).to_have_text(["0", "10", "20", "30", "40"])
    expect(views.locator("text.tick-x").last).to_have_text(today.strftime("%d %b"))
    expect(views.locator("rect.bar").last).to_have_attribute("data-count", "1")
    comments = moderation.chart("Comments per day")
    expect(comments.locator("figcaption")).to_contain_text("1 comment in 30 days")
    expect(page.locator("#article-views")).to_have_text("40 views")
    assert moderation.policy_violations() == []
    screenshot(page, "moderation-article-trend")


def test_searching_finds_spanish_forms_and_highlights_them(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, "cronica", title="La crónica del tranvía", language="es")
    builders.comment(app, "cronica", text="Las canciones del barrio ya no suenan.", name="Lucía")
    builders.comment(app, "cronica", text="El tranvía llega tarde otra vez.", name="Pablo")
    builders.comment(app, "cronica", text="<script>alert(1)</script> una canción", name="Troll")
    moderation = logged_in(page, live_server, app)
    moderation.open("Search")
    page.get_by_label("Words").fill("cancion")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="2 comments found")).to_be_visible()
    marks = page.locator(".excerpt mark")
    expect(marks).to_have_text(["canción", "canciones"])
    expect(page.locator(".excerpt").first).to_contain_text("<script>alert(1)</script>")
    assert moderation.policy_violations() == []
    screenshot(page, "moderation-search")
