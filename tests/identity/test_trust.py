"""Trust: earned by verified identities, given and taken by moderators, never by a typed email."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import MailSubscriber, ModerationMode, SubscriberState, utcnow
from tests import builders
from tests.identity.tokens import bearer, sign_in

URL = "/api/v1/articles/the-story/comments"


class Moderation:
    """The moderation API as the CMS uses it."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {builders.api_token(app)}"}

    def act(self, comment_id: int, action: str) -> Any:
        response = self.client.post(
            f"/api/v1/moderation/comments/{comment_id}/{action}", json={}, headers=self.headers
        )
        assert response.status_code == 200, response.json
        return response

    def trust(self, subject: str, trust: str | None) -> Any:
        return self.client.post(
            "/api/v1/moderation/readers/trust",
            json={"subject": subject, "trust": trust, "reason": "regular"},
            headers=self.headers,
        )

    def history(self, subject: str) -> Any:
        return self.client.post(
            "/api/v1/moderation/readers/history", json={"subject": subject}, headers=self.headers
        )


@pytest.fixture
def cms(app: Flask, client: FlaskClient) -> Moderation:
    return Moderation(app, client)


def post(client: FlaskClient, session: str | None = None, text: str = "A thought.") -> Any:
    headers = bearer(session) if session else {}
    return client.post(URL, json={"text": text}, headers=headers)


