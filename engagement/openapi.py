"""The OpenAPI document, generated from the routes' docstrings and the pydantic models.

apispec (marshmallow-code) assembles it: its Flask plugin (apispec-webframeworks) reads each
view's path from the URL map and its operations from the YAML after ``---`` in the docstring;
request and response bodies are pydantic models whose JSON Schema is registered as components.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

M = TypeVar("M", bound=type[BaseModel])

_SCHEMAS: list[type[BaseModel]] = []
_SECTIONS: list[Callable[[dict[str, Any]], None]] = []

bp = Blueprint("openapi", __name__)


def schema(model: M) -> M:
    """Publish ``model`` as a component of the OpenAPI document (a class decorator)."""
    _SCHEMAS.append(model)
    return model


def section(add: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Have ``add`` complete the built document (``webhooks``, say): a function decorator."""
    _SECTIONS.append(add)
    return add


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable machine code."},
                    "message": {"type": "string", "description": "For people."},
                    "field": {"type": ["string", "null"], "description": "The field at fault."},
                },
            }
        },
    }


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every documented route of ``app``."""
    spec = APISpec(
        title="engagement",
        version="1",
        openapi_version="3.1.0",
        plugins=[FlaskPlugin()],
        info={"description": "Counters, comments and moderation for the magazine's articles."},
    )
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`engagement create-token`). It holds scopes: `articles`"
            " for PUT /api/v1/articles/{key}, `moderation` for /api/v1/moderation/; a token"
            " without the route's scope is answered 403 `insufficient_scope`.",
        },
    )
    spec.components.schema("Error", _error_schema())
    spec.components.response(
        "Error",
        {
            "description": "A refusal, in the one error shape.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    )
    for model in _SCHEMAS:
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in generated.pop("$defs", {}).items():
            if name not in spec.components.schemas:
                spec.components.schema(name, definition)
        if generated.get("$ref") == f"#/components/schemas/{model.__name__}":
            continue  # a self-referencing model (a comment's replies) arrives among its $defs
        spec.components.schema(model.__name__, generated)
    with app.test_request_context():
        for endpoint, view in sorted(app.view_functions.items()):
            if view.__doc__ and "---" in view.__doc__ and endpoint != "static":
                spec.path(view=view, app=app)
    document = spec.to_dict()
    for add in _SECTIONS:
        add(document)
    return document


@bp.get("/api/openapi.json")
def document() -> ResponseReturnValue:
    """The OpenAPI document of the public and moderation API."""
    cached = current_app.extensions.get("engagement.openapi")
    if cached is None:
        cached = current_app.extensions["engagement.openapi"] = build(current_app)
    return jsonify(cached)
