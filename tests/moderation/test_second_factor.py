"""Moderators' second factor: enrolment with a QR code, login with a code, recovery codes,
the admins' requirement, and the lockout that covers the second step."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engagement import db as database
from engagement.models import Moderator, Role, utcnow
from tests.moderation.conftest import csrf_token, log_in, make_moderator, post_form

SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def on_account(client: FlaskClient, path: str, **form: str) -> TestResponse:
    """Post a form of the account page (reachable even while a second factor is required)."""
    token = csrf_token(client, "/moderation/account")
    return client.post(path, data={"csrf_token": token, **form})


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Turn the second factor on from the account page; the secret and the recovery codes."""
    assert on_account(client, "/moderation/account/second-factor/start").status_code == 303
    page = client.get("/moderation/account").get_data(as_text=True)
    assert '<img src="data:image/svg+xml' in page, "the QR code is drawn inline"
    found = SECRET.search(page)
    assert found
    secret = found.group(1)
    confirmed = on_account(
        client, "/moderation/account/second-factor/confirm", code=pyotp.TOTP(secret).now()
    )
    assert confirmed.status_code == 200
    codes = CODES.findall(confirmed.get_data(as_text=True))
    return secret, codes


def send_code(client: FlaskClient, code: str) -> TestResponse:
    token = csrf_token(client, "/moderation/login/code")
    return client.post("/moderation/login/code", data={"code": code, "csrf_token": token})


def next_code(secret: str) -> str:
    """The code of the next time step: accepted (one step of clock drift), and later than the
    one used at enrolment, which can never be used again."""
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))


def fresh_client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_enrolment_shows_a_qr_code_and_ten_recovery_codes(
    app: Flask, moderator: FlaskClient
) -> None:
    _, codes = enrol(moderator)
    assert len(codes) == 10 and len(set(codes)) == 10
    page = moderator.get("/moderation/account").get_data(as_text=True)
    assert "Recovery codes left: 10" in page
    with app.app_context():
        from engagement.models import RecoveryCode

        stored = database.session().query(RecoveryCode.code_hash).all()
        assert not {hash_ for (hash_,) in stored} & set(codes), "only hashes are kept"


def test_a_wrong_code_does_not_turn_it_on(app: Flask, moderator: FlaskClient) -> None:
    post_form(moderator, "/moderation/account/second-factor/start")
    response = post_form(moderator, "/moderation/account/second-factor/confirm", code="000000")
    assert response.status_code == 303
    with app.app_context():
        mia = database.session().query(Moderator).filter_by(username="mia").one()
        assert mia.totp_enabled_at is None


def test_login_asks_for_the_code_after_the_password(app: Flask, moderator: FlaskClient) -> None:
    secret, _ = enrol(moderator)
    browser = fresh_client(app)
    response = log_in(browser)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login/code")
    assert browser.get("/moderation/").status_code == 401, "not logged in before the code"
    done = send_code(browser, next_code(secret))
    assert done.status_code == 303
    assert browser.get("/moderation/").status_code == 200


def test_a_code_works_once(app: Flask, moderator: FlaskClient) -> None:
    secret, _ = enrol(moderator)
    code = next_code(secret)
    first = fresh_client(app)
    log_in(first)
    assert send_code(first, code).status_code == 303
    second = fresh_client(app)
    log_in(second)
    assert send_code(second, code).status_code == 401


def test_a_recovery_code_logs_in_once(app: Flask, moderator: FlaskClient) -> None:
    _, codes = enrol(moderator)
    first = fresh_client(app)
    log_in(first)
    assert send_code(first, codes[3].upper()).status_code == 303
    assert first.get("/moderation/").status_code == 200
    again = fresh_client(app)
    log_in(again)
    assert send_code(again, codes[3]).status_code == 401
    assert "Recovery codes left: 9" in first.get("/moderation/account").get_data(as_text=True)


def test_wrong_codes_lock_the_account_like_wrong_passwords(
    app: Flask, moderator: FlaskClient
) -> None:
    secret, _ = enrol(moderator)
    browser = fresh_client(app)
    for _ in range(4):
        log_in(browser)  # the right password each time: it must not reset the count
        assert send_code(browser, "000000").status_code == 401
    log_in(browser)
    locked = send_code(browser, "000000")
    assert "locked" in locked.get_data(as_text=True)
    refused = log_in(browser)
    assert refused.status_code == 401, "even the right password waits out the lockout"
    with app.app_context():
        mia = database.session().query(Moderator).filter_by(username="mia").one()
        assert mia.locked_until is not None
    assert secret


def test_the_code_step_expires_and_needs_the_password_first(app: Flask) -> None:
    make_moderator(app, "mia")
    browser = fresh_client(app)
    assert browser.get("/moderation/login/code").status_code == 401, "the password comes first"
    response = browser.post(
        "/moderation/login/code",
        data={"code": "123456", "csrf_token": csrf_token(browser)},
    )
    assert response.status_code == 401


def test_admins_can_require_a_second_factor(app: Flask, client: FlaskClient) -> None:
    make_moderator(app, "ada", role=Role.ADMIN)
    make_moderator(app, "mia")
    admin = fresh_client(app)
    log_in(admin, "ada")
    response = post_form(admin, "/moderation/settings/second-factor", required="on")
    assert response.status_code == 303
    log_in(client, "mia")
    blocked = client.get("/moderation/queues/pending")
    assert blocked.status_code == 303 and blocked.headers["Location"].endswith("/account")
    enrol(client)
    assert client.get("/moderation/queues/pending").status_code == 200
    off = post_form(client, "/moderation/account/second-factor/off", code="000000")
    assert off.status_code == 303
    with app.app_context():
        mia = database.session().query(Moderator).filter_by(username="mia").one()
        assert mia.totp_enabled_at is not None, "it cannot be turned off while required"


def test_only_admins_change_the_requirement(app: Flask, moderator: FlaskClient) -> None:
    response = post_form(moderator, "/moderation/settings/second-factor", required="on")
    assert response.status_code == 403


def test_turning_it_off_takes_a_current_code(app: Flask, moderator: FlaskClient) -> None:
    secret, _ = enrol(moderator)
    post_form(moderator, "/moderation/account/second-factor/off", code="000000")
    with app.app_context():
        assert database.session().query(Moderator).one().totp_enabled_at is not None
    post_form(moderator, "/moderation/account/second-factor/off", code=next_code(secret))
    with app.app_context():
        assert database.session().query(Moderator).one().totp_enabled_at is None


@pytest.mark.parametrize(
    "code", ["", "x" * 500, "12345", "\uff11\uff12\uff13\uff14\uff15\uff16", "\x00\x01"]
)
def test_odd_codes_are_refused_without_error(app: Flask, moderator: FlaskClient, code: str) -> None:
    enrol(moderator)
    browser = fresh_client(app)
    log_in(browser)
    assert send_code(browser, code).status_code in {400, 401}  # NUL is refused as input


@pytest.mark.commits
def test_the_command_line_resets_a_lost_second_factor(
    app: Flask, moderator: FlaskClient, tmp_path: Path
) -> None:
    from tests.moderation.test_cli import cli

    enrol(moderator)
    code, output = cli(app, tmp_path, "reset-second-factor", "mia")
    assert code == 0 and "second factor off" in output
    assert moderator.get("/moderation/").status_code == 401, "its sessions ended"
    browser = fresh_client(app)
    assert log_in(browser).headers["Location"].endswith("/moderation/"), "password alone again"
