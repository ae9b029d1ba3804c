"""engagement: view and comment counters, threaded comments and their moderation."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from engagement import config as settings
from engagement.config import ConfigError
from engagement.http import LazyCookieSessions

MAX_BODY_BYTES = 64 * 1024


def create_app(environ: dict[str, str] | None = None, **overrides: Any) -> Flask:
    """Build the application from the environment (or ``environ``) plus ``overrides``."""
    app = Flask(__name__, instance_path=_instance_path(environ, overrides))
    app.config.update(settings.load(environ, **overrides))
    _finish_config(app)

    from engagement import (
        cors,
        db,
        errors,
        health,
        http,
        logs,
        metrics,
        openapi,
        parsing,
        ratelimit,
    )
    from engagement.abuse import spam
    from engagement.apidocs import bp as apidocs
    from engagement.articles.api import bp as articles_api
    from engagement.cms.api import bp as cms_api
    from engagement.comments.api import bp as comments_api
    from engagement.embed.routes import bp as embed_routes
    from engagement.embed.routes import demo_bp as demo_routes
    from engagement.feeds.routes import bp as feeds
    from engagement.identity.api import bp as identity_api
    from engagement.moderation import access
    from engagement.moderation.api import bp as moderation_api
    from engagement.moderation.pages import bp as moderation_pages
    from engagement.notifications.api import bp as webhooks_api
    from engagement.notifications.pages import bp as notification_pages
    from engagement.notifications.routes import bp as notification_links
    from engagement.pageviews.api import bp as pageviews_api

    logs.init_app(app)  # first: every request's clock and id
    metrics.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    http.init_app(app)
    parsing.init_app(app)
    access.init_app(app)
    cors.init_app(app)
    ratelimit.init_app(app)
    spam.init_app(app)
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=app.config["TRUSTED_PROXIES"]
    )
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(apidocs)
    app.register_blueprint(articles_api)
    app.register_blueprint(cms_api)
    app.register_blueprint(comments_api)
    app.register_blueprint(identity_api)
    app.register_blueprint(pageviews_api)
    app.register_blueprint(moderation_api)
    app.register_blueprint(moderation_pages)
    app.register_blueprint(webhooks_api)
    app.register_blueprint(notification_pages)
    app.register_blueprint(notification_links)
    app.register_blueprint(embed_routes)
    app.register_blueprint(feeds)
    if app.config["DEMO"]:
        app.register_blueprint(demo_routes)

    if app.config["AUTO_MIGRATE"]:
        db.upgrade_locked(app.config["DATABASE_URL"], Path(app.instance_path) / "migrate.lock")
    return app


def _instance_path(environ: dict[str, str] | None, overrides: dict[str, Any]) -> str:
    raw = overrides.get("INSTANCE_PATH") or settings.load(environ)["INSTANCE_PATH"]
    return str(Path(raw or "instance").resolve())


def _finish_config(app: Flask) -> None:
    """Derive defaults that depend on other settings; refuse combinations that cannot run."""
    config = app.config
    if not config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'engagement.sqlite3'}"
    if config["AUTO_MIGRATE"] is None:
        config["AUTO_MIGRATE"] = config["DATABASE_URL"].startswith("sqlite")
    if not config["SECRET_KEY"]:
        if not config["DEBUG"]:
            raise ConfigError(
                "ENGAGEMENT_SECRET_KEY is required (or set ENGAGEMENT_DEBUG=1 for development)"
            )
        config["SECRET_KEY"] = _development_secret(Path(app.instance_path))
    elif len(config["SECRET_KEY"]) < 16:
        raise ConfigError("ENGAGEMENT_SECRET_KEY must be at least 16 characters")
    _check_sign_in(config)
    if config["SMTP_HOST"]:
        for needed in ("MAIL_FROM", "PUBLIC_URL"):
            if not config[needed]:
                raise ConfigError(f"ENGAGEMENT_{needed} is required with ENGAGEMENT_SMTP_HOST")
    config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = True  # type: ignore[attr-defined]
    app.session_interface = LazyCookieSessions()


def _check_sign_in(config: Any) -> None:
    """Sign-in tokens are accepted only with a strong secret and a fixed issuer and audience."""
    if not (config["SSO_SECRET"] or config["SSO_JWKS_URL"]):
        return
    if config["SSO_SECRET"] and len(config["SSO_SECRET"]) < 32:
        raise ConfigError("ENGAGEMENT_SSO_SECRET must be at least 32 characters")
    for name in ("SSO_ISSUER", "SSO_AUDIENCE"):
        if not config[name]:
            raise ConfigError(f"ENGAGEMENT_{name} is required when sign-in tokens are accepted")


def _development_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so development restarts keep sessions."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()
