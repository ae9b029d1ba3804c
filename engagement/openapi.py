"""The OpenAPI document, generated from the routes' types.

Each documented view says what it takes and gives with ``@operation``: its body, query and
answers are the pydantic classes that validate the request and serialise the answer, so the
document cannot drift from them. The view's docstring is the operation's summary (first line)
and description (the rest). Path parameters come from the URL rule, described once per name
with ``path_parameter``. The refusals every route shares are added here, from what the route
is: 400 when it reads parameters or a body, 404 when it names a row, 413 and 415 when it reads
a body, 401 and 403 when it needs a token, 429 when it spends a rate-limit budget, and 503
``database_unavailable`` everywhere. apispec (marshmallow-code) assembles the document.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from werkzeug.http import HTTP_STATUS_CODES

from engagement import ratelimit

M = TypeVar("M", bound=type[BaseModel])
F = TypeVar("F", bound=Callable[..., Any])

_SCHEMAS: list[type[BaseModel]] = []
_SECTIONS: list[Callable[[dict[str, Any]], None]] = []
_PATH_PARAMETERS: dict[str, dict[str, Any]] = {}
_ATTRIBUTE = "__openapi_operation__"
_RULE_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_ERROR = {"$ref": "#/components/responses/Error"}
JSON = "application/json"

bp = Blueprint("openapi", __name__)


@dataclass(frozen=True)
class Answer:
    """One documented answer: its body's class (None: no body), what it means, its media type."""

    model: type[BaseModel] | None = None
    description: str = ""
    media: str = JSON
    schema: dict[str, Any] | None = None  # for a body no pydantic class describes (text, Atom)


@dataclass(frozen=True)
class Operation:
    """What a view takes and gives, as ``@operation`` recorded it."""

    answers: Mapping[int, Answer]
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    refusals: frozenset[int] = frozenset()
    scope: str | None = None
    path: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    database: bool = True


def document_path(rule: str) -> str:
    """The document's path for a URL rule (``<int:endpoint_id>`` becomes ``{endpoint_id}``)."""
    return _RULE_PARAMETER.sub(r"{\1}", rule)


def schema(model: M) -> M:
    """Publish ``model`` as a component of the OpenAPI document (a class decorator)."""
    _SCHEMAS.append(model)
    return model


