"""Reply notifications by email, through a real SMTP server: double opt-in, one mail per reply
or a digest, one-click unsubscribe, the article's language, never a self-mail or a stranger's
address."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import MailSubscriber, SubscriberState
from engagement.notifications import subscriptions
from engagement.notifications.worker import Worker
from tests import builders
from tests.notifications.conftest import (
    Clock,
    MailServer,
    html_of,
    link_path,
    post,
    text_of,
)

ALICE = "alice@example.com"
BOB = "bob@example.com"
STORY_URL = "https://magazine.example/the-story"


@pytest.fixture(autouse=True)
def story(app: Flask) -> None:
    builders.article(app, url=STORY_URL, title="The night ferry")


def ask_for_replies(client: FlaskClient, *, lang: str = "en", **body: Any) -> int:
    fields: dict[str, Any] = {"text": "Who wrote this?", **body}
    answer = post(
        client,
        reader="alice",
        author_email=ALICE,
        author_name="Alice",
        notify_replies=True,
        lang=lang,
        **fields,
    )
    assert answer.status_code == 201, answer.json
    return int(answer.json["comment"]["id"])


def subscribe(client: FlaskClient, worker: Worker, smtp: MailServer, **body: Any) -> int:
    """Alice comments asking for replies and confirms her address; her comment's id."""
    comment_id = ask_for_replies(client, **body)
    worker.drain()
    [confirmation] = smtp.inbox.to(ALICE)
    assert client.post(link_path(confirmation, "confirm")).status_code == 200
    return comment_id


def reply(client: FlaskClient, parent_id: int, **body: Any) -> int:
    defaults: dict[str, Any] = {
        "reader": "bob",
        "author_name": "Bob",
        "author_email": BOB,
        "text": "Joan Didion did.",
    }
    answer = post(client, parent_id=parent_id, **{**defaults, **body})
    assert answer.status_code in (201, 202), answer.json
    return int(answer.json["comment"]["id"])


