"""Each action does what it says to the thread, the counters, the queues and the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engagement import db as database
from engagement.models import CommentStatus, ModerationAction, ModerationMode, Report
from tests import builders
from tests.moderation.conftest import post_form


class Cms:
    """The moderation API as the CMS calls it."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {builders.api_token(app, 'cms')}"}

    def act(self, comment_id: int, action: str, **body: Any) -> Any:
        return self.client.post(
            f"/api/v1/moderation/comments/{comment_id}/{action}", json=body, headers=self.headers
        )

    def bulk(self, **body: Any) -> Any:
        return self.client.post("/api/v1/moderation/comments/bulk", json=body, headers=self.headers)

    def queue(self, name: str) -> list[int]:
        body = self.client.get(f"/api/v1/moderation/queues/{name}", headers=self.headers).json
        return [item["id"] for item in body["comments"]]


@pytest.fixture
def cms(app: Flask, client: FlaskClient) -> Cms:
    return Cms(app, client)


def thread(client: FlaskClient, key: str = "the-story") -> list[dict[str, Any]]:
    return client.get(f"/api/v1/articles/{key}/comments").json["comments"]  # type: ignore[no-any-return]


def thread_ids(client: FlaskClient) -> list[int]:
    return [comment["id"] for comment in thread(client)]


def log(app: Flask) -> list[ModerationAction]:
    with app.app_context():
        return list(
            database.session().scalars(
                select(ModerationAction).where(ModerationAction.actor != "setup").order_by("id")
            )
        )