def section(add: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Have ``add`` complete the built document (``webhooks``, say): a function decorator."""
    _SECTIONS.append(add)
    return add


def path_parameter(name: str, schema: Mapping[str, Any], description: str) -> None:
    """Describe the URL rule parameter ``name`` (``<comment_id>``) wherever a route has it."""
    described = {"schema": dict(schema), "description": description}
    if _PATH_PARAMETERS.setdefault(name, described) != described:
        raise ValueError(f"path parameter {name!r} is described twice, differently")


def operation(
    answers: Mapping[int, type[BaseModel] | Answer | str | None],
    *,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    headers: Mapping[str, str] | None = None,
    refusals: Iterable[int] = (),
    scope: str | None = None,
    path: Mapping[str, dict[str, Any]] | None = None,
    database: bool = True,
) -> Callable[[F], F]:
    """Document the decorated view from its types.

    ``answers`` maps each success status to its body's class, an ``Answer``, or a description
    alone (a 304); ``refusals`` are the statuses beyond those every route of its kind shares;
    ``scope`` is the API token's scope the route needs; ``headers`` the request headers it reads,
    with what they mean; ``path`` narrows a path parameter's schema for this route only;
    ``database=False`` for a route that never touches the database (no 503 for it).
    """
    recorded = Operation(
        answers={status: _answer(status, given) for status, given in answers.items()},
        body=body,
        body_required=body_required,
        query=query,
        headers=dict(headers or {}),
        refusals=frozenset(refusals),
        scope=scope,
        path=dict(path or {}),
        database=database,
    )

    def record(view: F) -> F:
        setattr(view, _ATTRIBUTE, recorded)
        for model in (body, *(a.model for a in recorded.answers.values())):
            if model is not None and model not in _SCHEMAS:
                _SCHEMAS.append(model)
        return view

    return record


def _answer(status: int, given: type[BaseModel] | Answer | str | None) -> Answer:
    if isinstance(given, Answer):
        return given
    if isinstance(given, str):
        return Answer(description=given)
    return Answer(model=given)


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "field"],
                "properties": {
                    "code": {"type": "string", "description": "Stable machine code."},
                    "message": {"type": "string", "description": "For people."},
                    "field": {"type": ["string", "null"], "description": "The field at fault."},
                },
            }
        },
    }


def _summary(view: Callable[..., Any]) -> tuple[str, str]:
    """The docstring's first paragraph (the summary) and the rest (the description)."""
    text = inspect.cleandoc(view.__doc__ or "")
    first, _, rest = text.partition("\n\n")
    return " ".join(first.split()).rstrip("."), " ".join(rest.split())


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(generated.get("required", ()))
    parameters = []
    for name, described in generated.get("properties", {}).items():
        described = dict(described)
        description = described.pop("description", None)
        described.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": described,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _meaning(status: int, answer: Answer) -> str:
    """What the answer means: its own words, its class's docstring, or the status's name."""
    own = answer.model.__dict__.get("__doc__") if answer.model is not None else None
    return answer.description or (own or "").strip().split("\n")[0] or HTTP_STATUS_CODES[status]


def _content(answer: Answer) -> dict[str, Any] | None:
    if answer.model is not None:
        return {answer.media: {"schema": {"$ref": f"#/components/schemas/{answer.model.__name__}"}}}
    if answer.schema is not None:
        return {answer.media: {"schema": answer.schema}}
    return None


def _describe(
    view: Callable[..., Any], op: Operation, rule_parameters: list[str], limited: bool
) -> dict[str, Any]:
    summary, description = _summary(view)
    parameters = []
    for name in rule_parameters:
        described = _PATH_PARAMETERS.get(name)
        if described is None:
            raise LookupError(f"path parameter {name!r} has no path_parameter() description")
        schema = {**described["schema"], **op.path.get(name, {})}
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema}
            | {"description": described["description"]}
        )
    if op.query is not None:
        parameters += _query_parameters(op.query)
    for name, meaning in op.headers.items():
        parameters.append(
            {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
            | {"description": meaning}
        )

    responses: dict[str, Any] = {}
    for status, answer in sorted(op.answers.items()):
        described_answer: dict[str, Any] = {"description": _meaning(status, answer)}
        content = _content(answer)
        if content is not None:
            described_answer["content"] = content
        responses[str(status)] = described_answer
    refused = set(op.refusals) | ({503} if op.database else set())
    if parameters or op.body is not None:
        refused.add(400)
    if rule_parameters:
        refused.add(404)
    if op.body is not None:
        refused |= {413, 415}
    if op.scope is not None:
        refused |= {401, 403}
    if limited:
        refused.add(429)
    for status in sorted(refused):
        # An answer the route declares for a shared status (a 503 with a body of its own) stays.
        responses.setdefault(str(status), _ERROR)

    described_op: dict[str, Any] = {"summary": summary, "responses": responses}
    if description:
        described_op["description"] = description
    if parameters:
        described_op["parameters"] = parameters
    if op.body is not None:
        described_op["requestBody"] = {
            "required": op.body_required,
            "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}},
        }
    if op.scope is not None:
        described_op["security"] = [{"bearer": []}]
        described_op["x-scope"] = op.scope
    return described_op


def _register_schemas(spec: APISpec) -> None:
    for model in _SCHEMAS:
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in generated.pop("$defs", {}).items():
            if name not in spec.components.schemas:
                spec.components.schema(name, definition)
        if generated.get("$ref") == f"#/components/schemas/{model.__name__}":
            continue  # a self-referencing model (a comment's replies) arrives among its $defs
        if model.__name__ in spec.components.schemas:
            if spec.components.schemas[model.__name__] != generated:
                raise ValueError(f"two schemas are named {model.__name__}")
            continue
        spec.components.schema(model.__name__, generated)


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every documented route of ``app``."""
    spec = APISpec(
        title="engagement",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": "Counters, comments and moderation for the magazine's articles. Text"
            " never holds the NUL character: a parameter or body with one is answered 400. Query"
            " parameters an operation does not list are ignored."
        },
    )
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`engagement create-token`). It holds scopes: `articles`"
            " for PUT /api/v1/articles/{key}, `moderation` for /api/v1/moderation/, `metrics`"
            " for /metrics; a token without the route's scope is answered 403"
            " `insufficient_scope`.",
        },
    )
    spec.components.schema("Error", _error_schema())
    spec.components.response(
        "Error",
        {
            "description": "A refusal, in the one error shape.",
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    )
    _register_schemas(spec)
    paths: dict[str, dict[str, Any]] = {}
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            view = app.view_functions[rule.endpoint]
            op = getattr(view, _ATTRIBUTE, None)
            if op is None:
                continue
            path = document_path(rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                limited = bool(ratelimit.budget_for(rule.endpoint, method))
                paths.setdefault(path, {})[method.lower()] = _describe(
                    view, op, _RULE_PARAMETER.findall(rule.rule), limited
                )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
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
