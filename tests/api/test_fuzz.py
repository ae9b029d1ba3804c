"""The API answers whatever its own document lets a client send, as the document says.

Schemathesis generates requests from the served OpenAPI document, those the document allows
and those it does not, and runs all its checks on every answer: no server error, a documented
status, content type, headers and body, invalid input refused, valid input accepted. It runs
against a live server on each database, as a guest and with an API token holding every scope;
examples are derandomized and bounded so a run is repeatable and takes a few minutes.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests import builders
from tests.conftest import LiveServer

EXAMPLES_PER_OPERATION = 10
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Operations whose input can fit the document and still be refused, by a rule that a JSON Schema
# cannot state; their descriptions state it. Valid-looking input is not required to succeed for
# them (positive_data_acceptance); every other check, invalid input included, still runs.
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/v1/articles/{key}/comments": "a reply's parent must be visible in this thread, and"
    " notify_replies needs an author_email",
    "GET /api/v1/articles/{key}/comments": "a cursor is one the service gave for this thread",
    "GET /api/v1/moderation/search": "a cursor is one the service gave for this search",
    "POST /api/v1/moderation/bans": "the value's form depends on the kind (email, network...)",
    "POST /api/v1/moderation/commenters/export": "exactly one of email and subject",
    "POST /api/v1/moderation/commenters/erase": "exactly one of email and subject",
    "POST /api/v1/moderation/comments/{comment_id}/{action}": "an edit needs text and a reason",
    "POST /api/v1/moderation/webhooks": "the receiver must resolve to an allowed address",
    "PATCH /api/v1/moderation/webhooks/{endpoint_id}": "the receiver must resolve to an allowed"
    " address",
}


def fuzz(app: Flask, server: LiveServer, headers: dict[str, str]) -> list[str]:
    """Every operation's generated requests sent to ``server``; what failed, one line each."""
    document = app.test_client().get("/api/openapi.json").json
    schema = schemathesis.openapi.from_dict(document)
    # The document says text never holds NUL (a 400, as JSON bodies and parameters are checked
    # before any field): generating it as valid data would only test that sentence.
    # Unknown query parameters are ignored, as the document's info says: no need to send them.
    schema.config.generation.update(allow_x00=False, allow_extra_parameters=False)
    failures = []
    for found in schema.get_all_operations():
        operation = found.ok()
        for mode in GenerationMode:
            try:
                _exercise(operation, mode, server.url, headers)
            except Unsatisfiable:
                continue  # no request is invalid for it (only optional headers, say)
            except (Exception, BaseExceptionGroup) as exc:  # report every failing operation
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures


def _exercise(
    operation: APIOperation, mode: GenerationMode, url: str, headers: dict[str, str]
) -> None:
    beyond = mode is GenerationMode.POSITIVE and operation.label in RULES_BEYOND_THE_SCHEMA
    excluded = [positive_data_acceptance] if beyond else []

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        case.call_and_validate(base_url=url, headers=headers, excluded_checks=excluded)

    run()


@pytest.fixture
def story(app: Flask) -> Any:
    """A story with a comment, so generated ids and keys can find something."""
    builders.article(app, key="the-story")
    return builders.comment(app, key="the-story")


def test_every_operation_answers_a_guests_generated_requests_as_documented(
    app: Flask, live_server: LiveServer, story: Any
) -> None:
    failures = fuzz(app, live_server, {})
    assert failures == [], "\n\n".join(failures)


def test_every_operation_answers_a_token_holders_generated_requests_as_documented(
    app: Flask, live_server: LiveServer, story: Any
) -> None:
    token = builders.api_token(app)
    failures = fuzz(app, live_server, {"Authorization": f"Bearer {token}"})
    assert failures == [], "\n\n".join(failures)