def test_the_first_request_sends_only_a_confirmation_mail(
    client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    ask_for_replies(client)
    worker.drain()
    [mail] = smtp.inbox.to(ALICE)
    assert mail["Subject"] == "Confirm reply notifications"
    assert "/notifications/confirm/" in text_of(mail)
    assert "The night ferry" in html_of(mail)


def test_no_reply_is_mailed_to_an_address_that_did_not_confirm(
    client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    parent = ask_for_replies(client)
    reply(client, parent)
    worker.drain()
    assert [mail["Subject"] for mail in smtp.inbox.to(ALICE)] == ["Confirm reply notifications"]


def test_opening_the_confirmation_link_only_asks(
    app: Flask, client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    ask_for_replies(client)
    worker.drain()
    page = client.get(link_path(smtp.inbox.to(ALICE)[0], "confirm"))
    assert page.status_code == 200 and b'<form method="post">' in page.data
    with app.app_context():
        assert not subscriptions.is_confirmed(database.session(), email=ALICE)


def test_the_confirmation_button_confirms_the_address(
    app: Flask, client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    subscribe(client, worker, smtp)
    with app.app_context():
        assert subscriptions.is_confirmed(database.session(), email=ALICE)
        assert not subscriptions.is_confirmed(database.session(), email=BOB)


def test_a_forged_link_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    ask_for_replies(client)
    token = subscriptions.URLSafeTimedSerializer("another-secret-key-123", salt="x").dumps(
        {"e": ALICE, "l": "en"}
    )
    assert client.post(f"/notifications/confirm/{token}").status_code == 404
    assert client.post("/notifications/unsubscribe/nonsense").status_code == 404


def test_an_address_is_asked_to_confirm_once_a_day(
    client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    ask_for_replies(client)
    ask_for_replies(client, text="And who edited it?")
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 1


def test_a_confirmed_reader_gets_one_mail_per_reply(
    client: FlaskClient, worker: Worker, smtp: MailServer, clock: Clock
) -> None:
    parent = subscribe(client, worker, smtp)
    first = reply(client, parent)
    worker.drain()
    clock.advance(minutes=11)  # past the digest interval: the next reply has its own mail
    second = reply(client, parent, reader="carol", author_name="Carol", author_email=None)
    worker.drain()
    _, one, two = smtp.inbox.to(ALICE)
    assert one["Subject"] == "Bob replied to your comment on “The night ferry”"
    assert f"{STORY_URL}#eg-comment-{first}" in text_of(one)
    assert "Joan Didion did." in text_of(one) and "Who wrote this?" in text_of(one)
    assert two["Subject"] == "Carol replied to your comment on “The night ferry”"
    assert f"{STORY_URL}#eg-comment-{second}" in html_of(two)


def test_a_reply_mail_is_multipart_text_and_html_with_one_click_unsubscribe(
    client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    parent = subscribe(client, worker, smtp)
    reply(client, parent, text="It was *Didion*.")
    worker.drain()
    mail = smtp.inbox.to(ALICE)[-1]
    assert mail.get_content_type() == "multipart/alternative"
    assert "<em>Didion</em>" in html_of(mail) and "It was *Didion*." in text_of(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = link_path(mail, "unsubscribe")
    assert mail["List-Unsubscribe"] == f"<https://comments.example{unsubscribe}>"


def test_one_click_unsubscribe_stops_every_reply_mail(
    app: Flask, client: FlaskClient, worker: Worker, smtp: MailServer, clock: Clock
) -> None:
    parent = subscribe(client, worker, smtp)
    reply(client, parent)
    worker.drain()
    unsubscribe = link_path(smtp.inbox.to(ALICE)[-1], "unsubscribe")
    # What a mail client sends for RFC 8058: a POST with this body, no cookie, no form token.
    answer = client.post(
        unsubscribe,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    clock.advance(minutes=30)
    reply(client, parent, reader="carol", author_email=None)
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 2  # the confirmation and the first reply only
    with app.app_context():
        found = database.session().query(MailSubscriber).one()
        assert found.state is SubscriberState.UNSUBSCRIBED


def test_replies_within_the_digest_interval_arrive_as_one_digest(
    client: FlaskClient, worker: Worker, smtp: MailServer, clock: Clock
) -> None:
    parent = subscribe(client, worker, smtp)
    reply(client, parent)
    worker.drain()
    clock.advance(minutes=2)
    reply(client, parent, reader="carol", author_name="Carol", author_email=None, text="Carol.")
    reply(client, parent, reader="dan", author_name="Dan", author_email=None, text="Dan.")
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 2  # held until the interval has passed
    clock.advance(minutes=9)
    worker.drain()
    digest = smtp.inbox.to(ALICE)[-1]
    assert digest["Subject"] == "2 new replies to your comments"
    assert "Carol." in text_of(digest) and "Dan." in text_of(digest)


def test_a_commenter_is_never_mailed_about_their_own_reply(
    client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    parent = subscribe(client, worker, smtp)
    reply(client, parent, reader="alice-at-work", author_email=ALICE, author_name="Alice")
    reply(client, parent, reader="alice", author_email=None, author_name="Alice")
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 1


def test_no_mail_shows_another_commenters_email(
    client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    parent = subscribe(client, worker, smtp)
    reply(client, parent)
    worker.drain()
    mail = smtp.inbox.to(ALICE)[-1]
    assert BOB not in mail.as_string()


def test_a_spanish_article_mails_in_spanish(
    client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    parent = subscribe(client, worker, smtp, lang="es-MX")
    confirmation = smtp.inbox.to(ALICE)[0]
    assert confirmation["Subject"] == "Confirma los avisos de respuestas"
    assert confirmation["Content-Language"] == "es"
    reply(client, parent)
    worker.drain()
    mail = smtp.inbox.to(ALICE)[-1]
    assert mail["Subject"] == "Bob ha respondido a tu comentario en «The night ferry»"
    assert "No quiero más correos" in text_of(mail)
    assert '<html lang="es">' in html_of(mail)


def test_a_reply_waiting_for_moderation_notifies_once_approved(
    app: Flask, client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    parent = subscribe(client, worker, smtp)
    with app.app_context():
        db = database.session()
        from engagement.articles import service as articles
        from engagement.models import ModerationMode

        articles.put(db, key="the-story", moderation=ModerationMode.PRE)
        db.commit()
    held = reply(client, parent)
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 1
    token = builders.api_token(app)
    answer = client.post(
        f"/api/v1/moderation/comments/{held}/approve",
        headers={"Authorization": f"Bearer {token}"},
        json={},
    )
    assert answer.status_code == 200, answer.json
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 2


def test_a_reply_removed_before_its_mail_went_out_is_not_mailed(
    app: Flask, client: FlaskClient, worker: Worker, smtp: MailServer, clock: Clock
) -> None:
    parent = subscribe(client, worker, smtp)
    reply(client, parent)
    worker.drain()
    clock.advance(minutes=1)
    second = reply(client, parent, reader="carol", author_email=None)
    worker.drain()  # held for the digest interval
    token = builders.api_token(app)
    client.post(
        f"/api/v1/moderation/comments/{second}/reject",
        headers={"Authorization": f"Bearer {token}"},
        json={},
    )
    clock.advance(minutes=10)
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 2


def test_mail_waits_out_an_smtp_outage_and_is_sent_once_it_is_back(
    client: FlaskClient, worker: Worker, smtp: MailServer, clock: Clock
) -> None:
    parent = subscribe(client, worker, smtp)
    smtp.stop()
    reply(client, parent)
    worker.drain()
    clock.advance(minutes=2)
    worker.drain()
    smtp.start()
    assert len(smtp.inbox.to(ALICE)) == 1
    clock.advance(minutes=10)
    worker.drain()
    assert [mail["Subject"] for mail in smtp.inbox.to(ALICE)][-1].startswith("Bob replied")
    assert len(smtp.inbox.to(ALICE)) == 2


def test_posting_does_not_wait_for_the_mail_server(client: FlaskClient, smtp: MailServer) -> None:
    smtp.stop()
    assert post(client, author_email=ALICE, notify_replies=True).status_code == 201


def test_asking_for_replies_needs_an_email(client: FlaskClient) -> None:
    answer = post(client, notify_replies=True)
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == "author_email"


def test_the_article_says_replies_can_be_mailed(client: FlaskClient) -> None:
    assert client.get("/api/v1/articles/the-story").json["reply_notifications"] is True


@pytest.mark.parametrize("settings", [{}], ids=["no-smtp"])
def test_without_a_mail_server_nothing_is_offered_nor_stored(
    app: Flask, client: FlaskClient
) -> None:
    assert client.get("/api/v1/articles/the-story").json["reply_notifications"] is False
    assert post(client, author_email=ALICE, notify_replies=True).status_code == 201
    with app.app_context():
        assert database.session().query(MailSubscriber).count() == 0


def test_erasing_a_commenter_forgets_their_address(
    app: Flask, client: FlaskClient, worker: Worker, smtp: MailServer
) -> None:
    parent = subscribe(client, worker, smtp)
    reply(client, parent)
    token = builders.api_token(app)
    erased = client.post(
        "/api/v1/moderation/commenters/erase",
        json={"email": ALICE},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert erased.status_code == 200, erased.json
    worker.drain()
    assert len(smtp.inbox.to(ALICE)) == 1  # the confirmation, sent before
    with app.app_context():
        assert database.session().query(MailSubscriber).count() == 0
