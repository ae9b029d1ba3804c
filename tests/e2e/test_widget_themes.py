"""The widget's light and dark themes: chosen by the host or the reader, readable (WCAG AA)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests import builders
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.sites import Site, embedding_page
from tests.e2e.widget import Widget

DARK_PAGE = "<style>body { background: #101010; color: #eee; }</style>"


@pytest.fixture
def magazine() -> Iterator[Site]:
    site = Site()
    yield site
    site.stop()


@pytest.fixture
def settings(magazine: Site) -> dict[str, Any]:
    return {"ALLOWED_ORIGINS": [magazine.url]}


def open_thread(
    page: Page,
    magazine: Site,
    live_server: LiveServer,
    app: Flask,
    *,
    theme: str = "",
    scheme: Literal["light", "dark"] = "light",
    extra: tuple[str, ...] = (),
) -> Widget:
    builders.article(app, "the-story")
    builders.comment(app, "the-story", "A *reader's* view, with [a link](https://example.org).")
    page.emulate_media(color_scheme=scheme)
    attributes = f'data-theme="{theme}"' if theme else ""
    html = embedding_page(live_server.url, "the-story", thread=attributes, extra=extra)
    page.goto(magazine.publish("/story", html))
    widget = Widget(page)
    expect(widget.comment("view, with")).to_be_visible()
    return widget


def background_of(widget: Widget) -> str:
    return str(widget.root.evaluate("(node) => getComputedStyle(node).backgroundColor"))


def test_light_theme_text_meets_wcag_aa(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_thread(page, magazine, live_server, app, theme="light")
    assert widget.theme == "light"
    assert widget.contrast_failures() == []
    screenshot(page, "widget-theme-light")


def test_dark_theme_chosen_by_the_host_meets_wcag_aa(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_thread(page, magazine, live_server, app, theme="dark", extra=(DARK_PAGE,))
    assert widget.theme == "dark"
    assert background_of(widget) == "rgb(22, 23, 26)"
    assert widget.contrast_failures() == []
    screenshot(page, "widget-theme-dark")


def test_dark_theme_is_readable_even_on_a_light_page(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_thread(page, magazine, live_server, app, theme="dark")
    assert widget.contrast_failures() == []


def test_auto_follows_a_reader_who_prefers_dark(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_thread(page, magazine, live_server, app, scheme="dark")
    assert widget.theme == "auto"
    assert background_of(widget) == "rgb(22, 23, 26)"
    assert widget.contrast_failures() == []


def test_auto_stays_light_for_a_reader_who_prefers_light(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    widget = open_thread(page, magazine, live_server, app, scheme="light")
    assert background_of(widget) == "rgba(0, 0, 0, 0)"
    assert widget.contrast_failures() == []


def test_host_custom_properties_win_over_the_theme(
    page: Page, magazine: Site, live_server: LiveServer, app: Flask
) -> None:
    host_style = "<style>[data-engagement-thread] { --eg-background: rgb(0, 0, 80); }</style>"
    widget = open_thread(page, magazine, live_server, app, theme="dark", extra=(host_style,))
    assert background_of(widget) == "rgb(0, 0, 80)"
