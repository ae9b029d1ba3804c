"""Reading requests safely: bodies of every kind, JSON, article keys, ETags; headers every
response carries."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from decimal import Decimal
from typing import IO, Any, TypeVar

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import http_date, quote_etag

from engagement import db as database
from engagement.errors import ApiError
from engagement.refusals import invalid

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
# Comma-separated keys, empty items allowed: a batch checked in one pass, not one per key.
KEY_LIST_PATTERN = re.compile(rf",*(?:{KEY_PATTERN.pattern}(?:,+{KEY_PATTERN.pattern})*)?,*")
# Characters a JSON string may carry but no text column should: NUL (PostgreSQL refuses it)
# and UTF-16 surrogates, which cannot be encoded as UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 8
# Methods that only read: every other request may write, and says so to the database.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def article_key(raw: str) -> str:
    """Validate an article key from a URL or query string."""
    if not KEY_PATTERN.fullmatch(raw):
        raise ApiError(
            400,
            "invalid_key",
            "An article key is 1 to 200 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit.",
            "key",
        )
    return raw


def _reject_nan(token: str) -> float:
    raise ValueError(f"{token} is not valid JSON")


def _check(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise invalid(path or "body", "The JSON body is nested too deeply.", "invalid_json")
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            raise invalid(path or "body", "Text may not contain NUL or lone surrogate characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, path, depth + 1)
            _check(item, key if not path else f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, path, depth + 1)


_INTEGER_RANGE = 2**63


def _number(token: str) -> float | int:
    """A JSON number with a fraction or an exponent: ``415.0`` and ``4.15e2`` are the integer
    415, as JSON Schema reads them (``integer`` includes them); any other number stays a float,
    which integer fields refuse. Read as a Decimal first: a float would round large values."""
    exact = Decimal(token)
    if exact == exact.to_integral_value() and abs(exact) < _INTEGER_RANGE:
        return int(exact)
    return float(token)


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object, or an ApiError that explains what is wrong with it.

    Writes accept only ``application/json``: a cross-site HTML form cannot send it without a
    CORS preflight, which makes this check a CSRF defence as well.
    """
    raw = request.get_data(cache=True)
    if optional and not raw:
        return {}
    if request.mimetype != "application/json":
        raise ApiError(
            415, "unsupported_media_type", "Send the body as application/json.", "content-type"
        )
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_reject_nan, parse_float=_number)
    except UnicodeDecodeError:
        raise invalid("body", "The body is not valid UTF-8.", "invalid_json") from None
    except RecursionError:
        raise invalid("body", "The JSON body is nested too deeply.", "invalid_json") from None
    except ValueError as exc:  # JSONDecodeError, NaN, integers longer than Python allows
        raise invalid("body", f"The body is not valid JSON: {exc}", "invalid_json") from None
    if not isinstance(value, dict):
        raise invalid("body", "The body must be a JSON object.", "invalid_json")
    _check(value, "", 0)
    return value


def etag_for(*parts: object) -> str:
    """A short strong ETag value from the parts that determine a response."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


# Request headers that can make a GET answer conditional (or partial).
_CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_RANGE",
)


def conditional(response: Response, etag: str) -> Response:
    """Attach ``etag``; answer 304 when the client already holds it."""
    response.headers["ETag"] = quote_etag(etag)
    environ = request.environ
    if any(name in environ for name in _CONDITIONAL_HEADERS):
        response.make_conditional(request)
    elif environ["REQUEST_METHOD"] in ("GET", "HEAD"):
        # All that ``make_conditional`` does for a request without those headers, for less.
        response.headers["Date"] = _date_now()
    return response


_date = (0, "")


def _date_now() -> str:
    """The current second as an HTTP date, formatted once a second."""
    global _date
    second = int(time.time())
    if _date[0] != second:
        _date = (second, http_date(second))
    return _date[1]


M = TypeVar("M", bound=BaseModel)
_TOO_LONG = frozenset({"string_too_long", "too_long", "url_too_long"})


def validated(model: type[M], data: dict[str, Any]) -> M:
    """``data`` (a JSON object) parsed into ``model``; the first problem becomes a 400 naming its
    field.

    JSON's own types, strictly: ``"198"`` is not a number, ``true`` is not the id 1, ``0`` is not
    ``false``; dates, enumerations and URLs are strings, as JSON writes them.
    """
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "Unknown field."
        if first["type"] in _TOO_LONG and not isinstance(first["input"], list):
            limit = first.get("ctx", {}).get("max_length")
            raise invalid(field, f"{field}: at most {limit} characters.", "too_long") from None
        raise invalid(field, f"{field}: {message}") from None


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``, however many reads that takes."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _sized_body() -> None:
    """Give a chunked body (``Transfer-Encoding: chunked``, no ``Content-Length``) its length,
    so it is limited and read like any other: 413 past ``MAX_CONTENT_LENGTH``, never cut."""
    environ = request.environ
    if (
        environ.get("CONTENT_LENGTH")
        or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    body = b""
    # Only a server that decodes the chunks says so; from any other the body is unreadable.
    if environ.get("wsgi.input_terminated"):
        body = _read_at_most(environ["wsgi.input"], limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def _declare_writes() -> None:
    """A request that may write begins its transactions as a writer (see ``db``)."""
    if request.method not in SAFE_METHODS:
        database.expect_writes()


def _nosniff(response: Response) -> Response:
    # Every answer is what its Content-Type says: browsers must not guess otherwise. Set, not
    # added if missing: the value is the same wherever it was set before.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    """Tell the database which requests write; size chunked bodies before anything reads
    them; mark every response ``nosniff``."""
    app.before_request(_declare_writes)
    app.before_request(_sized_body)
    app.after_request(_nosniff)


class LazyCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the signing setup on requests without a cookie.

    Flask builds its signing serializer on every request before it looks for the cookie; the
    API's readers never send one, and that setup costs a fifth of a small request's time.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ  # no cookie at all: no need to parse them
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)
