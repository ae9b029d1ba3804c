"""What operators rely on: health checks, metrics, the OpenAPI document, start-up errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import config
from engagement.config import ConfigError
from engagement.models import TokenScope
from tests import builders
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[1]


def test_healthz_answers_ok(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_answers_ready_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_readyz_answers_503_when_the_database_is_down(tmp_path: Path) -> None:
    app = make_app("postgresql://nobody@127.0.0.1:9/nowhere", tmp_path)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"


def test_api_answers_json_503_not_500_when_the_database_is_down(tmp_path: Path) -> None:
    app = make_app("postgresql://nobody@127.0.0.1:9/nowhere", tmp_path)
    response = app.test_client().get("/api/v1/counters?keys=a")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"


def test_metrics_show_totals(app: Flask, client: FlaskClient) -> None:
    secret = builders.api_token(app, scopes=[TokenScope.METRICS])
    builders.article(app)
    client.post("/api/v1/articles/the-story/views", headers={"User-Agent": "Mozilla/5.0 Firefox"})
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    body = metrics.get_data(as_text=True)
    assert "engagement_articles 1" in body
    assert "engagement_views_total 1" in body
    assert 'engagement_comments{status="approved"} 0' in body


def test_openapi_document_describes_the_public_routes(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert "post" in paths["/api/v1/articles/{key}/views"]
    assert "get" in paths["/api/v1/counters"]
    assert {"get", "put"} <= set(paths["/api/v1/articles/{key}"])
    assert "ArticleIn" in document["components"]["schemas"]


def test_every_api_route_is_in_the_openapi_document(app: Flask, client: FlaskClient) -> None:
    documented = set(client.get("/api/openapi.json").json["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            path = path.replace("{int:", "{").replace("{path:", "{")
            assert path in documented, f"{rule.rule} is missing from the OpenAPI document"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRUSTED_PROXIES", "two"),
        ("VIEW_WINDOW_MINUTES", "0"),
        ("MODERATION", "sometimes"),
        ("ALLOWED_ORIGINS", "magazine.example"),
        ("DEBUG", "perhaps"),
        ("COUNTERS_CACHE_SECONDS", "-1"),
        ("METRICS_LISTEN", "9101"),
    ],
)
def test_bad_setting_is_refused_with_its_name(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"ENGAGEMENT_{variable}"):
        config.load({f"ENGAGEMENT_{variable}": value})


def test_missing_secret_key_outside_debug_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ENGAGEMENT_SECRET_KEY"):
        make_app("sqlite://", tmp_path, SECRET_KEY="")