def test_approve_puts_a_pending_comment_in_the_thread_and_the_count(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    held, _ = builders.comment(app)
    assert thread_ids(client) == [] and cms.queue("pending") == [held]
    response = cms.act(held, "approve", reason="fine")
    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert thread_ids(client) == [held]
    assert builders.counters(app, "the-story") == (1, 0)
    assert cms.queue("pending") == []


@pytest.mark.parametrize(("action", "status"), [("reject", "rejected"), ("spam", "spam")])
def test_reject_and_spam_take_a_visible_comment_out(
    app: Flask, client: FlaskClient, cms: Cms, action: str, status: str
) -> None:
    shown, _ = builders.comment(app)
    assert builders.counters(app, "the-story") == (1, 0)
    assert cms.act(shown, action).json["status"] == status
    assert thread_ids(client) == []
    assert builders.counters(app, "the-story") == (0, 0)


def test_not_spam_brings_a_comment_back_from_the_spam_queue(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    held, _ = builders.comment(app, status=CommentStatus.SPAM)
    assert cms.queue("spam") == [held]
    cms.act(held, "not-spam")
    assert cms.queue("spam") == [] and thread_ids(client) == [held]
    assert builders.counters(app, "the-story") == (1, 0)


def test_not_spam_on_a_comment_that_is_not_spam_is_409_and_changes_nothing(
    app: Flask, cms: Cms
) -> None:
    held, _ = builders.comment(app, status=CommentStatus.PENDING)
    response = cms.act(held, "not-spam")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_spam"
    assert cms.queue("pending") == [held] and log(app) == []


def test_delete_with_replies_leaves_a_placeholder_and_restore_undoes_it(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    parent, _ = builders.comment(app, "the-story", "The parent")
    reply, _ = builders.comment(app, "the-story", "The reply", parent_id=parent)
    assert builders.counters(app, "the-story") == (2, 0)
    cms.act(parent, "delete", reason="insult")
    (placeholder,) = thread(client)
    assert placeholder["id"] == parent and placeholder["status"] == "deleted"
    assert [r["id"] for r in placeholder["replies"]] == [reply]
    assert builders.counters(app, "the-story") == (1, 0)
    cms.act(parent, "restore")
    assert thread(client)[0]["status"] == "approved"
    assert builders.counters(app, "the-story") == (2, 0)


def test_a_deleted_comment_must_be_restored_before_anything_else(app: Flask, cms: Cms) -> None:
    shown, _ = builders.comment(app)
    cms.act(shown, "delete")
    response = cms.act(shown, "approve")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "comment_deleted"


def test_edit_replaces_the_text_and_logs_both_versions(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    shown, _ = builders.comment(app, text="You are an idiot and the budget is wrong.")
    response = cms.act(shown, "edit", text="[removed] The budget is wrong.", reason="insult")
    assert response.status_code == 200
    (comment,) = thread(client)
    assert "[removed]" in comment["html"] and "idiot" not in comment["html"]
    assert comment["edited_at"] is not None
    (entry,) = log(app)
    assert entry.before["text"] == "You are an idiot and the budget is wrong."  # type: ignore[index]
    assert entry.after["text"] == "[removed] The budget is wrong."  # type: ignore[index]
    assert entry.reason == "insult"


def test_an_edit_needs_a_note(app: Flask, client: FlaskClient, cms: Cms) -> None:
    shown, _ = builders.comment(app, text="Original")
    response = cms.act(shown, "edit", text="Changed")
    assert response.status_code == 400
    assert response.json["error"]["field"] == "reason"
    assert "Original" in thread(client)[0]["html"]


def test_an_edit_to_empty_text_is_400(app: Flask, cms: Cms) -> None:
    shown, _ = builders.comment(app, text="Original")
    response = cms.act(shown, "edit", text="   ", reason="why not")
    assert response.status_code == 400
    assert log(app) == []


def test_pin_puts_a_comment_first_and_unpin_puts_it_back(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    first, _ = builders.comment(app, text="first")
    second, _ = builders.comment(app, text="second")
    cms.act(second, "pin")
    assert thread_ids(client) == [second, first]
    cms.act(second, "unpin")
    assert thread_ids(client) == [first, second]


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("approve", "pending", "approved"),
        ("reject", "pending", "rejected"),
        ("spam", "pending", "spam"),
    ],
)
def test_every_action_is_logged_with_who_what_why_and_the_states(
    app: Flask, cms: Cms, action: str, before: str, after: str
) -> None:
    story = builders.article(app, moderation=ModerationMode.PRE)
    held, _ = builders.comment(app)
    cms.act(held, action, reason="because")
    (entry,) = log(app)
    assert entry.actor == "token:cms" and entry.token_id is not None
    assert entry.action == f"comment.{action}"
    assert (entry.comment_id, entry.article_id, entry.reason) == (held, story.id, "because")
    assert entry.before == {"status": before, "deleted": False, "pinned": False}
    assert entry.after == {"status": after, "deleted": False, "pinned": False}
    assert entry.created_at is not None


def report(app: Flask, comment_id: int, times: int) -> None:
    with app.app_context():
        from engagement.comments import reports
        from engagement.comments.settings import Settings
        from engagement.models import Comment, ReportReason

        db = database.session()
        comment = db.get(Comment, comment_id)
        assert comment is not None
        for index in range(times):
            reports.report(
                db,
                comment=comment,
                visitor=f"reader-{index}",
                reason=ReportReason.ABUSE,
                hide_after=Settings.from_app(app).hide_after_reports,
            )
        db.commit()


def open_reports(app: Flask) -> int:
    with app.app_context():
        query = select(Report).where(Report.resolved_at.is_(None))
        return len(database.session().scalars(query).all())


def test_keeping_a_reported_comment_resolves_its_reports(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    shown, _ = builders.comment(app)
    report(app, shown, 3)
    assert cms.queue("reported") == [shown]
    cms.act(shown, "approve")
    assert cms.queue("reported") == [] and open_reports(app) == 0
    assert thread_ids(client) == [shown]
    assert log(app)[0].after["reports_resolved"] == 3  # type: ignore[index]


def test_pinning_a_reported_comment_leaves_it_reported(app: Flask, cms: Cms) -> None:
    shown, _ = builders.comment(app)
    report(app, shown, 3)
    cms.act(shown, "pin")
    assert cms.queue("reported") == [shown]


def test_a_reported_comment_stays_visible_by_default(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    shown, _ = builders.comment(app)
    report(app, shown, 5)
    assert thread_ids(client) == [shown]


@pytest.mark.parametrize("settings", [{"REPORTED_VISIBLE": False, "REPORT_THRESHOLD": 2}])
def test_a_reported_comment_can_be_held_until_a_moderator_decides(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    shown, _ = builders.comment(app)
    report(app, shown, 1)
    assert thread_ids(client) == [shown]
    report(app, shown, 2)
    assert thread_ids(client) == [] and builders.counters(app, "the-story") == (0, 0)
    assert cms.queue("reported") == [shown]
    cms.act(shown, "approve")
    assert thread_ids(client) == [shown] and builders.counters(app, "the-story") == (1, 0)


def test_bulk_approve_shows_every_selected_comment(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    held = [builders.comment(app, text=f"comment {n}")[0] for n in range(3)]
    response = cms.bulk(action="approve", ids=held, reason="batch")
    assert response.status_code == 200
    assert [item["status"] for item in response.json["comments"]] == ["approved"] * 3
    assert sorted(thread_ids(client)) == held
    assert builders.counters(app, "the-story") == (3, 0)
    assert [entry.comment_id for entry in log(app)] == held


def test_bulk_with_an_unknown_comment_changes_nothing(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    held, _ = builders.comment(app)
    response = cms.bulk(action="approve", ids=[held, 999999])
    assert response.status_code == 404
    assert thread_ids(client) == [] and log(app) == []


@pytest.mark.parametrize(
    "body",
    [
        {"action": "edit", "ids": [1]},
        {"action": "approve", "ids": []},
        {"action": "approve", "ids": list(range(1, 202))},
        {"action": "approve"},
        {"action": "approve", "ids": ["x"]},
    ],
)
def test_bad_bulk_requests_are_400(app: Flask, cms: Cms, body: dict[str, Any]) -> None:
    response = cms.bulk(**body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid"


def test_an_unknown_action_is_404(app: Flask, cms: Cms) -> None:
    shown, _ = builders.comment(app)
    response = cms.act(shown, "obliterate")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_action"


def test_an_unknown_comment_is_404(app: Flask, cms: Cms) -> None:
    response = cms.act(424242, "approve")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "comment_not_found"


def test_a_first_time_guest_waits_even_after_an_approval(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    first, _ = builders.comment(app, text="first", visitor="newcomer")
    assert cms.queue("pending") == [first]
    cms.act(first, "approve")
    second, _ = builders.comment(app, text="second", visitor="newcomer")
    assert cms.queue("pending") == [second]
    assert thread_ids(client) == [first]


def test_switching_an_article_to_pre_moderation_holds_the_next_comment(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app)
    before, _ = builders.comment(app, text="before")
    cms.client.patch(
        "/api/v1/moderation/articles/the-story", json={"moderation": "pre"}, headers=cms.headers
    )
    after, _ = builders.comment(app, text="after")
    assert thread_ids(client) == [before] and cms.queue("pending") == [after]


def test_one_click_approve_on_the_queue_page(
    app: Flask, client: FlaskClient, moderator: FlaskClient
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    held, _ = builders.comment(app)
    response = post_form(
        moderator, f"/moderation/comments/{held}/approve", next="/moderation/queues/pending"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/queues/pending"
    assert thread_ids(client) == [held]
    assert log(app)[0].actor == "mia"


def test_bulk_reject_on_the_queue_page(
    app: Flask, client: FlaskClient, moderator: FlaskClient
) -> None:
    held = [builders.comment(app, text=f"c{n}")[0] for n in range(2)]
    response = post_form(moderator, "/moderation/comments/bulk", action="reject", ids=held)
    assert response.status_code == 303
    assert thread_ids(client) == []
    assert builders.counters(app, "the-story") == (0, 0)


def test_an_edit_on_the_comment_page(
    app: Flask, client: FlaskClient, moderator: FlaskClient
) -> None:
    shown, _ = builders.comment(app, text="Original")
    post_form(moderator, f"/moderation/comments/{shown}/edit", text="Edited text", reason="typo")
    assert "Edited text" in thread(client)[0]["html"]
    page = moderator.get(f"/moderation/comments/{shown}").get_data(as_text=True)
    assert "comment.edit" in page and "typo" in page
