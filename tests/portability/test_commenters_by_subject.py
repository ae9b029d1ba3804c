"""A signed-in reader's data by SSO subject: export and erasure from the CLI, the moderation
API and the moderation pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import Comment, ModerationAction, Reader, Role
from tests import builders
from tests.identity.tokens import SSO_SETTINGS, bearer, sign_in
from tests.moderation.conftest import log_in, make_moderator, post_form
from tests.portability.sources import run

URL = "/api/v1/articles/the-story/comments"


@pytest.fixture
def settings() -> dict[str, Any]:
    return dict(SSO_SETTINGS)


def a_discussion(app: Flask, client: FlaskClient) -> dict[str, int]:
    """Ada (signed in) comments and is answered by a guest; a guest comments too."""
    builders.article(app)
    session = sign_in(client, "reader-42", name="Ada Lovelace", email="ada@readers.example")
    ids = {"ada": client.post(URL, json={"text": "Ada's view"}, headers=bearer(session))}
    ids_out = {"ada": int(ids["ada"].json["comment"]["id"])}
    ids_out["reply"], _ = builders.comment(app, text="A guest answers", parent_id=ids_out["ada"])
    ids_out["guest"], _ = builders.comment(app, text="A guest alone", visitor="v-3")
    return ids_out


def cms_headers(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.api_token(app)}"}


def test_the_api_exports_a_readers_data_by_subject(app: Flask, client: FlaskClient) -> None:
    ids = a_discussion(app, client)
    response = client.post(
        "/api/v1/moderation/commenters/export", json={"subject": "reader-42"},
        headers=cms_headers(app),
    )  # fmt: skip
    assert response.status_code == 200
    document = response.json
    assert (document["subject"], document["email"]) == ("reader-42", None)
    assert document["reader"]["name"] == "Ada Lovelace"
    assert document["reader"]["email"] == "ada@readers.example"
    assert [c["id"] for c in document["comments"]] == [ids["ada"]]


def test_the_api_erases_a_reader_by_subject(app: Flask, client: FlaskClient) -> None:
    ids = a_discussion(app, client)
    response = client.post(
        "/api/v1/moderation/commenters/erase", json={"subject": "reader-42"},
        headers=cms_headers(app),
    )  # fmt: skip
    assert response.json == {"comments": 1, "bans_kept": 0}
    with app.app_context():
        db = database.session()
        comment = db.get(Comment, ids["ada"])
        assert comment is not None and comment.erased
        assert (comment.author_subject, comment.author_name, comment.author_email) == (
            None,
            None,
            None,
        )
        assert db.query(Reader).count() == 0
        entry = db.query(ModerationAction).filter_by(action="commenter.erase").one()
        assert "reader-42" not in json.dumps(entry.after)
    placeholder, _guest = client.get(URL).json["comments"]
    assert placeholder["deleted"] is True and len(placeholder["replies"]) == 1
    assert builders.counters(app, "the-story")[0] == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "ada@readers.example", "subject": "reader-42"},
        {"subject": ""},
        {"subject": "x" * 201},
        {"subject": 42},
    ],
)
def test_the_api_needs_one_commenter(app: Flask, client: FlaskClient, body: Any) -> None:
    for route in ("export", "erase"):
        response = client.post(
            f"/api/v1/moderation/commenters/{route}", json=body, headers=cms_headers(app)
        )
        assert response.status_code == 400


@pytest.mark.commits
def test_the_cli_exports_and_erases_by_subject(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    ids = a_discussion(app, client)
    exported = run(app, tmp_path, "commenter", "export", "--subject", "reader-42")
    assert exported.exit_code == 0, exported.output
    assert [c["id"] for c in json.loads(exported.stdout)["comments"]] == [ids["ada"]]
    erased = run(app, tmp_path, "commenter", "erase", "--subject", "reader-42", "--yes")
    assert erased.exit_code == 0, erased.output
    assert "erased 1 comments" in erased.stdout


@pytest.mark.commits
def test_the_cli_needs_one_commenter(app: Flask, tmp_path: Path) -> None:
    assert run(app, tmp_path, "commenter", "export").exit_code != 0
    both = run(app, tmp_path, "commenter", "erase", "a@b.example", "--subject", "x", "--yes")
    assert both.exit_code != 0


def test_the_pages_export_and_erase_by_subject(app: Flask, client: FlaskClient) -> None:
    ids = a_discussion(app, client)
    make_moderator(app, "ada-admin", role=Role.ADMIN)
    admin = app.test_client()
    log_in(admin, "ada-admin")
    assert "Commenters" in admin.get("/moderation/commenters").get_data(as_text=True)
    download = post_form(admin, "/moderation/commenters", subject="reader-42", action="export")
    assert download.status_code == 200
    assert [c["id"] for c in download.json["comments"]] == [ids["ada"]]
    unconfirmed = post_form(admin, "/moderation/commenters", subject="reader-42", action="erase")
    assert unconfirmed.status_code == 303
    with app.app_context():
        assert database.session().query(Reader).count() == 1, "nothing without the box ticked"
    erased = post_form(
        admin, "/moderation/commenters", subject="reader-42", action="erase", confirm="erase"
    )
    assert erased.status_code == 303
    with app.app_context():
        assert database.session().query(Reader).count() == 0


def test_only_admins_reach_the_commenters_page(app: Flask, client: FlaskClient) -> None:
    make_moderator(app, "mia")
    log_in(client, "mia")
    assert client.get("/moderation/commenters").status_code == 403
