"""Account and token changes are audited by the verbs themselves, whichever door they come
through (command line, pages); a change that changes nothing writes nothing; the last active
admin stays."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engagement import db as database
from engagement import tokens
from engagement.errors import status_of
from engagement.models import ApiToken, CommentStatus, ModerationAction, Role, TokenScope
from engagement.moderation import accounts
from engagement.moderation.audit import Actor
from engagement.refusals import Refusal
from tests import builders
from tests.conftest import committing
from tests.moderation.conftest import (
    PASSWORD,
    SETUP,
    comment_row,
    log_in,
    make_moderator,
    post_form,
)
from tests.test_cli import run

OPERATOR = f"cli:{getpass.getuser()}"


def cli(app: Flask, tmp_path: Path, *args: str) -> tuple[int, str]:
    return run(tmp_path, *args, url=committing(app).config["DATABASE_URL"])


def log(app: Flask) -> list[tuple[str, str]]:
    """(actor, action) of every audit entry but the tests' own set-up, oldest first."""
    with app.app_context():
        entries = database.session().scalars(
            select(ModerationAction)
            .where(ModerationAction.actor != SETUP.name)
            .order_by(ModerationAction.id)
        )
        return [(entry.actor, entry.action) for entry in entries]


def last_entry(app: Flask) -> ModerationAction:
    with app.app_context():
        entry = (
            database.session()
            .scalars(select(ModerationAction).order_by(ModerationAction.id.desc()).limit(1))
            .one()
        )
        return entry


# --- the command line -----------------------------------------------------------------------


@pytest.mark.commits
@pytest.mark.parametrize(
    ("args", "action"),
    [
        (("create-moderator", "mo", "--password", PASSWORD), "moderator.create"),
        (("set-password", "mia", "--password", "a brand new password"), "moderator.password"),
        (("set-role", "mia", "admin"), "moderator.role"),
        (("disable-moderator", "mia"), "moderator.disable"),
        (("create-token", "cms"), "token.create"),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else value,
)
def test_a_command_line_change_is_audited_as_the_operator(
    app: Flask, tmp_path: Path, args: tuple[str, ...], action: str
) -> None:
    make_moderator(app, "mia")
    code, output = cli(app, tmp_path, *args)
    assert code == 0, output
    assert log(app) == [(OPERATOR, action)]


@pytest.mark.commits
def test_enabling_from_the_command_line_is_audited(app: Flask, tmp_path: Path) -> None:
    make_moderator(app, "mia")
    cli(app, tmp_path, "disable-moderator", "mia")
    cli(app, tmp_path, "disable-moderator", "mia", "--enable")
    assert log(app) == [(OPERATOR, "moderator.disable"), (OPERATOR, "moderator.enable")]
    entry = last_entry(app)
    assert entry.before == {"username": "mia", "role": "moderator", "active": False}
    assert entry.after == {"username": "mia", "role": "moderator", "active": True}


@pytest.mark.commits
def test_unlocking_from_the_command_line_is_audited(app: Flask, tmp_path: Path) -> None:
    make_moderator(app, "mia")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        log_in(app.test_client(), password="wrong password")
    code, output = cli(app, tmp_path, "unlock-moderator", "mia")
    assert code == 0 and "mia unlocked" in output
    assert log(app) == [(OPERATOR, "moderator.unlock")]


@pytest.mark.commits
def test_revoking_from_the_command_line_is_audited(app: Flask, tmp_path: Path) -> None:
    builders.api_token(app)
    with app.app_context():
        token_id = database.session().scalars(select(ApiToken.id)).one()
    code, _ = cli(app, tmp_path, "revoke-token", str(token_id))
    assert code == 0
    assert log(app) == [(OPERATOR, "token.revoke")]


@pytest.mark.commits
def test_a_password_never_reaches_the_audit_log(app: Flask, tmp_path: Path) -> None:
    make_moderator(app, "mia")
    cli(app, tmp_path, "set-password", "mia", "--password", "a brand new password")
    entry = last_entry(app)
    assert "a brand new password" not in str(entry.before) + str(entry.after)


# --- changes that change nothing --------------------------------------------------------------


@pytest.mark.commits
@pytest.mark.parametrize(
    ("args", "answer"),
    [
        (("set-role", "mia", "moderator"), "mia is already moderator"),
        (("disable-moderator", "mia", "--enable"), "mia was enabled already"),
        (("unlock-moderator", "mia"), "mia was not locked"),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else value,
)
def test_a_command_that_changes_nothing_says_so_and_writes_no_audit_row(
    app: Flask, tmp_path: Path, args: tuple[str, ...], answer: str
) -> None:
    make_moderator(app, "mia")
    code, output = cli(app, tmp_path, *args)
    assert code == 0 and answer in output
    assert log(app) == []


@pytest.mark.commits
def test_disabling_a_disabled_account_writes_no_second_audit_row(
    app: Flask, tmp_path: Path
) -> None:
    make_moderator(app, "mia")
    cli(app, tmp_path, "disable-moderator", "mia")
    code, output = cli(app, tmp_path, "disable-moderator", "mia")
    assert code == 0 and "mia was disabled already" in output
    assert log(app) == [(OPERATOR, "moderator.disable")]


@pytest.mark.commits
def test_revoking_a_revoked_token_writes_no_second_audit_row(app: Flask, tmp_path: Path) -> None:
    builders.api_token(app)
    with app.app_context():
        token_id = database.session().scalars(select(ApiToken.id)).one()
    cli(app, tmp_path, "revoke-token", str(token_id))
    code, output = cli(app, tmp_path, "revoke-token", str(token_id))
    assert code == 0 and "was revoked already" in output
    assert log(app) == [(OPERATOR, "token.revoke")]


def test_an_admin_disabling_a_disabled_account_on_the_page_writes_nothing(
    app: Flask, admin: FlaskClient
) -> None:
    mia = make_moderator(app, "mia")
    post_form(admin, f"/moderation/moderators/{mia}", change="disable")
    post_form(admin, f"/moderation/moderators/{mia}", change="disable")
    assert log(app) == [("ada", "moderator.disable")]


def test_approving_an_approved_comment_writes_no_audit_row(app: Flask) -> None:
    article = builders.article(app)
    comment_id = comment_row(app, article.id, status=CommentStatus.APPROVED)
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}
    client = app.test_client()
    response = client.post(f"/api/v1/moderation/comments/{comment_id}/approve", headers=headers)
    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert log(app) == []


def test_approving_an_approved_comment_with_open_reports_resolves_them_and_is_audited(
    app: Flask,
) -> None:
    article = builders.article(app)
    comment_id = comment_row(app, article.id, status=CommentStatus.APPROVED, reports=1)
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}
    app.test_client().post(f"/api/v1/moderation/comments/{comment_id}/approve", headers=headers)
    assert log(app) == [("token:cms", "comment.approve")]
    assert last_entry(app).after["reports_resolved"] == 1


