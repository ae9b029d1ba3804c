"""``GET /metrics``: the service in the Prometheus text format.

Two kinds of figures, in one answer:

- what the processes counted (``engagement/instruments.py``): request latency and counts per
  route and status, 429s per limit, the database pools, the answer caches. Under several
  workers, prometheus-client's multiprocess mode adds up every worker's files, so any worker
  answers for all of them;
- what the database holds, read at each scrape: articles, views, comments by status, open
  reports, the moderation queues.

Who may read it is a setting: by default ``/metrics`` answers only an API token with the scope
``metrics``; with ``ENGAGEMENT_METRICS_LISTEN=host:port`` it answers 404 on the service's port,
and one worker serves it without a token on that address instead (a private network).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, start_wsgi_server
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from engagement import config as settings
from engagement import db as database
from engagement import logs, openapi, ratelimit, tokens
from engagement.instruments import RATE_LIMITED, REQUESTS
from engagement.models import Article, Comment, CommentStatus, Report, TokenScope
from engagement.moderation.queues import queue_sizes

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)
EXTENSION = "engagement.metrics"


class DatabaseFigures(Collector):
    """What the database holds, read at each scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        with self.app.app_context():
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
            open_reports = db.scalar(
                select(func.count(Report.id)).where(Report.resolved_at.is_(None))
            )
            queues = queue_sizes(db, threshold=self.app.config["REPORT_THRESHOLD"])
        yield GaugeMetricFamily("engagement_articles", "Registered articles.", value=articles)
        yield CounterMetricFamily("engagement_views", "Counted views.", value=int(views))
        comments = GaugeMetricFamily(
            "engagement_comments", "Comments not deleted, by status.", labels=["status"]
        )
        for status in CommentStatus:
            comments.add_metric([status.value], by_status.get(status, 0))
        yield comments
        yield GaugeMetricFamily(
            "engagement_open_reports", "Unresolved reports.", value=open_reports or 0
        )
        waiting = GaugeMetricFamily(
            "engagement_moderation_queue",
            "Comments waiting in each moderation queue.",
            labels=["queue"],
        )
        for queue, size in queues.items():
            waiting.add_metric([queue.value], size)
        yield waiting


class ProcessFigures(Collector):
    """What this process counted, or every worker's together in multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        if settings.metrics_directory():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()


def scrape_registry(app: Flask) -> CollectorRegistry:
    """Everything ``/metrics`` shows, for ``app``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProcessFigures())
    registry.register(DatabaseFigures(app))
    return registry


def init_app(app: Flask) -> None:
    """Count every request; serve ``/metrics`` on ``ENGAGEMENT_METRICS_LISTEN`` if set."""
    app.extensions[EXTENSION] = scrape_registry(app)
    app.after_request(_count_request)
    _forget_dead_workers()
    listen = app.config["METRICS_LISTEN"]
    if listen:
        host, _, port = listen.rpartition(":")
        try:
            server, _thread = start_wsgi_server(
                int(port), host.strip("[]"), registry=app.extensions[EXTENSION]
            )
        except OSError:
            # Another worker of this server serves it: the figures are the same.
            log.debug("metrics address %s is served by another process", listen)
        else:
            app.extensions[EXTENSION + ".server"] = server


def _forget_dead_workers() -> None:
    """Drop the live gauges of worker processes that are gone (a restart, a graceful reload):
    the server names no hook for it, so each new worker does it when it starts."""
    folder = settings.metrics_directory()
    if not folder:
        return
    for path in Path(folder).glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            multiprocess.mark_process_dead(int(pid), folder)


def _count_request(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule else "(unmatched)"
    REQUESTS.labels(request.method, route, str(response.status_code)).observe(
        logs.request_seconds()
    )
    if response.status_code == 429:
        RATE_LIMITED.labels(ratelimit.limit_name() or "none").inc()
    return response


@bp.get("/metrics")
@ratelimit.exempt
@openapi.operation(
    {
        200: openapi.Answer(
            media="text/plain",
            schema={"type": "string"},
            description="The Prometheus text format (text/plain; version=0.0.4).",
        )
    },
    scope="metrics",
    refusals=(404,),
)
def metrics() -> Response:
    """Prometheus metrics.

    Request latency and counts per route and status, 429s per limit, database pools, answer
    caches, moderation queues, and totals read from the database. Needs an API token with the
    scope `metrics`, unless ENGAGEMENT_METRICS_LISTEN serves it on an address of its own,
    without a token (then this route answers 404).
    """
    if current_app.config["METRICS_LISTEN"]:
        abort(404)
    tokens.require_token(TokenScope.METRICS)
    body = generate_latest(current_app.extensions[EXTENSION])
    return Response(
        body, content_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"}
    )
