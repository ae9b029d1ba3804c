"""``worker`` and ``demo``: the processes an operator runs beside (or instead of) the web
service."""

from __future__ import annotations

import os
import signal
import threading
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from engagement import startup


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--batch", default=50, show_default=True, help="Rows taken per step of a pass.")
@click.option(
    "--lease-seconds",
    default=300,
    show_default=True,
    help="How long a taken delivery is this worker's; after a crash another takes it then.",
)
@with_appcontext
def worker(once: bool, batch: int, lease_seconds: int) -> None:
    """Deliver webhooks and mails from the outbox; run one or more beside the web processes."""
    from engagement.notifications.worker import Worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = Worker(app, batch=batch, lease=timedelta(seconds=lease_seconds))
    if once:
        click.echo(f"handled {runner.drain()}")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"worker {os.getpid()} delivering; stop with SIGTERM or Ctrl-C", err=True)
    runner.run(stop)


@click.command("demo")
@click.option("--port", default=5000, show_default=True)
def demo(port: int) -> None:
    """Run the service on 127.0.0.1 with its embedded SQLite, the demo article at /demo/, a
    local mail catcher (its mails at /demo/mail/) and a worker that delivers to it."""
    from engagement.notifications.catcher import MailCatcher
    from engagement.notifications.worker import Worker

    os.environ.setdefault("ENGAGEMENT_DEBUG", "1")
    os.environ.setdefault("ENGAGEMENT_DEMO", "1")
    os.environ.setdefault("ENGAGEMENT_PUBLIC_URL", f"http://127.0.0.1:{port}")
    catcher = None
    if not os.environ.get("ENGAGEMENT_SMTP_HOST"):
        instance = Path(startup.app_or_exit().instance_path)
        catcher = MailCatcher(instance / "demo-mail").start()
        os.environ.update(
            ENGAGEMENT_SMTP_HOST="127.0.0.1",
            ENGAGEMENT_SMTP_PORT=str(catcher.port),
            ENGAGEMENT_SMTP_TLS="none",
            ENGAGEMENT_MAIL_FROM="The Harbour Review <comments@harbour-review.invalid>",
        )
    app = startup.app_or_exit()
    stop = threading.Event()
    threading.Thread(target=Worker(app).run, args=(stop,), daemon=True, name="worker").start()
    click.echo(f"demo article: http://127.0.0.1:{port}/demo/")
    if catcher is not None:
        click.echo(
            f"caught mail:  http://127.0.0.1:{port}/demo/mail/ (SMTP on port {catcher.port})"
        )
    click.echo(
        f"moderation:   http://127.0.0.1:{port}/moderation/ (an account: "
        "ENGAGEMENT_DEBUG=1 engagement create-moderator NAME --role admin)"
    )
    try:
        # Flask's CLI refuses app.run(); serve with Werkzeug directly, local-only.
        run_simple("127.0.0.1", port, app, threaded=True)
    finally:
        stop.set()
        if catcher is not None:
            catcher.stop()
