"""The API page: a developer reads the reference in a browser and tries a call from it."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests import builders
from tests.conftest import LiveServer


def test_the_api_page_lists_the_operations_from_the_served_document(
    page: Page, live_server: LiveServer
) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".information-container .title")).to_contain_text("engagement")
    expect(page.locator("#operations-default-post_api_v1_articles__key__views")).to_be_visible()
    assert errors == [], "the page runs under its Content-Security-Policy without errors"


def test_a_reader_tries_the_counters_call_from_the_api_page(
    page: Page, live_server: LiveServer, app: Flask
) -> None:
    builders.article(app, key="the-story")
    builders.set_views(app, "the-story", 128)
    page.goto(f"{live_server.url}/api/docs/")
    operation = page.locator("#operations-default-get_api_v1_counters")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("input[placeholder='keys']").fill("the-story")
    operation.get_by_role("button", name="Execute").click()
    expect(
        operation.locator(".responses-table .response-col_description pre").first
    ).to_contain_text('"views": 128')