def test_unpinning_an_unpinned_comment_writes_no_audit_row(app: Flask) -> None:
    article = builders.article(app)
    comment_id = comment_row(app, article.id, status=CommentStatus.APPROVED)
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}
    app.test_client().post(f"/api/v1/moderation/comments/{comment_id}/unpin", headers=headers)
    assert log(app) == []


# --- the last active admin ------------------------------------------------------------------


@pytest.mark.commits
@pytest.mark.parametrize(
    "args", [("set-role", "ada", "moderator"), ("disable-moderator", "ada")], ids=lambda a: a[0]
)
def test_the_last_active_admin_cannot_be_demoted_or_disabled_from_the_command_line(
    app: Flask, tmp_path: Path, args: tuple[str, ...]
) -> None:
    make_moderator(app, "ada", role=Role.ADMIN)
    make_moderator(app, "mia")
    code, output = cli(app, tmp_path, *args)
    assert code == 1
    assert "ada is the last active admin: make another account admin first." in output
    with app.app_context():
        ada = accounts.by_username(database.session(), username="ada")
        assert ada is not None and ada.role is Role.ADMIN and ada.active
    assert log(app) == []


@pytest.mark.commits
def test_an_admin_can_be_demoted_while_another_active_admin_remains(
    app: Flask, tmp_path: Path
) -> None:
    make_moderator(app, "ada", role=Role.ADMIN)
    make_moderator(app, "bea", role=Role.ADMIN)
    code, output = cli(app, tmp_path, "set-role", "ada", "moderator")
    assert code == 0, output
    code, output = cli(app, tmp_path, "disable-moderator", "bea")
    assert code == 1 and "bea is the last active admin" in output


@pytest.mark.commits
def test_a_disabled_admin_does_not_count_as_the_remaining_admin(app: Flask, tmp_path: Path) -> None:
    make_moderator(app, "ada", role=Role.ADMIN)
    make_moderator(app, "bea", role=Role.ADMIN)
    cli(app, tmp_path, "disable-moderator", "bea")
    code, output = cli(app, tmp_path, "set-role", "ada", "moderator")
    assert code == 1 and "ada is the last active admin" in output


def test_the_verb_refuses_to_disable_the_last_active_admin(app: Flask) -> None:
    # The pages already refuse an admin's change to their own role or state, so the last
    # admin's own session never reaches it there; the verb refuses whoever asks.
    make_moderator(app, "ada", role=Role.ADMIN)
    with app.app_context():
        db = database.session()
        ada = accounts.by_username(db, username="ada")
        assert ada is not None
        with pytest.raises(Refusal) as refused:
            accounts.set_active(db, actor=SETUP, moderator=ada, active=False)
        assert (status_of(refused.value), refused.value.code) == (409, "last_admin")


def test_a_token_records_the_admin_who_made_it(app: Flask) -> None:
    ada_id = make_moderator(app, "ada", role=Role.ADMIN)
    with app.app_context():
        db = database.session()
        ada = accounts.get(db, moderator_id=ada_id)
        assert ada is not None
        token, _ = tokens.create(
            db, actor=Actor.moderator(ada), name="desk", scopes=[TokenScope.ARTICLES]
        )
        db.commit()
        assert token.created_by_id == ada_id
    assert log(app) == [("ada", "token.create")]
