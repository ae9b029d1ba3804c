"""The widget on a magazine page in a real browser, the page and the service on two origins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, Request, expect

from engagement.embed.routes import DEMO_ARTICLES
from tests import builders
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.sites import Site, embedding_page
from tests.e2e.widget import Widget

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
def settings(magazine: Site) -> dict[str, Any]:
    return {"ALLOWED_ORIGINS": [magazine.url], "DEMO": True}


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


def test_widget_runs_under_the_demo_content_security_policy(
    page: Page, magazine: Site, live_server: LiveServer
) -> None:
    watch_policy_violations(page)
    page.goto(magazine.publish_demo(live_server.url))
    widget = Widget(page)
    expect(widget.counter).to_have_text("0 comments / 1 view")
    expect(widget.form.get_by_label("Your comment")).to_be_visible()
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
    screenshot(page, "embed-demo-spanish")


def test_data_lang_overrides_the_document_language(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key="bilingual")
    html = embedding_page(live_server.url, "bilingual", lang="en").replace(
        'data-key="bilingual" data-title', 'data-key="bilingual" data-lang="es-MX" data-title'
    )
    page.goto(magazine.publish("/bilingual", html))
    expect(Widget(page).counter).to_have_text("0 comentarios / 1 lectura")


def test_page_from_an_origin_not_allowed_gets_no_data(
    page: Page, stranger: Site, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key="the-story")
    builders.set_views(app, "the-story", 42)
    refused: list[str] = []
    page.on("requestfailed", lambda request: refused.append(request.url))
    page.goto(stranger.publish("/copy", embedding_page(live_server.url, "the-story")))
    widget = Widget(page)
    expect(widget.status).to_contain_text("could not be reached")
    expect(page.locator("[data-engagement-counter]")).to_be_empty()
    expect(widget.root).not_to_contain_text("42")
    assert any("/api/v1/" in url for url in refused)
    assert builders.counters(app, "the-story") == (0, 42)


def test_readable_on_a_360_pixel_phone(page: Page, magazine: Site, live_server: LiveServer) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(magazine.publish_demo(live_server.url))
    widget = Widget(page)
    expect(widget.counter).to_have_text("0 comments / 1 view")
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
