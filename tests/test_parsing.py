"""The parsing layer: request text into typed values, bounded by the schema's own columns."""

from __future__ import annotations

import pytest

from engagement import parsing
from engagement.errors import status_of
from engagement.models import Article, Ban, Comment, DailyViews, ModerationAction
from engagement.refusals import Refusal

INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("column", "largest"),
    [
        (Comment.id, INTEGER_MAX),
        (Ban.id, INTEGER_MAX),
        (ModerationAction.id, INTEGER_MAX),
        (DailyViews.views, INTEGER_MAX),
        (Article.view_count, BIGINT_MAX),
    ],
)
def test_an_integer_columns_range_comes_from_its_type(column: object, largest: int) -> None:
    assert parsing.column_max(column) == largest


@pytest.mark.parametrize(
    ("column", "size"),
    [(Article.url, 2000), (Article.title, 300), (Article.key, 200), (Ban.value, 254)],
)
def test_a_string_columns_size_comes_from_the_model(column: object, size: int) -> None:
    assert parsing.column_length(column) == size


@pytest.mark.parametrize("raw", ["1", "42", str(INTEGER_MAX), "0007"])
def test_ascii_digits_within_the_column_are_an_id(raw: str) -> None:
    assert parsing.row_id(raw, field="id", column=Comment.id) == int(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "0x10",
        "true",
        "²",
        "\u0661",  # ARABIC-INDIC DIGIT ONE, which int() reads as 1
        "\uff11",  # FULLWIDTH DIGIT ONE
        "1_000",
        str(INTEGER_MAX + 1),
        str(BIGINT_MAX + 1),
        "9" * 5000,
    ],
)
def test_anything_else_is_a_400_naming_the_field(raw: str) -> None:
    with pytest.raises(Refusal) as refused:
        parsing.row_id(raw, field="after", column=Comment.id)
    assert (status_of(refused.value), refused.value.code, refused.value.field) == (
        400,
        "invalid",
        "after",
    )


def test_a_bigint_column_takes_ids_past_the_integer_range() -> None:
    assert parsing.row_id(str(BIGINT_MAX), field="n", column=Article.view_count) == BIGINT_MAX


def test_a_text_filter_longer_than_its_column_is_refused() -> None:
    assert parsing.text_filter("x" * 120, field="actor", column=ModerationAction.actor)
    with pytest.raises(Refusal) as refused:
        parsing.text_filter("x" * 121, field="actor", column=ModerationAction.actor)
    assert refused.value.code == "too_long"


def test_an_empty_text_filter_is_no_filter() -> None:
    assert parsing.text_filter("  ", field="q", column=Article.title) is None
    assert parsing.text_filter(None, field="q", column=Article.title) is None


def test_a_nul_in_a_text_filter_is_refused() -> None:
    with pytest.raises(Refusal) as refused:
        parsing.text_filter("a\x00", field="q", column=Article.title)
    assert refused.value.field == "q"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Jos\u00e9", "Jose\u0301"),  # composed and decomposed
        ("ADA", "ada"),
        ("\uff21\uff44\uff41", "Ada"),  # full-width
        ("Stra\u00dfe", "STRASSE"),
        ("  two   spaces ", "two spaces"),
    ],
)
def test_names_in_any_unicode_form_compare_equal(one: str, other: str) -> None:
    assert parsing.comparable_name(one) == parsing.comparable_name(other)
