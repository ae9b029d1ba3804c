"""Admins manage API tokens and moderator accounts from the pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engagement import db as database
from engagement.models import ApiToken, ModerationAction, Role
from engagement.moderation import accounts
from tests.moderation.conftest import PASSWORD, log_in, post_form


def test_a_new_token_is_shown_once_and_works(app: Flask, admin: FlaskClient) -> None:
    created = post_form(admin, "/moderation/tokens", name="cms", scope="moderation")
    assert created.status_code == 200
    secret = re.search(r'id="new-token">(eng_[^<]+)<', created.get_data(as_text=True))
    assert secret is not None
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert app.test_client().get("/api/v1/moderation/queues", headers=headers).status_code == 200
    listing = admin.get("/moderation/tokens").get_data(as_text=True)
    assert "cms" in listing and secret.group(1) not in listing


def test_only_the_tokens_hash_is_stored(app: Flask, admin: FlaskClient) -> None:
    created = post_form(admin, "/moderation/tokens", name="cms", scope="moderation").get_data(
        as_text=True
    )
    secret = re.search(r'id="new-token">(eng_[^<]+)<', created)
    assert secret is not None
    with app.app_context():
        stored = database.session().scalars(select(ApiToken)).one()
        assert secret.group(1) not in stored.token_hash


def test_a_revoked_token_stops_working_and_is_logged(app: Flask, admin: FlaskClient) -> None:
    created = post_form(admin, "/moderation/tokens", name="cms", scope="moderation").get_data(
        as_text=True
    )
    secret = re.search(r'id="new-token">(eng_[^<]+)<', created)
    assert secret is not None
    with app.app_context():
        token_id = database.session().scalars(select(ApiToken.id)).one()
    assert post_form(admin, f"/moderation/tokens/{token_id}/revoke").status_code == 303
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert app.test_client().get("/api/v1/moderation/queues", headers=headers).status_code == 401
    with app.app_context():
        actions = (
            database.session()
            .scalars(select(ModerationAction.action).where(ModerationAction.actor != "setup"))
            .all()
        )
        assert actions == ["token.create", "token.revoke"]


def test_a_token_needs_a_name(app: Flask, admin: FlaskClient) -> None:
    post_form(admin, "/moderation/tokens", name="  ", scope="articles")
    with app.app_context():
        assert database.session().scalars(select(ApiToken)).all() == []


def test_a_token_needs_a_scope(app: Flask, admin: FlaskClient) -> None:
    response = post_form(admin, "/moderation/tokens", name="cms")
    assert response.status_code == 303
    assert "Choose what the token may do" in admin.get("/moderation/tokens").get_data(as_text=True)
    with app.app_context():
        assert database.session().scalars(select(ApiToken)).all() == []


def test_a_token_with_an_unknown_scope_is_refused(app: Flask, admin: FlaskClient) -> None:
    post_form(admin, "/moderation/tokens", name="cms", scope=["articles", "everything"])
    with app.app_context():
        assert database.session().scalars(select(ApiToken)).all() == []


def test_a_token_gets_the_scopes_ticked_and_shows_them(app: Flask, admin: FlaskClient) -> None:
    created = post_form(
        admin, "/moderation/tokens", name="cms", scope=["moderation", "articles"]
    ).get_data(as_text=True)
    assert "<td>articles moderation</td>" in created
    with app.app_context():
        (action,) = (
            database.session()
            .scalars(select(ModerationAction).where(ModerationAction.actor != "setup"))
            .all()
        )
        assert action.after is not None
        assert (action.after["name"], action.after["scopes"]) == ("cms", "articles moderation")


def test_an_admin_creates_an_account_that_can_log_in(app: Flask, admin: FlaskClient) -> None:
    response = post_form(
        admin, "/moderation/moderators", username="mo", password=PASSWORD, role="moderator"
    )
    assert response.status_code == 303
    assert log_in(app.test_client(), "mo").status_code == 303


def test_a_short_password_is_refused(app: Flask, admin: FlaskClient) -> None:
    post_form(admin, "/moderation/moderators", username="mo", password="short", role="moderator")
    with app.app_context():
        assert accounts.by_username(database.session(), username="mo") is None


def test_an_admin_promotes_a_moderator(app: Flask, admin: FlaskClient) -> None:
    post_form(admin, "/moderation/moderators", username="mo", password=PASSWORD, role="moderator")
    with app.app_context():
        mo = accounts.by_username(database.session(), username="mo")
        assert mo is not None
        url = f"/moderation/moderators/{mo.id}"
    assert post_form(admin, url, change="role", role="admin").status_code == 303
    with app.app_context():
        mo = accounts.by_username(database.session(), username="mo")
        assert mo is not None and mo.role is Role.ADMIN


def test_an_admin_disables_an_account_and_its_session_ends(app: Flask, admin: FlaskClient) -> None:
    post_form(admin, "/moderation/moderators", username="mo", password=PASSWORD, role="moderator")
    mo_client = app.test_client()
    log_in(mo_client, "mo")
    with app.app_context():
        mo = accounts.by_username(database.session(), username="mo")
        assert mo is not None
        url = f"/moderation/moderators/{mo.id}"
    post_form(admin, url, change="disable")
    assert mo_client.get("/moderation/").status_code == 401
    assert log_in(app.test_client(), "mo").status_code == 401


def test_an_admin_unlocks_a_locked_account(app: Flask, admin: FlaskClient) -> None:
    post_form(admin, "/moderation/moderators", username="mo", password=PASSWORD, role="moderator")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        log_in(app.test_client(), "mo", "wrong password")
    assert log_in(app.test_client(), "mo").status_code == 401
    with app.app_context():
        mo = accounts.by_username(database.session(), username="mo")
        assert mo is not None
        url = f"/moderation/moderators/{mo.id}"
    post_form(admin, url, change="unlock")
    assert log_in(app.test_client(), "mo").status_code == 303


def test_an_admin_cannot_demote_themself(app: Flask, admin: FlaskClient) -> None:
    with app.app_context():
        ada = accounts.by_username(database.session(), username="ada")
        assert ada is not None
        url = f"/moderation/moderators/{ada.id}"
    post_form(admin, url, change="role", role="moderator")
    with app.app_context():
        ada = accounts.by_username(database.session(), username="ada")
        assert ada is not None and ada.role is Role.ADMIN


def test_changing_ones_password_ends_other_sessions(app: Flask, moderator: FlaskClient) -> None:
    elsewhere = app.test_client()
    log_in(elsewhere)
    new = "a much better passphrase"
    response = post_form(moderator, "/moderation/password", current=PASSWORD, new=new)
    assert response.status_code == 303
    assert moderator.get("/moderation/").status_code == 200
    assert elsewhere.get("/moderation/").status_code == 401
    assert log_in(app.test_client(), password=new).status_code == 303
