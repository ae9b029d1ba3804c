"""The widget on a magazine page in a real browser, the page and the service on two origins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, Request, expect

from engagement.embed.routes import DEMO_ARTICLES
from engagement.models import ModerationMode
from tests import builders
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.sites import Site, embedding_page
from tests.e2e.widget import Widget
from tests.test_sanitize import HOSTILE

DEMO_KEY = DEMO_ARTICLES["en"]["key"]


@pytest.fixture
def magazine() -> Iterator[Site]:
    """The magazine's web server: an allowed origin, not the service's."""
    site = Site()
    yield site
    site.stop()


@pytest.fixture
def stranger() -> Iterator[Site]:
    """Someone else's web server: an origin the service does not allow."""
    site = Site()
    yield site
    site.stop()


@pytest.fixture
def more_settings() -> dict[str, Any]:
    """Settings a test adds (parametrize it); the magazine's origin is always allowed."""
    return {}


@pytest.fixture
def settings(magazine: Site, more_settings: dict[str, Any]) -> dict[str, Any]:
    return {"ALLOWED_ORIGINS": [magazine.url], "DEMO": True} | more_settings


def watch_policy_violations(page: Page) -> None:
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )


def test_counters_appear_and_the_view_counts_once(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    assert not live_server.url.startswith(magazine.url)
    page.goto(magazine.publish_demo(live_server.url))
    under_headline = page.locator(".byline [data-engagement-counter]")
    expect(under_headline).to_have_text("0 comments / 1 view")
    expect(Widget(page).counter).to_have_text("0 comments / 1 view")
    screenshot(page, "embed-demo-first-view")

    page.reload()
    expect(under_headline).to_have_text("0 comments / 1 view")
    assert builders.counters(app, DEMO_KEY) == (0, 1)


@pytest.mark.parametrize("more_settings", [{"ALLOWED_ORIGINS": []}])
def test_quickstart_demo_works_on_the_service_itself(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    # `engagement demo`: no allowed origins configured, the demo page on the service's origin.
    page.goto(live_server.url + "/demo/")
    widget = Widget(page)
    expect(widget.counter).to_have_text("0 comments / 1 view")
    widget.post("Hello from the quickstart.")
    expect(widget.comment("Hello from the quickstart")).to_have_count(1)
    assert builders.counters(app, DEMO_KEY) == (1, 1)


def test_widget_runs_under_the_demo_content_security_policy(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.comment(
        app, DEMO_KEY, "> quoted\n\nSee [the timetable](https://ferry.example/) and `code`."
    )
    watch_policy_violations(page)
    page.goto(magazine.publish_demo(live_server.url))
    widget = Widget(page)
    expect(widget.counter).to_have_text("1 comment / 1 view")
    expect(widget.comment("See the timetable").locator("a")).to_have_attribute(
        "href", "https://ferry.example/"
    )
    widget.post("Posted under the policy.")
    expect(widget.comment("Posted under the policy")).to_have_count(1)
    # The widget's stylesheet applied: the honeypot field is out of sight.
    expect(widget.form.locator(".eg-trap input")).not_to_be_in_viewport()
    assert page.evaluate("window.__violations") == []


def test_listing_counters_are_filled_by_one_batch_request(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key="demo-typewriters")
    builders.article(app, key="demo-tide-tables")
    builders.set_views(app, "demo-tide-tables", 1234)
    batches: list[str] = []

    def note(request: Request) -> None:
        if "/api/v1/counters" in request.url:
            batches.append(request.url)

    page.on("request", note)
    page.goto(magazine.publish_demo(live_server.url))
    listing = page.locator(".more [data-engagement-counter]")
    expect(listing.nth(1)).to_have_text("0 comments / 1,234 views")
    expect(listing.nth(0)).to_have_text("0 comments / 0 views")
    expect(listing.nth(2)).to_have_text("0 comments / 0 views")
    assert len(batches) == 1
    assert "demo-typewriters" in batches[0]
    assert DEMO_KEY not in batches[0]  # the article's own counters come with its view


def test_spanish_page_speaks_spanish_with_spanish_numbers(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    key = DEMO_ARTICLES["es"]["key"]
    builders.article(app, key=key)
    builders.set_views(app, key, 12344)
    page.goto(magazine.publish_demo(live_server.url, demo="/demo/es/"))
    widget = Widget(page)
    expect(widget.counter).to_have_text("0 comentarios / 12.345 lecturas")
    expect(widget.root.get_by_role("heading")).to_have_text("Comentarios")
    expect(widget.form.get_by_label("Tu comentario")).to_be_visible()
    expect(widget.root.get_by_label("Ordenar por")).to_be_visible()
    widget.form.get_by_label("Tu comentario").fill("Yo también lo cogía.")
    widget.form.get_by_role("button", name="Publicar comentario").click()
    expect(widget.status).to_have_text("Tu comentario está publicado.")
    # Spanish dates: "25 nov 2026, 3:25", not "Nov 25, 2026, 3:25 AM".
    expect(widget.root.locator(".eg-date").first).to_have_text(
        re.compile(r"^\d{1,2} [a-z]+\.? \d{4}, \d{1,2}:\d{2}$")
    )
    screenshot(page, "embed-demo-spanish")


def test_data_lang_overrides_the_document_language(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key="bilingual")
    html = embedding_page(live_server.url, "bilingual", lang="en", thread='data-lang="es-MX"')
    page.goto(magazine.publish("/bilingual", html))
    expect(Widget(page).counter).to_have_text("0 comentarios / 1 lectura")


def test_page_from_an_origin_not_allowed_says_so_and_shows_no_form(
    page: Page, stranger: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key="the-story")
    builders.set_views(app, "the-story", 42)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(stranger.publish("/copy", embedding_page(live_server.url, "the-story")))
    widget = Widget(page)
    expect(widget.refusal).to_have_text(
        "Comments cannot be shown on this page: its address is not allowed by the comment service."
    )
    expect(widget.root.locator("form")).to_have_count(0)
    expect(page.locator("[data-engagement-counter]")).to_be_empty()
    expect(widget.root).not_to_contain_text("42")
    assert any(
        line.startswith("error: engagement:") and stranger.url in line and "ALLOWED_ORIGINS" in line
        for line in console
    ), console
    assert builders.counters(app, "the-story") == (0, 42)


def test_readable_on_a_360_pixel_phone(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.chain(app, 8, key=DEMO_KEY)
    builders.comment(app, DEMO_KEY, "https://example.com/" + "a-very-long-path" * 20)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(magazine.publish_demo(live_server.url))
    widget = Widget(page)
    expect(widget.counter).to_have_text("9 comments / 1 view")
    expect(widget.comment("level 7")).to_be_visible()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360
    box = widget.form.get_by_label("Your comment").bounding_box()
    assert box is not None and box["width"] >= 250
    screenshot(page, "embed-demo-phone")


def test_keyboard_reaches_the_form_with_labels(
    page: Page, magazine: Site, live_server: LiveServer
) -> None:
    page.goto(magazine.publish_demo(live_server.url))
    widget = Widget(page)
    text = widget.form.get_by_label("Your comment")
    expect(text).to_be_visible()
    text.focus()
    page.keyboard.press("Tab")
    expect(widget.form.get_by_label("Name (optional)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(widget.form.get_by_label("Email (optional)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(widget.form.get_by_label("Website (optional)")).to_be_focused()
    page.keyboard.press("Tab")
    # The honeypot is skipped: the next stop is the submit button.
    expect(widget.form.get_by_role("button", name="Post comment")).to_be_focused()


# --- the thread -------------------------------------------------------------------------------


def open_demo(page: Page, magazine: Site, live_server: LiveServer) -> Widget:
    """The demo article on the magazine's origin, with its widget loaded."""
    page.goto(magazine.publish_demo(live_server.url))
    widget = Widget(page)
    expect(widget.counter).not_to_be_empty()
    expect(widget.root).not_to_have_attribute("aria-busy", "true")  # the thread is read
    return widget


def test_reader_posts_a_comment_and_a_reply(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_demo(page, magazine, live_server)
    widget.post("I took that ferry for *years*.", name="Ilse", website="https://ilse.example")
    posted = widget.comment("I took that ferry for years.")
    expect(posted.locator(".eg-author").first).to_have_text("Ilse")
    expect(posted.locator(".eg-body em").first).to_have_text("years")
    expect(widget.status).to_have_text("Your comment is posted.")
    expect(widget.counter).to_have_text("1 comment / 1 view")
    expect(widget.form.get_by_label("Your comment")).to_have_value("")

    widget.reply("I took that ferry", "So did I, on Thursdays.")
    reply = posted.locator(".eg-replies > .eg-comment")
    expect(reply).to_have_count(1)
    expect(reply.locator(".eg-body")).to_have_text("So did I, on Thursdays.")
    expect(widget.counter).to_have_text("2 comments / 1 view")
    screenshot(page, "embed-comment-and-reply")

    page.reload()
    expect(widget.comment("So did I").locator(".eg-body")).to_have_text("So did I, on Thursdays.")
    assert builders.counters(app, DEMO_KEY) == (2, 1)


def test_author_edits_their_comment_and_others_cannot(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.comment(app, DEMO_KEY, "Someone else's comment.")
    widget = open_demo(page, magazine, live_server)
    widget.post("The crossing takes ninteen minutes.")
    mine = widget.comment("ninteen")
    expect(mine.get_by_role("button", name="Edit")).to_be_visible()
    expect(widget.comment("Someone else").get_by_role("button", name="Edit")).to_have_count(0)

    page.reload()  # the edit secret survives in the browser's storage
    widget.edit("ninteen", "The crossing takes nineteen minutes.")
    edited = widget.comment("nineteen")
    expect(edited.locator(".eg-edited")).to_have_text("(edited)")
    expect(widget.status).to_have_text("Your changes are saved.")
    screenshot(page, "embed-edited")
    page.reload()
    expect(widget.comment("nineteen").locator(".eg-body")).to_have_text(
        "The crossing takes nineteen minutes."
    )


@pytest.mark.parametrize("more_settings", [{"COMMENT_EDIT_WINDOW_MINUTES": 0}])
def test_no_edit_controls_once_the_edit_window_is_over(
    page: Page, magazine: Site, live_server: LiveServer
) -> None:
    widget = open_demo(page, magazine, live_server)
    widget.post("Too late to fix this typo.")
    card = widget.comment("Too late").locator(":scope > .eg-card")
    expect(card.locator(".eg-body")).to_have_text("Too late to fix this typo.")
    expect(card.get_by_role("button", name="Edit")).to_have_count(0)
    expect(card.get_by_role("button", name="Delete")).to_have_count(0)


def test_author_deletes_their_comment_in_two_steps(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_demo(page, magazine, live_server)
    widget.post("Posted by mistake.")
    card = widget.comment("Posted by mistake").locator(":scope > .eg-card")
    card.get_by_role("button", name="Delete").click()
    card.get_by_role("button", name="Really delete?").click()
    expect(widget.comment("Posted by mistake")).to_have_count(0)
    expect(widget.counter).to_have_text("0 comments / 1 view")
    assert builders.counters(app, DEMO_KEY) == (0, 1)


def test_like_counts_once_and_is_remembered(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.comment(app, DEMO_KEY, "Bring back the evening timetable.")
    widget = open_demo(page, magazine, live_server)
    button = widget.like("evening timetable")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".eg-like-count")).to_have_text("1")
    expect(widget.status).to_have_text("You like this comment.")
    page.reload()
    button = widget.comment("evening timetable").locator(".eg-like")
    expect(button.locator(".eg-like-count")).to_have_text("1")
    expect(button).to_have_attribute("aria-pressed", "true")


def test_reader_takes_back_a_like(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    comment_id, _ = builders.comment(app, DEMO_KEY, "Bring back the evening timetable.")
    widget = open_demo(page, magazine, live_server)
    button = widget.like("evening timetable")
    expect(button.locator(".eg-like-count")).to_have_text("1")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".eg-like-count")).to_have_text("0")
    expect(widget.status).to_have_text("Your like is taken back.")
    assert builders.likes(app, comment_id) == 0
    page.reload()
    button = widget.comment("evening timetable").locator(".eg-like")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".eg-like-count")).to_have_text("0")


def test_first_view_of_a_new_article_shows_no_error_in_the_console(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    failed: list[str] = []
    page.on(
        "console", lambda message: failed.append(message.text) if message.type == "error" else None
    )
    page.on(
        "response", lambda response: failed.append(response.url) if response.status >= 400 else None
    )
    magazine.publish("/favicon.ico", "")  # the magazine's own favicon is no concern here
    page.goto(magazine.publish("/fresh", embedding_page(live_server.url, "brand-new")))
    widget = Widget(page)
    expect(widget.counter).to_have_text("0 comments / 1 view")
    expect(widget.root.locator(".eg-empty")).to_be_visible()
    assert failed == []


def test_the_widget_links_the_article_comments_feed(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.comment(app, DEMO_KEY, "Worth following.")
    widget = open_demo(page, magazine, live_server)
    link = widget.root.get_by_role("link", name="Follow these comments (Atom feed)")
    href = link.get_attribute("href")
    assert href == f"{live_server.url}/feeds/articles/{DEMO_KEY}/comments.atom"
    feed = page.request.get(href)
    assert feed.ok and "Worth following." in feed.text()


def test_an_article_first_registered_by_a_comment_takes_the_page_title_and_url(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    html = embedding_page(
        live_server.url,
        "commented-first",
        lang="es",
        title="La crónica",
        thread='data-record-view="false" data-url="https://magazine.example/cronica"',
    )
    page.goto(magazine.publish("/cronica", html))
    widget = Widget(page)
    expect(widget.root.locator(".eg-empty")).to_be_visible()
    widget.form.get_by_label("Tu comentario").fill("Primero.")
    widget.form.get_by_role("button", name="Publicar comentario").click()
    expect(widget.comment("Primero.")).to_be_visible()
    article = builders.article_row(app, "commented-first")
    assert (article.title, article.url, article.language) == (
        "La crónica",
        "https://magazine.example/cronica",
        "es",
    )


def test_report_reaches_the_moderators_with_its_reason(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    comment_id, _ = builders.comment(app, DEMO_KEY, "Something nasty.")
    widget = open_demo(page, magazine, live_server)
    widget.report("Something nasty", "abuse")
    expect(widget.comment("Something nasty").locator(".eg-reported")).to_have_text(
        "Reported. Thank you."
    )
    assert builders.reports(app, comment_id) == ["abuse"]


def test_validation_error_is_shown_next_to_the_form_and_keeps_the_text(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_demo(page, magazine, live_server)
    widget.post("A long, careful comment I do not want to type again.", email="ilse@")
    expect(widget.error).to_have_text("Please check the email address, or leave it empty.")
    expect(widget.error).to_have_attribute("role", "alert")
    email = widget.form.get_by_label("Email (optional)")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(widget.form.get_by_label("Your comment")).to_have_value(
        "A long, careful comment I do not want to type again."
    )
    screenshot(page, "embed-validation-error")

    email.fill("")
    widget.form.get_by_role("button", name="Post comment").click()
    expect(widget.comment("A long, careful comment")).to_have_count(1)
    expect(widget.error).to_be_empty()
    assert builders.counters(app, DEMO_KEY) == (1, 1)


@pytest.mark.parametrize(
    "more_settings", [{"RATELIMIT_ENABLED": True, "LIMIT_COMMENTS": "1 per minute"}]
)
def test_rate_limit_error_says_when_to_retry_and_keeps_the_text(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_demo(page, magazine, live_server)
    widget.post("First thoughts.")
    expect(widget.comment("First thoughts")).to_have_count(1)
    widget.post("Second thoughts, typed with care.")
    expect(widget.error).to_have_text(
        re.compile(r"^You are posting too fast\. Please try again in \d+ seconds?\.$")
    )
    expect(widget.form.get_by_label("Your comment")).to_have_value(
        "Second thoughts, typed with care."
    )
    screenshot(page, "embed-rate-limited")
    assert builders.counters(app, DEMO_KEY) == (1, 1)


def test_closed_thread_says_so_and_offers_no_form(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key=DEMO_KEY, comments_open=False)
    widget = open_demo(page, magazine, live_server)
    expect(widget.root.locator(".eg-closed")).to_have_text("Comments are closed for this article.")
    expect(widget.form).to_be_hidden()


def test_thread_closed_while_writing_keeps_the_text_and_says_so(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_demo(page, magazine, live_server)
    builders.article(app, key=DEMO_KEY, comments_open=False)
    widget.post("My last word on the ferry.")
    expect(widget.error).to_have_text("Comments are closed for this article.")
    expect(widget.form.get_by_label("Your comment")).to_have_value("My last word on the ferry.")
    expect(widget.root.locator(".eg-closed")).to_be_visible()


def test_comment_held_for_moderation_is_announced_not_shown(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key=DEMO_KEY, moderation=ModerationMode.PRE)
    widget = open_demo(page, magazine, live_server)
    widget.post("Please approve me.")
    expect(widget.status).to_have_text(
        "Thank you. Your comment will appear once a moderator has approved it."
    )
    expect(widget.comment("Please approve me")).to_have_count(0)
    expect(widget.form.get_by_label("Your comment")).to_have_value("")


def test_sort_and_load_more_on_a_thread_of_120(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    # 80 top-level comments, each third comment a reply; 20 top-level per page.
    builders.big_thread(app, 120, key=DEMO_KEY)
    widget = open_demo(page, magazine, live_server)
    expect(widget.counter).to_have_text("120 comments / 1 view")
    expect(widget.top_level()).to_have_count(20)
    expect(widget.top_level().first.locator(".eg-body").first).to_have_text("comment 0")

    widget.load_more()
    expect(widget.top_level()).to_have_count(40)
    expect(widget.status).to_have_text("20 more comments loaded.")

    widget.sort("newest")
    expect(widget.top_level()).to_have_count(20)
    expect(widget.top_level().first.locator(".eg-body").first).to_have_text("comment 118")
    for shown in (40, 60, 80):
        widget.load_more()
        expect(widget.top_level()).to_have_count(shown)
    more = widget.root.get_by_role("button", name="Load more comments")
    expect(more).to_be_hidden()
    expect(widget.root.locator(".eg-comment")).to_have_count(120)
    expect(widget.top_level().last.locator(".eg-body").first).to_have_text("comment 0")
    screenshot(page, "embed-120-comments")


# --- hostile input ----------------------------------------------------------------------------

MARKER = "window.__xss = 1"
HOSTILE_FIELDS = [
    f"<img src=x onerror='{MARKER}'>",
    f'"><svg onload="{MARKER}">',
    f"<script>{MARKER}</script>",
    "javascript:alert(1)",
]


def test_hostile_comments_run_no_script_through_the_widget(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    texts = [*HOSTILE, *(f"{text} {MARKER}" for text in HOSTILE_FIELDS)]
    for index, text in enumerate(texts):
        name = HOSTILE_FIELDS[index % len(HOSTILE_FIELDS)]
        builders.comment(app, "hostile", text, name=name, visitor=f"visitor-{index}")
    # The service accepts only http(s) websites; the widget links nothing else either.
    website_id, _ = builders.comment(app, "hostile", "A website", visitor="visitor-web")
    builders.set_website(app, website_id, f"javascript:{MARKER}")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script("window.__xss = 0;")
    # No Content-Security-Policy on this page: the sanitizer and the widget are the only defence.
    html = embedding_page(live_server.url, "hostile", thread='data-page-size="1000"')
    page.goto(magazine.publish("/hostile", html))
    widget = Widget(page)
    expect(widget.root.locator(".eg-comment")).to_have_count(len(texts) + 1)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") == 0
    assert dialogs == []
    assert widget.root.locator("script, svg, math, iframe, img, [onerror], [onload]").count() == 0
    assert widget.root.locator('a[href^="javascript" i]').count() == 0
    names = widget.root.locator(".eg-author").all_text_contents()
    assert HOSTILE_FIELDS[0] in names
    screenshot(page, "embed-hostile")


def test_container_attributes_choose_the_first_sort_and_skip_the_view(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.comment(app, "archive", "Older.")
    builders.comment(app, "archive", "Newer.")
    html = embedding_page(
        live_server.url, "archive", thread='data-sort="newest" data-record-view="false"'
    )
    page.goto(magazine.publish("/archive", html))
    widget = Widget(page)
    expect(widget.top_level().first.locator(".eg-body")).to_have_text("Newer.")
    expect(widget.root.get_by_label("Sort by")).to_have_value("newest")
    expect(widget.counter).to_have_text("2 comments / 0 views")
    assert builders.counters(app, "archive") == (2, 0)


def test_a_bot_filling_the_hidden_field_does_not_reach_readers(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_demo(page, magazine, live_server)
    widget.form.locator(".eg-trap input").fill("https://cheap-pills.example")
    widget.post("Great article, visit my site.")
    expect(widget.status).to_have_text(
        "Thank you. Your comment will appear once a moderator has approved it."
    )
    expect(widget.comment("Great article")).to_have_count(0)
    assert builders.counters(app, DEMO_KEY) == (0, 1)


def test_a_language_without_messages_falls_back_to_english_words_and_numbers(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key="portuguese")
    builders.set_views(app, "portuguese", 12344)
    page.goto(magazine.publish("/pt", embedding_page(live_server.url, "portuguese", lang="pt-BR")))
    expect(Widget(page).counter).to_have_text("0 comments / 12,345 views")


def test_a_pinned_comment_comes_first_and_says_so(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.comment(app, DEMO_KEY, "First in time.")
    pinned, _ = builders.comment(app, DEMO_KEY, "The editors' pick.")
    builders.pin(app, pinned)
    widget = open_demo(page, magazine, live_server)
    first = widget.top_level().first
    expect(first.locator(".eg-body")).to_have_text("The editors' pick.")
    expect(first.locator(".eg-pinned")).to_have_text("Pinned")
