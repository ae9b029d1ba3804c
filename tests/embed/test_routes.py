"""The widget's files, its messages per language, and the demo article pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.embed.routes import MESSAGES, STATIC, resolve_language

WIDGET = (STATIC / "embed.js").read_text("utf-8")
CATALOGS = {path.stem: json.loads(path.read_text("utf-8")) for path in MESSAGES.glob("*.json")}


def test_widget_is_served_as_cacheable_javascript(app: Flask, client: FlaskClient) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.get_data(as_text=True) == WIDGET


def test_widget_answers_not_modified_to_a_matching_etag(app: Flask, client: FlaskClient) -> None:
    etag = client.get("/embed.js").headers["ETag"]
    again = client.get("/embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_stylesheet_is_served_as_css(app: Flask, client: FlaskClient) -> None:
    response = client.get("/embed.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("en", "en"),
        ("es", "es"),
        ("es-MX", "es"),
        ("ES-es", "es"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("not a tag", "en"),
    ],
)
def test_a_language_tag_picks_its_message_file(tag: str, language: str) -> None:
    assert resolve_language(tag) == language


def test_messages_are_served_for_the_page_language(app: Flask, client: FlaskClient) -> None:
    response = client.get("/embed/messages/es-AR.json")
    assert response.status_code == 200
    assert response.json["lang"] == "es"
    assert response.json["messages"]["thread.title"] == "Comentarios"


def test_messages_are_readable_from_any_page(app: Flask, client: FlaskClient) -> None:
    # Words, no data: a page the API refuses can still tell its readers so.
    response = client.get("/embed/messages/en.json", headers={"Origin": "https://else.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_english_and_spanish_are_available() -> None:
    assert {"en", "es"} <= set(CATALOGS)


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_every_message_file_has_every_message(language: str) -> None:
    assert set(CATALOGS[language]) == set(CATALOGS["en"])


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_every_message_the_widget_asks_for_exists(language: str) -> None:
    asked = set(re.findall(r"""\bt\("([a-z_.-]+)"[,)]""", WIDGET))
    asked |= {f"sort.{sort}" for sort in ("oldest", "newest", "top")}
    asked |= {f"report.{reason}" for reason in ("spam", "abuse", "off-topic", "other")}
    asked |= {f"form.{name}" for name in ("text", "author_name", "author_email", "author_website")}
    assert asked
    assert asked - set(CATALOGS[language]) == set()


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_plural_messages_have_an_other_form(language: str) -> None:
    for key, message in CATALOGS[language].items():
        if isinstance(message, dict):
            assert "other" in message, key


def test_widget_has_no_eval_or_inline_style() -> None:
    forbidden = ["eval(", "new Function", ".style.", 'setAttribute("style"', "document.write"]
    for construct in forbidden:
        assert construct not in WIDGET


def test_widget_inserts_html_only_for_comment_bodies() -> None:
    # Every other field goes in as text; the comment body was sanitized when it was written.
    sinks = re.findall(r"\.(?:innerHTML|outerHTML)\s*=\s*([^;]+);", WIDGET)
    assert sinks == ['comment.html || ""', 'comment.html || ""']
    assert "insertAdjacentHTML" not in WIDGET


def test_demo_is_absent_unless_enabled(app: Flask, client: FlaskClient) -> None:
    assert client.get("/demo/").status_code == 404


@pytest.mark.parametrize("settings", [{"DEMO": True}])
@pytest.mark.parametrize(("path", "lang"), [("/demo/", "en"), ("/demo/es/", "es")])
def test_demo_article_embeds_the_widget_under_a_strict_policy(
    app: Flask, client: FlaskClient, path: str, lang: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert '<script src="http://localhost/embed.js" defer></script>' in page
    assert "data-engagement-thread" in page
    assert page.count("data-engagement-counter") >= 3
    policy = response.headers["Content-Security-Policy"]
    assert "script-src http://localhost;" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "<script>" not in page
    assert "style=" not in page


@pytest.mark.parametrize("settings", [{"DEMO": True}])
def test_demo_stylesheet_is_served(app: Flask, client: FlaskClient) -> None:
    assert client.get("/demo/demo.css").mimetype == "text/css"


def test_readme_states_the_widget_size_within_a_kibibyte() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    stated = re.search(r"`embed.js` is ([0-9.]+) KiB", readme)
    assert stated, "the README states the widget's size"
    assert abs(float(stated.group(1)) - len(WIDGET.encode("utf-8")) / 1024) < 1


def test_any_page_may_ask_whether_its_origin_is_allowed(app: Flask, client: FlaskClient) -> None:
    allowed = client.get("/embed/origin", headers={"Origin": "https://magazine.example"})
    assert allowed.json == {"origin": "https://magazine.example", "allowed": True}
    refused = client.get("/embed/origin", headers={"Origin": "https://copycat.example"})
    assert refused.json == {"origin": "https://copycat.example", "allowed": False}
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "Origin" in refused.headers["Vary"]