def test_first_time_approves_a_signed_in_reader_after_one_approval(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    session = sign_in(client)
    first = post(client, session)
    assert first.status_code == 202
    cms.act(first.json["comment"]["id"], "approve")
    assert post(client, session, "Second thought.").status_code == 201


def test_first_time_keeps_a_guest_waiting_whatever_they_type(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    session = sign_in(client)
    cms.act(post(client, session).json["comment"]["id"], "approve")
    guest = client.post(URL, json={"text": "Me again.", "author_email": "ada@readers.example"})
    assert guest.status_code == 202, "the reader's email, typed by anyone, earns nothing"


@pytest.fixture
def settings() -> dict[str, Any]:
    from tests.identity.tokens import SSO_SETTINGS

    return {**SSO_SETTINGS, "TRUST_AFTER_APPROVED": 2, "TRUST_CLEAN_DAYS": 30}


def test_a_regular_is_approved_at_once_under_pre_moderation(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    session = sign_in(client)
    for text in ("One.", "Two."):
        response = post(client, session, text)
        assert response.status_code == 202
        cms.act(response.json["comment"]["id"], "approve")
    assert post(client, session, "Three.").status_code == 201


def test_a_recent_rejection_takes_a_regulars_trust_away(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    session = sign_in(client)
    for text in ("One.", "Two."):
        cms.act(post(client, session, text).json["comment"]["id"], "approve")
    cms.act(post(client, session, "Rude.").json["comment"]["id"], "reject")
    assert post(client, session, "Four.").status_code == 202


def test_the_regulars_rule_is_off_at_zero(app: Flask, client: FlaskClient, cms: Moderation) -> None:
    app.config["TRUST_AFTER_APPROVED"] = 0
    builders.article(app, moderation=ModerationMode.PRE)
    session = sign_in(client)
    for text in ("One.", "Two.", "Three."):
        cms.act(post(client, session, text).json["comment"]["id"], "approve")
    assert post(client, session, "Four.").status_code == 202


def test_a_reader_marked_trusted_is_approved_at_once(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    session = sign_in(client)
    post(client, session)
    response = cms.trust("reader-42", "trusted")
    assert response.status_code == 200 and response.json["reader"]["trust"] == "trusted"
    assert post(client, session, "Now seen at once.").status_code == 201


def test_a_reader_marked_untrusted_always_waits(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app)  # post-moderation: everyone else is seen at once
    session = sign_in(client)
    assert post(client, session).status_code == 201
    cms.trust("reader-42", "untrusted")
    assert post(client, session, "Held.").status_code == 202
    cms.trust("reader-42", None)
    assert post(client, session, "Back to the rules.").status_code == 201


def test_staff_are_approved_at_once_under_pre_moderation(app: Flask, client: FlaskClient) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    assert post(client, sign_in(client, "editor-1", roles=["staff"])).status_code == 201


def test_spam_screening_still_holds_a_trusted_reader(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app)
    session = sign_in(client)
    post(client, session)
    cms.trust("reader-42", "trusted")
    trapped = client.post(
        URL,
        json={"text": "Filled the trap.", "url": "https://spam.example"},
        headers=bearer(session),
    )
    assert trapped.status_code == 202


def test_moderators_see_a_readers_history_by_identity(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    session = sign_in(client)
    kept = post(client, session, "Kept.").json["comment"]["id"]
    dropped = post(client, session, "Dropped.").json["comment"]["id"]
    cms.act(kept, "approve")
    cms.act(dropped, "reject")
    history = cms.history("reader-42").json
    assert history["reader"]["name"] == "Ada Lovelace"
    assert (history["reader"]["approved"], history["reader"]["recent_rejections"]) == (1, 1)
    assert [c["id"] for c in history["comments"]] == [dropped, kept]
    assert history["comments"][0]["author_subject"] == "reader-42"
    queue = client.get("/api/v1/moderation/queues/pending", headers=cms.headers).json
    assert queue["comments"] == []


def test_a_trust_mark_is_in_the_audit_log(app: Flask, client: FlaskClient, cms: Moderation) -> None:
    builders.article(app)
    sign_in(client)
    cms.trust("reader-42", "trusted")
    log = client.get("/api/v1/moderation/audit", headers=cms.headers).json["entries"]
    assert log[0]["action"] == "reader.trust"
    assert (log[0]["before"]["trust"], log[0]["after"]["trust"]) == (None, "trusted")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"subject": ""},
        {"subject": "x" * 201},
        {"subject": 42},
        {"subject": "reader-42", "trust": "beloved"},
        {"subject": "reader-42", "trust": "trusted", "extra": 1},
    ],
)
def test_bad_trust_marks_are_400(
    app: Flask, client: FlaskClient, cms: Moderation, body: Any
) -> None:
    sign_in(client)
    response = client.post("/api/v1/moderation/readers/trust", json=body, headers=cms.headers)
    assert response.status_code == 400


def test_an_unknown_reader_is_404(client: FlaskClient, cms: Moderation) -> None:
    assert cms.trust("nobody", "trusted").status_code == 404
    assert cms.history("nobody").status_code == 404


def confirm_address(app: Flask, email: str, state: SubscriberState) -> None:
    """The address followed (or not) the reply notifications' confirmation link."""
    with app.app_context():
        db = database.session()
        confirmed = utcnow() if state is not SubscriberState.PENDING else None
        db.add(MailSubscriber(email=email, state=state, confirmed_at=confirmed))
        db.commit()


def guest_post(
    client: FlaskClient, email: str, text: str = "A thought.", browser: str = "Ada's browser"
) -> Any:
    body = {"text": text, "author_name": "Ada", "author_email": email}
    return client.post(URL, json=body, headers={"User-Agent": browser})


@pytest.mark.parametrize("state", [SubscriberState.CONFIRMED, SubscriberState.UNSUBSCRIBED])
def test_first_time_approves_a_guest_with_a_confirmed_email_after_one_approval(
    app: Flask, client: FlaskClient, cms: Moderation, state: SubscriberState
) -> None:
    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    confirm_address(app, "ada@readers.example", state)
    first = guest_post(client, "ada@readers.example")
    assert first.status_code == 202
    cms.act(first.json["comment"]["id"], "approve")
    assert guest_post(client, "ADA@readers.example", "Second thought.").status_code == 201


def test_first_time_keeps_waiting_a_guest_whose_email_never_confirmed(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    confirm_address(app, "ada@readers.example", SubscriberState.PENDING)
    cms.act(guest_post(client, "ada@readers.example").json["comment"]["id"], "approve")
    assert guest_post(client, "ada@readers.example", "Again.").status_code == 202


def test_a_confirmed_email_earns_nothing_under_pre_moderation(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    confirm_address(app, "ada@readers.example", SubscriberState.CONFIRMED)
    cms.act(guest_post(client, "ada@readers.example").json["comment"]["id"], "approve")
    assert guest_post(client, "ada@readers.example", "Again.").status_code == 202


def test_a_signed_in_readers_approval_does_not_trust_a_guest_typing_their_confirmed_email(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    confirm_address(app, "ada@readers.example", SubscriberState.CONFIRMED)
    cms.act(post(client, sign_in(client)).json["comment"]["id"], "approve")
    assert guest_post(client, "ada@readers.example").status_code == 202


def test_someone_else_typing_a_confirmed_email_still_waits(
    app: Flask, client: FlaskClient, cms: Moderation
) -> None:
    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    confirm_address(app, "ada@readers.example", SubscriberState.CONFIRMED)
    cms.act(guest_post(client, "ada@readers.example").json["comment"]["id"], "approve")
    other = guest_post(client, "ada@readers.example", "Me, Ada.", browser="Mallory's browser")
    assert other.status_code == 202, "the address is Ada's, the visitor is not"
