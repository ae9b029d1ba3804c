"""``GET /metrics``: the service's state in the Prometheus text format.

The figures come from the database, so every process answers the same numbers and a scrape
needs no shared memory between gunicorn workers.
"""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import func, select

from engagement import db as database
from engagement import ratelimit
from engagement.models import Article, Comment, CommentStatus, Report

bp = Blueprint("metrics", __name__)


def _lines(name: str, kind: str, help_text: str, samples: list[tuple[str, int]]) -> list[str]:
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    out += [f"{name}{labels} {value}" for labels, value in samples]
    return out


@bp.get("/metrics")
@ratelimit.exempt
def metrics() -> Response:
    """Totals for monitoring.
    ---
    get:
      summary: Prometheus metrics (articles, views, comments by status, open reports)
      responses:
        200: {description: "text/plain; version=0.0.4"}
    """
    db = database.session()
    articles, views = db.execute(
        select(func.count(Article.id), func.coalesce(func.sum(Article.view_count), 0))
    ).one()
    by_status = dict(
        db.execute(
            select(Comment.status, func.count(Comment.id))
            .where(Comment.deleted_at.is_(None))
            .group_by(Comment.status)
        ).all()
    )
    open_reports = db.scalar(select(func.count(Report.id)).where(Report.resolved_at.is_(None)))
    lines = [
        *_lines("engagement_articles", "gauge", "Registered articles.", [("", articles)]),
        *_lines("engagement_views_total", "counter", "Counted views.", [("", int(views))]),
        *_lines(
            "engagement_comments",
            "gauge",
            "Comments not deleted, by status.",
            [(f'{{status="{s.value}"}}', by_status.get(s, 0)) for s in CommentStatus],
        ),
        *_lines(
            "engagement_open_reports", "gauge", "Unresolved reports.", [("", open_reports or 0)]
        ),
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
