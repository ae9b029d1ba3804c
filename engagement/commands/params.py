"""Argument types the commands share."""

from __future__ import annotations

from typing import Any

import click

from engagement import parsing
from engagement.refusals import Refusal


class RowId(click.ParamType):
    """An id argument read as the API reads ids (``parsing.row_id``): ASCII digits, within the
    column's range."""

    name = "id"

    def __init__(self, column: Any) -> None:
        self.column = column

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        try:
            return parsing.row_id(
                str(value), field=param.name if param else "id", column=self.column
            )
        except Refusal as exc:
            self.fail(exc.message, param, ctx)
