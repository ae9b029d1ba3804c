"""The dashboard, the moderation pages' home: queue sizes, views and comments per day, the most
read and most discussed articles."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template
from flask.typing import ResponseReturnValue

from engagement import db as database
from engagement.moderation import stats
from engagement.moderation.pages.blueprint import bp


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """Queue sizes, views and comments per day, the most read and discussed articles."""
    db = database.session()
    today = datetime.now(UTC).date()
    views = stats.views_per_day(db, today=today)
    comments = stats.comments_per_day(db, today=today)
    return render_template(
        "moderation/dashboard.html",
        views=stats.bar_chart("Views per day", views, unit="view"),
        comments=stats.bar_chart("Comments per day", comments, unit="comment"),
        most_read=stats.most_read(db, today=today),
        most_discussed=stats.most_discussed(db, today=today),
    )
