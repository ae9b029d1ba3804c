"""engagement commenter export / erase: a commenter's data on request."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engagement import db as database
from engagement.abuse import bans
from engagement.comments import service as comments
from engagement.models import BanKind, ModerationAction, Report, TokenScope
from engagement.moderation import actions
from engagement.moderation.audit import Actor
from tests import builders
from tests.portability.sources import run
from tests.portability.threads import outline, rows, thread, visible_in

# Every test here: the command line is an app of its own, on its own connections.
pytestmark = pytest.mark.commits

ADA = "ada@example.org"


def a_discussion(app: Flask) -> dict[str, int]:
    """Ada comments twice (once answered by Bob) and once elsewhere; Bob and a guest too."""
    builders.article(app, "my-story")
    builders.article(app, "other-story")
    ids: dict[str, int] = {}
    ids["ada"], _ = builders.comment(app, "my-story", "Ada's view", email=ADA, name="Ada")
    ids["bob"], _ = builders.comment(
        app, "my-story", "Bob answers Ada", parent_id=ids["ada"], email="bob@example.org",
        name="Bob", visitor="visitor-2",
    )  # fmt: skip
    ids["ada_again"], _ = builders.comment(app, "my-story", "Ada again", email=ADA, name="Ada")
    ids["guest"], _ = builders.comment(app, "my-story", "A guest", name=None, visitor="v-3")
    ids["ada_elsewhere"], _ = builders.comment(app, "other-story", "Ada there", email=ADA)
    return ids


def test_export_finds_exactly_that_persons_comments(app: Flask, tmp_path: Path) -> None:
    ids = a_discussion(app)
    result = run(app, tmp_path, "commenter", "export", "  Ada@Example.ORG ")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["format"], document["email"]) == ("engagement-commenter", ADA)
    found = {(c["id"], c["article"], c["text"]) for c in document["comments"]}
    assert found == {
        (ids["ada"], "my-story", "Ada's view"),
        (ids["ada_again"], "my-story", "Ada again"),
        (ids["ada_elsewhere"], "other-story", "Ada there"),
    }
    assert {c["status"] for c in document["comments"]} == {"approved"}
    assert all(c["created_at"] for c in document["comments"])


def test_export_lists_the_bans_of_the_address(app: Flask, tmp_path: Path) -> None:
    a_discussion(app)
    with app.app_context():
        db = database.session()
        bans.ban(db, kind=BanKind.EMAIL, value=ADA, reason="spam")
        db.commit()
    document = json.loads(run(app, tmp_path, "commenter", "export", ADA).stdout)
    assert [(ban["kind"], ban["value"]) for ban in document["bans"]] == [("email", ADA)]


def test_erase_deletes_the_comments_and_wipes_their_personal_data(
    app: Flask, tmp_path: Path
) -> None:
    ids = a_discussion(app)
    result = run(app, tmp_path, "commenter", "erase", ADA, "--yes")
    assert result.exit_code == 0, result.output
    assert f"erased 3 comments of {ADA}" in result.stdout
    erased = [row for row in rows(app) if row.id in (ids["ada"], ids["ada_again"])]
    for row in erased:
        assert row.deleted_at is not None
        assert (row.text, row.html, row.author_name, row.author_email) == ("", "", None, None)
        assert row.author_website is None and row.edit_token_hash is None
    exported = json.loads(run(app, tmp_path, "commenter", "export", ADA).stdout)
    assert exported["comments"] == []


def test_erase_keeps_other_readers_replies_and_the_counter_right(
    app: Flask, tmp_path: Path
) -> None:
    a_discussion(app)
    run(app, tmp_path, "commenter", "erase", ADA, "--yes")
    assert outline(app, "my-story") == [
        ("(deleted)", [("Bob answers Ada", [])]),
        ("A guest", []),
    ]
    answer = thread(app, "my-story")
    assert answer["article"]["comments"] == visible_in(answer["comments"]) == 2
    assert builders.counters(app, "other-story") == (0, 0)


def test_erase_is_audited_without_the_address(app: Flask, tmp_path: Path) -> None:
    ids = a_discussion(app)
    run(app, tmp_path, "commenter", "erase", ADA, "--yes")
    with app.app_context():
        entry = (
            database.session()
            .scalars(select(ModerationAction).where(ModerationAction.actor != "setup"))
            .one()
        )
        assert (entry.actor, entry.action) == (f"cli:{getpass.getuser()}", "commenter.erase")
        assert sorted(entry.after["comments"]) == sorted(  # type: ignore[index]
            [ids["ada"], ids["ada_again"], ids["ada_elsewhere"]]
        )
        assert ADA not in json.dumps([entry.reason, entry.before, entry.after]).lower()


def test_erase_wipes_the_text_quoted_in_the_audit_log(app: Flask, tmp_path: Path) -> None:
    ids = a_discussion(app)
    with app.app_context():
        db = database.session()
        actions.act(
            db,
            actor=Actor.command_line(),
            comment=comments.require(db, comment_id=ids["ada"]),
            action=actions.Action.EDIT,
            reason="typo",
            text="Ada's corrected view",
            max_length=app.config["COMMENT_MAX_LENGTH"],
        )
        db.commit()
    run(app, tmp_path, "commenter", "erase", ADA, "--yes")
    with app.app_context():
        log = json.dumps(
            [
                [e.before, e.after]
                for e in database.session().scalars(
                    select(ModerationAction).where(ModerationAction.actor != "setup")
                )
            ]
        )
    assert "Ada's" not in log


def test_erase_wipes_readers_report_notes_on_the_comments(app: Flask, tmp_path: Path) -> None:
    ids = a_discussion(app)
    client = app.test_client()
    note = {"reason": "abuse", "note": "She wrote: Ada's view"}
    assert client.post(f"/api/v1/comments/{ids['ada']}/reports", json=note).status_code == 201
    run(app, tmp_path, "commenter", "erase", ADA, "--yes")
    with app.app_context():
        assert [r.note for r in database.session().scalars(select(Report))] == [None]


def test_an_erased_comment_cannot_be_restored(app: Flask, tmp_path: Path) -> None:
    ids = a_discussion(app)
    run(app, tmp_path, "commenter", "erase", ADA, "--yes")
    secret = builders.api_token(app, scopes=[TokenScope.MODERATION])
    response = app.test_client().post(
        f"/api/v1/moderation/comments/{ids['ada_again']}/restore",
        json={},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "comment_erased"
    assert builders.counters(app, "my-story") == (2, 0)
    (row,) = [row for row in rows(app) if row.id == ids["ada_again"]]
    assert row.deleted_at is not None and row.text == ""


def test_erase_asks_first_and_changes_nothing_when_refused(app: Flask, tmp_path: Path) -> None:
    a_discussion(app)
    result = run(app, tmp_path, "commenter", "erase", ADA, input="n\n")
    assert result.exit_code == 1 and "Erase the 3 comments" in result.output
    assert len(outline(app, "my-story")) == 3
    assert len(json.loads(run(app, tmp_path, "commenter", "export", ADA).stdout)["comments"]) == 3


def test_erase_of_an_address_nobody_used_erases_nothing(app: Flask, tmp_path: Path) -> None:
    a_discussion(app)
    result = run(app, tmp_path, "commenter", "erase", "nobody@example.org", "--yes")
    assert result.exit_code == 0 and "erased 0 comments" in result.stdout
    assert builders.counters(app, "my-story") == (4, 0)


def test_something_that_is_not_an_email_is_refused(app: Flask, tmp_path: Path) -> None:
    result = run(app, tmp_path, "commenter", "export", "not-an-address")
    assert result.exit_code == 1 and "not an email address" in result.stderr
