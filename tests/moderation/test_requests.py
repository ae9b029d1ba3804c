"""Who acts in a moderation request: the API token that authenticated it, else the moderator."""

from __future__ import annotations

from flask import Flask, g

from engagement.models import ApiToken
from engagement.moderation import requests
from engagement.moderation.audit import Actor


def test_a_request_with_an_api_token_acts_as_that_token(app: Flask) -> None:
    with app.test_request_context("/api/v1/moderation/queues"):
        g.api_token = ApiToken(id=7, name="cms")
        assert requests.actor() == Actor(name="token:cms", token_id=7)


def test_the_report_threshold_is_the_setting(app: Flask) -> None:
    app.config["REPORT_THRESHOLD"] = 4
    with app.app_context():
        assert requests.report_threshold() == 4
