"""Request text into typed values, in one place: the API, the moderation pages and the command
line read every number, id and filter through these functions, so they all refuse alike.

- A whole number is ASCII digits only: no sign, no spaces, no ``²`` nor Arabic-Indic digits
  (which ``isdigit`` or ``int`` accept), no booleans in JSON. Else: a 400 naming the field.
- An id is a whole number from 1 to the largest its column holds in the schema (INTEGER:
  2**31 - 1, BIGINT: 2**63 - 1), on every database, so SQLite answers as PostgreSQL does: past
  that range it is malformed (400); within it, an id no row has is the caller's 404.
- A string's limit is its column's size, read from the models (``column_length(Article.url)``):
  the schema is the one source of truth, and no value reaches the database that it would refuse
  (PostgreSQL) or keep whole despite its declared size (SQLite).
- NUL characters are refused in every query parameter and form field (PostgreSQL cannot store
  nor compare them); JSON bodies are checked the same way by ``http.json_body``.
- Names (of commenters, in name bans) are compared in one form: ``comparable_name``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from annotated_types import GroupedMetadata, MaxLen
from flask import Flask, request
from pydantic import Field, UrlConstraints
from sqlalchemy import BigInteger, Integer, SmallInteger, String

from engagement.refusals import invalid

# The largest value of each integer type, as PostgreSQL defines it (SQLite holds more in any
# INTEGER column, but the schema is the same on both and so is the answer).
_INTEGER_MAX: tuple[tuple[type[Integer], int], ...] = (
    (BigInteger, 2**63 - 1),
    (SmallInteger, 2**15 - 1),
    (Integer, 2**31 - 1),
)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def column_max(column: Any) -> int:
    """The largest value the integer column ``column`` (e.g. ``Comment.id``) holds."""
    for kind, largest in _INTEGER_MAX:
        if isinstance(column.type, kind):
            return largest
    raise TypeError(f"{column} is not an integer column")


def column_length(column: Any) -> int:
    """The size of the string column ``column`` (e.g. ``Article.url``), in characters."""
    if not isinstance(column.type, String) or column.type.length is None:
        raise TypeError(f"{column} is not a string column of bounded size")
    return int(column.type.length)


# --- whole numbers and ids --------------------------------------------------------------------


def whole_number(raw: str, *, field: str, maximum: int, minimum: int = 1) -> int:
    """``raw`` as a whole number from ``minimum`` to ``maximum``; else a 400 naming ``field``."""
    # The length test comes first: int() of a huge string costs time, and past 4300 digits fails.
    if (
        not (raw.isascii() and raw.isdigit())
        or len(raw) > len(str(maximum))
        or not minimum <= int(raw) <= maximum
    ):
        raise invalid(field, f"{field}: a whole number from {minimum} to {maximum}.")
    return int(raw)


def row_id(raw: str, *, field: str, column: Any) -> int:
    """An id for ``column`` (e.g. ``Comment.id``) from request text; a 400 naming ``field`` when
    it cannot be one. Whether a row has it is for the caller to say (404)."""
    return whole_number(raw, field=field, maximum=column_max(column))


def optional_number(
    args: Mapping[str, str], name: str, *, maximum: int, minimum: int = 1
) -> int | None:
    """The whole number in ``args[name]`` (a query string or form), None when absent or empty."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    return whole_number(raw, field=name, maximum=maximum, minimum=minimum)


def optional_id(args: Mapping[str, str], name: str, *, column: Any) -> int | None:
    """The id for ``column`` in ``args[name]``, None when absent or empty."""
    return optional_number(args, name, maximum=column_max(column))


def within(column: Any) -> Any:
    """The range of a JSON id for ``column`` in a pydantic model, from 1 to the column's largest
    value: ``ids: list[Annotated[int, within(Comment.id)]]`` (``http.validated`` takes only
    JSON integers: never a string, a float or a boolean)."""
    return Field(ge=1, le=column_max(column))


# --- strings ----------------------------------------------------------------------------------


def refuse_nul(value: str, *, field: str) -> str:
    """``value`` unless it holds a NUL character, which no text column can store or compare."""
    if "\x00" in value:
        raise invalid(field, f"{field}: NUL characters are not allowed.")
    return value


def text_filter(raw: str | None, *, field: str, column: Any) -> str | None:
    """A filter or search text for ``column``, trimmed; None when empty. Longer than the column
    it could match nothing: a 400, like a NUL character."""
    value = refuse_nul((raw or "").strip(), field=field)
    if len(value) > column_length(column):
        raise invalid(field, f"{field}: at most {column_length(column)} characters.", "too_long")
    return value or None


def fits(column: Any, *, min_length: int = 0) -> Any:
    """The size of a JSON string for ``column`` in a pydantic model: at most the column's size,
    ``title: Annotated[str, fits(Article.title)]``."""
    return Field(min_length=min_length, max_length=column_length(column))


@dataclass(frozen=True)
class _UrlFits(GroupedMetadata):
    limit: int

    def __iter__(self) -> Iterator[object]:
        yield UrlConstraints(max_length=self.limit)  # as sent (instead of HttpUrl's 2,083)
        yield MaxLen(self.limit)  # as stored: host in punycode, path escaped


def url_fits(column: Any) -> Any:
    """The size of a JSON URL for ``column`` in a pydantic model, as sent and as stored:
    ``url: Annotated[HttpUrl, url_fits(Article.url)]``."""
    return _UrlFits(column_length(column))


def comparable_name(name: str) -> str:
    """A name in the form names are compared in: NFKC, case-folded, inner spaces collapsed.

    NFKC makes the composed and decomposed ``José``, and full-width ``Ｊｏｓé``, one name;
    case folding makes ``ADA`` and ``ada`` one (Unicode's NFKC_Casefold, applied in steps).
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


# --- every request ----------------------------------------------------------------------------


def _refuse_nul_in_request() -> None:
    """Refuse a NUL character in any query parameter or form field, whatever the route."""
    environ = request.environ
    query = environ.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        for name, value in request.args.items(multi=True):
            refuse_nul(name, field=name)
            refuse_nul(value, field=name)
    # The raw header, not ``request.mimetype``: this runs on every request, forms are rare.
    if environ.get("CONTENT_TYPE", "").lower().startswith(_FORM_TYPES):
        # Keep the body: a route that does not take forms still reads it (and refuses it, 415).
        request.get_data(cache=True)
        for name, value in request.form.items(multi=True):
            refuse_nul(name, field=name)
            refuse_nul(value, field=name)


def init_app(app: Flask) -> None:
    """Check every request's query string and form for what no route may receive."""
    app.before_request(_refuse_nul_in_request)
