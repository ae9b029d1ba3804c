"""Routes: the widget's files (script, stylesheet, messages) and the demo article page."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue

from engagement.http import conditional, etag_for
from engagement.origins import is_allowed, request_origin

STATIC = Path(__file__).resolve().parent / "static"
MESSAGES = STATIC / "messages"
DEFAULT_LANGUAGE = "en"
# Browsers revalidate after this; the ETag makes that a cheap 304.
FILE_MAX_AGE = 300
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")

bp = Blueprint("embed", __name__)
demo_bp = Blueprint("demo", __name__, url_prefix="/demo", template_folder="templates")

# The demo pages: an article in English and one in Spanish, each embedding the widget.
DEMO_ARTICLES = {
    "en": {"key": "demo-the-night-ferry", "template": "embed/demo_en.html"},
    "es": {"key": "demo-el-ultimo-tranvia", "template": "embed/demo_es.html"},
}


def _widget_file(name: str, mimetype: str) -> Response:
    response = send_file(STATIC / name, mimetype=mimetype, max_age=FILE_MAX_AGE, conditional=True)
    response.cache_control.public = True
    # Any site may load the widget's files with <script>/<link>; they carry no data.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/embed.js")
def script() -> ResponseReturnValue:
    """The widget."""
    return _widget_file("embed.js", "text/javascript")


@bp.get("/embed.css")
def stylesheet() -> ResponseReturnValue:
    """The widget's stylesheet (theme it with the ``--eg-*`` custom properties)."""
    return _widget_file("embed.css", "text/css")


def available_languages() -> list[str]:
    """The languages with a message file, e.g. ``["en", "es"]``."""
    return sorted(path.stem for path in MESSAGES.glob("*.json"))


@cache
def _catalog(language: str) -> dict[str, Any]:
    messages: dict[str, Any] = json.loads((MESSAGES / f"{language}.json").read_text("utf-8"))
    return messages


def resolve_language(tag: str) -> str:
    """The message file for a language tag: ``es-MX`` → ``es-mx`` or ``es``, else English."""
    if LANGUAGE_TAG.fullmatch(tag):
        available = set(available_languages())
        parts = tag.lower().split("-")
        for length in range(len(parts), 0, -1):
            candidate = "-".join(parts[:length])
            if candidate in available:
                return candidate
    return DEFAULT_LANGUAGE


@bp.get("/embed/messages/<tag>.json")
def messages(tag: str) -> ResponseReturnValue:
    """The widget's messages for a language tag, falling back to English."""
    language = resolve_language(tag)
    body = {"lang": language, "messages": _catalog(language)}
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/json"
    )
    response.cache_control.public = True
    response.cache_control.max_age = FILE_MAX_AGE
    # Public words, no data: any page may read them, so even a refused page can say why.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return conditional(response, etag_for(language, available_languages()))


@bp.get("/embed/origin")
def origin() -> ResponseReturnValue:
    """Whether the asking page's origin may use the widget: any page may ask, so a refused one
    can say plainly why it shows no comments."""
    asking = request_origin()
    response = current_app.response_class(
        json.dumps({"origin": asking, "allowed": is_allowed(asking)}), mimetype="application/json"
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Origin"
    response.cache_control.no_store = True
    return response


def _demo_page(language: str) -> Response:
    article = DEMO_ARTICLES[language]
    service = request.host_url.rstrip("/")
    page = render_template(
        article["template"],
        service=service,
        key=article["key"],
        demo_mail=demo_mail_folder().is_dir(),
    )
    response = Response(page, mimetype="text/html")
    # The widget needs nothing inline: the demo proves it under a strict policy.
    response.headers["Content-Security-Policy"] = "; ".join(
        [
            "default-src 'none'",
            f"script-src {service}",
            f"style-src {service}",
            f"connect-src {service}",
            f"img-src {service} data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


@demo_bp.get("/")
def demo_en() -> ResponseReturnValue:
    """The demo article in English."""
    return _demo_page("en")


@demo_bp.get("/es/")
def demo_es() -> ResponseReturnValue:
    """The demo article in Spanish."""
    return _demo_page("es")


def demo_mail_folder() -> Path:
    """Where the demo's mail catcher keeps the mails it caught."""
    return Path(current_app.instance_path) / "demo-mail"


@demo_bp.get("/mail/")
def demo_mail() -> ResponseReturnValue:
    """The mails the demo's mail catcher caught, newest first."""
    from engagement.notifications import catcher

    return render_template("embed/demo_mail.html", mails=catcher.caught(demo_mail_folder()))


def _caught(name: str) -> Any:
    from engagement.notifications import catcher

    if not re.fullmatch(r"[0-9]+-[0-9]+", name):
        abort(404)
    path = demo_mail_folder() / f"{name}.eml"
    if not path.is_file():
        abort(404)
    return catcher.read(path)


@demo_bp.get("/mail/<name>")
def demo_mail_one(name: str) -> ResponseReturnValue:
    """One caught mail: its headers, its text part, and its HTML part in a sandboxed frame."""
    return render_template("embed/demo_mail_one.html", mail=_caught(name))


@demo_bp.get("/mail/<name>.html")
def demo_mail_html(name: str) -> ResponseReturnValue:
    """A caught mail's HTML part, sandboxed: no script runs, links open in a new tab."""
    response = Response(_caught(name).part("html"), mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "sandbox allow-popups allow-popups-to-escape-sandbox "
        "allow-top-navigation-by-user-activation; "
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response


@demo_bp.get("/demo.css")
def demo_stylesheet() -> ResponseReturnValue:
    """The demo magazine's own stylesheet."""
    response = send_file(STATIC / "demo.css", mimetype="text/css", max_age=FILE_MAX_AGE)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
