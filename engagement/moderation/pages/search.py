"""The search page: every comment matching the form's words and filters, newest first, with the
words highlighted and the queue's actions on each."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from engagement import db as database
from engagement.models import CommentStatus
from engagement.moderation import search
from engagement.moderation.pages.blueprint import bp
from engagement.refusals import Refusal


def _search_page(args: MultiDict[str, str], **shown: Any) -> str:
    return render_template("moderation/search.html", args=args, **shown)


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    """Every comment matching the form's words and filters, newest first, highlighted."""
    args = request.args
    try:
        query = search.parse(args, args.getlist("status"))
    except Refusal as refusal:
        return _search_page(args, query=None, error=refusal.message, result=None), 400
    result = search.search(database.session(), query=query) if query.args() else None
    statuses = list(CommentStatus)
    return _search_page(
        args, query=query, error=None, result=result, statuses=statuses, signals=search.SIGNALS
    )
