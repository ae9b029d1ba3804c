"""Who gets in: login, lockout, sessions that really end, CSRF, roles, redirects, headers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engagement import db as database
from engagement import tokens
from engagement.db import Base
from engagement.models import (
    ApiToken,
    Comment,
    CommentStatus,
    ModerationAction,
    Moderator,
    Role,
    TokenScope,
    utcnow,
)
from engagement.moderation import accounts
from engagement.moderation.audit import Actor
from tests import builders
from tests.moderation.conftest import (
    PASSWORD,
    csrf_token,
    log_in,
    make_moderator,
    post_form,
)

COOKIE = "engagement_session"
SAMPLE_ARGS = {"queue": "pending", "key": "the-story", "action": "approve"}

SETUP = Actor(name="setup")


def moderation_routes(app: Flask, prefix: str) -> list[tuple[str, str]]:
    """(method, url) of every route under ``prefix``, with sample values for its arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or rule.endpoint.endswith(".static"):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(\w+:)?{name}>", str(SAMPLE_ARGS.get(name, 1)), url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_login_page_has_a_csrf_field(client: FlaskClient) -> None:
    page = client.get("/moderation/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)


def test_right_password_logs_in_and_opens_the_dashboard(app: Flask, client: FlaskClient) -> None:
    make_moderator(app)
    response = log_in(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/"
    assert client.get("/moderation/").status_code == 200


def test_wrong_password_is_401_and_no_session(app: Flask, client: FlaskClient) -> None:
    make_moderator(app)
    response = log_in(client, password="wrong password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 401


def test_unknown_username_reads_like_a_wrong_password(client: FlaskClient) -> None:
    response = log_in(client, username="nobody")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_MINUTES": 15}


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    app: Flask, client: FlaskClient
) -> None:
    make_moderator(app)
    for _ in range(3):
        log_in(client, password="wrong password")
    response = log_in(client)
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 401


def test_a_lockout_ends_after_its_time(app: Flask, client: FlaskClient) -> None:
    ident = make_moderator(app)
    with app.app_context():
        db = database.session()
        account = db.get(Moderator, ident)
        assert account is not None
        account.locked_until = utcnow() - timedelta(seconds=1)
        db.commit()
    assert log_in(client).status_code == 303


def test_a_success_resets_the_failure_count(app: Flask, client: FlaskClient) -> None:
    ident = make_moderator(app)
    log_in(client, password="wrong password")
    log_in(client)
    with app.app_context():
        account = database.session().get(Moderator, ident)
        assert account is not None and account.failed_logins == 0


def test_passwords_are_stored_hashed(app: Flask) -> None:
    ident = make_moderator(app)
    with app.app_context():
        account = database.session().get(Moderator, ident)
        assert account is not None
        assert PASSWORD not in account.password_hash
        assert account.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_login_without_csrf_token_is_400(app: Flask, client: FlaskClient) -> None:
    make_moderator(app)
    client.get("/moderation/login")
    response = client.post("/moderation/login", data={"username": "mia", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/moderation/").status_code == 401


def test_every_moderation_page_answers_401_without_a_session(
    app: Flask, client: FlaskClient
) -> None:
    login = {"/moderation/login", "/moderation/login/code"}  # the two steps of logging in
    routes = [r for r in moderation_routes(app, "/moderation/") if r[1] not in login]
    assert len(routes) >= 15
    for method, url in routes:
        response = client.open(url, method=method)
        assert response.status_code == 401, (method, url)


def test_a_page_without_session_shows_the_login_form_coming_back_to_it(
    client: FlaskClient,
) -> None:
    response = client.get("/moderation/queues/spam")
    assert response.status_code == 401
    assert 'name="next" value="/moderation/queues/spam"' in response.get_data(as_text=True)


def test_every_moderation_api_route_answers_401_without_a_token(
    app: Flask, client: FlaskClient
) -> None:
    routes = moderation_routes(app, "/api/v1/moderation/")
    assert len(routes) >= 6
    for method, url in routes:
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, (method, url)
        assert response.json["error"]["code"] == "unauthorized"


def test_every_moderation_api_route_refuses_a_token_without_the_moderation_scope(
    app: Flask, client: FlaskClient
) -> None:
    secret = builders.api_token(app, scopes=[TokenScope.ARTICLES])
    headers = {"Authorization": f"Bearer {secret}"}
    for method, url in moderation_routes(app, "/api/v1/moderation/"):
        response = client.open(url, method=method, json={}, headers=headers)
        assert response.status_code == 403, (method, url)
        assert response.json["error"]["code"] == "insufficient_scope"
        assert "'moderation'" in response.json["error"]["message"]


def test_an_action_refused_for_its_scope_changes_nothing(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app, status=CommentStatus.PENDING)
    secret = builders.api_token(app, scopes=[TokenScope.ARTICLES])
    response = client.post(
        f"/api/v1/moderation/comments/{comment_id}/approve",
        json={},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert database.session().get(Comment, comment_id).status is CommentStatus.PENDING
        assert (
            database.session()
            .scalars(select(ModerationAction).where(ModerationAction.actor != "setup"))
            .all()
            == []
        )


def test_a_revoked_token_is_refused(app: Flask, client: FlaskClient) -> None:
    secret = builders.api_token(app)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/moderation/queues", headers=headers).status_code == 200
    with app.app_context():
        from engagement import tokens

        db = database.session()
        token = tokens.authenticate(db, secret)
        assert token is not None
        tokens.revoke(db, actor=SETUP, token=token)
        db.commit()
    response = client.get("/api/v1/moderation/queues", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_every_form_post_answers_400_without_a_csrf_token(app: Flask, admin: FlaskClient) -> None:
    posts = [r for r in moderation_routes(app, "/moderation/") if r[0] == "POST"]
    assert len(posts) >= 8
    for method, url in posts:
        response = admin.open(url, method=method, data={"reason": "no token"})
        assert response.status_code == 400, (method, url)
    assert admin.get("/moderation/").status_code == 200


def test_a_forged_csrf_token_is_400(moderator: FlaskClient) -> None:
    response = moderator.post("/moderation/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert moderator.get("/moderation/").status_code == 200


@pytest.mark.parametrize("path", ["/moderation/tokens", "/moderation/moderators"])
def test_a_moderator_cannot_open_admin_pages(moderator: FlaskClient, path: str) -> None:
    assert moderator.get(path).status_code == 403


def test_a_moderator_cannot_create_tokens_or_accounts(app: Flask, moderator: FlaskClient) -> None:
    assert post_form(moderator, "/moderation/tokens", name="mine").status_code == 403
    created = post_form(
        moderator, "/moderation/moderators", username="eve", password=PASSWORD, role="admin"
    )
    assert created.status_code == 403
    with app.app_context():
        db = database.session()
        assert db.scalar(select(func.count()).select_from(Moderator)) == 1


def test_a_moderator_cannot_promote_themself(app: Flask, moderator: FlaskClient) -> None:
    with app.app_context():
        mia = accounts.by_username(database.session(), username="mia")
        assert mia is not None
        url = f"/moderation/moderators/{mia.id}"
    assert post_form(moderator, url, change="role", role="admin").status_code == 403


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/moderation/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/api/v1/counters",
        "http://localhost/moderation/",
        "/moderation/\r\nSet-Cookie: x=1",
    ],
)
def test_next_after_login_never_leaves_the_moderation_pages(
    app: Flask, client: FlaskClient, target: str
) -> None:
    make_moderator(app)
    response = log_in(client, next=target)
    assert response.headers["Location"] == "/moderation/"


def test_next_after_login_returns_to_a_moderation_page(app: Flask, client: FlaskClient) -> None:
    make_moderator(app)
    response = log_in(client, next="/moderation/queues/spam?after=3")
    assert response.headers["Location"] == "/moderation/queues/spam?after=3"


def test_logout_refuses_the_old_cookie_replayed(moderator: FlaskClient) -> None:
    old = moderator.get_cookie(COOKIE)
    assert old is not None
    response = post_form(moderator, "/moderation/logout")
    assert response.status_code == 303
    assert moderator.get("/moderation/").status_code == 401
    moderator.set_cookie(COOKIE, old.value)
    assert moderator.get("/moderation/").status_code == 401


def test_logout_is_not_possible_by_get(moderator: FlaskClient) -> None:
    assert moderator.get("/moderation/logout").status_code == 405
    assert moderator.get("/moderation/").status_code == 200


def test_a_disabled_account_loses_its_session(app: Flask, moderator: FlaskClient) -> None:
    with app.app_context():
        db = database.session()
        mia = accounts.by_username(db, username="mia")
        assert mia is not None
        accounts.set_active(db, actor=SETUP, moderator=mia, active=False)
        db.commit()
    assert moderator.get("/moderation/").status_code == 401


def test_a_role_change_ends_the_session(app: Flask, moderator: FlaskClient) -> None:
    with app.app_context():
        db = database.session()
        mia = accounts.by_username(db, username="mia")
        assert mia is not None
        accounts.set_role(db, actor=SETUP, moderator=mia, role=Role.ADMIN)
        db.commit()
    assert moderator.get("/moderation/").status_code == 401


def test_the_session_cookie_is_httponly_samesite_lax_and_secure(
    app: Flask, client: FlaskClient
) -> None:
    make_moderator(app)
    response = log_in(client)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_pages_forbid_framing_and_foreign_scripts(client: FlaskClient) -> None:
    response = client.get("/moderation/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_no_page_changes_anything_on_get(app: Flask, admin: FlaskClient) -> None:
    builders.article(app)

    def snapshot() -> dict[str, Any]:
        with app.app_context():
            db = database.session()
            rows: dict[str, Any] = {}
            for table in Base.metadata.sorted_tables:
                rows[table.name] = [tuple(row) for row in db.execute(table.select())]
            return rows

    before = snapshot()
    for method, url in moderation_routes(app, "/moderation/"):
        if method == "GET":
            assert admin.get(url).status_code in {200, 302, 404}, url
    assert snapshot() == before


def test_the_csrf_token_is_bound_to_the_session(app: Flask, moderator: FlaskClient) -> None:
    token = csrf_token(moderator, "/moderation/")
    other = app.test_client()
    make_moderator(app, "otto")
    log_in(other, "otto")
    response = other.post("/moderation/logout", data={"csrf_token": token})
    assert response.status_code == 400


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": True, "LIMIT_LOGIN": "2 per minute"}])
def test_login_attempts_are_rate_limited_per_client(app: Flask, client: FlaskClient) -> None:
    make_moderator(app)
    assert log_in(client, password="wrong password").status_code == 401
    assert log_in(client, password="wrong password").status_code == 401
    response = log_in(client)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_a_token_with_a_scope_this_version_does_not_know_is_refused_not_an_error(
    app: Flask, client: FlaskClient
) -> None:
    secret = builders.api_token(app, scopes=[TokenScope.ARTICLES])
    with app.app_context():
        db = database.session()
        token = db.scalars(select(ApiToken)).one()
        token.scopes = "articles comments:write"  # a newer version's scope, after a downgrade
        db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.get("/api/v1/moderation/queues", headers=headers)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "insufficient_scope"


def test_a_token_is_given_every_scope_asked_for_however_they_come(app: Flask) -> None:
    wanted = (scope for scope in (TokenScope.MODERATION, TokenScope.ARTICLES))
    with app.app_context():
        db = database.session()
        token, _ = tokens.create(db, actor=SETUP, name="desk", scopes=wanted)
        assert token.scopes == "articles moderation"
        db.rollback()
