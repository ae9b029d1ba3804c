"""The create answer says until when its edit secret works, so the widget can hide its controls."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import builders

URL = "/api/v1/articles/the-story/comments"


@pytest.mark.parametrize("settings", [{"COMMENT_EDIT_WINDOW_MINUTES": 15}])
def test_create_answers_when_the_edit_window_closes(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    body = client.post(URL, json={"text": "Teh story"}).json
    created = datetime.fromisoformat(body["comment"]["created_at"])
    until = datetime.fromisoformat(body["editable_until"])
    assert until - created == timedelta(minutes=15)
