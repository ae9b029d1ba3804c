"""``engagement worker``: turns the outbox into webhook deliveries and mails, and sends them.

One pass does four things, each in short transactions of its own:

1. **Fan out** (``fan_out.py``): outbox events become deliveries and reply mails.
2. **Deliver webhooks** (``delivery.py``): due deliveries are claimed (``leases.py``), POSTed
   (``sender.py``) and their outcomes committed one by one. Only a delivery in flight when a
   worker is killed can arrive twice, under the same ``webhook-id``.
3. **Queue moderator alerts** whose interval has passed (``alerts.py``).
4. **Send mails** (``mailing.py``) the same way as deliveries: claimed, sent, committed one by
   one (the due replies to one reader go out together, as one digest).

The worker is the door the settings come in by: it reads them from the app's config and hands
each step what it needs. Time comes from ``clock``, so tests can move it forward instead of
waiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import utcnow
from engagement.notifications import alerts, delivery, events, fan_out, mail, mailing
from engagement.notifications.compose import Composer
from engagement.notifications.leases import Lease
from engagement.notifications.sender import Sender

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 50


class Worker:
    """Delivers what the outbox holds; ``run_once`` for one pass, ``run`` until stopped."""

    def __init__(
        self,
        app: Flask,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
        lease: timedelta = LEASE,
    ) -> None:
        self.app = app
        self.clock = clock
        self.batch = batch
        self.config = app.config
        self.lease = Lease(clock=clock, length=lease, batch=batch)
        self._sessions = app.extensions["engagement.sessionmaker"]

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set, resting ``WORKER_POLL_SECONDS`` whenever idle."""
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # a database outage: log, rest, try again
                log.exception("worker pass failed")
                done = 0
            if not done:
                stop.wait(self.config["WORKER_POLL_SECONDS"])

    def run_once(self) -> int:
        """One pass over everything due now; how many events, deliveries and mails it handled."""
        # SQLite: take the write lock at BEGIN, like a request that writes (see ``engagement.db``).
        with self.app.app_context(), database.writing():
            done = self.fan_out()
            done += self.deliver_webhooks()
            if self._mailing():
                done += self.queue_alerts()
                done += self.send_mails()
            return done

    def drain(self, *, limit: int = 1000) -> int:
        """Pass until nothing is due (at most ``limit`` passes); everything handled."""
        total = 0
        for _ in range(limit):
            done = self.run_once()
            total += done
            if not done:
                break
        return total

    def fan_out(self) -> int:
        """Turn a batch of outbox events into deliveries and mails; how many events."""
        digest = timedelta(minutes=self.config["DIGEST_MINUTES"])
        with self._session() as db:
            return fan_out.fan_out_events(
                db, batch=self.batch, now=self.clock(), mailing=self._mailing(), digest=digest
            )

    def deliver_webhooks(self) -> int:
        """Attempt every due delivery of enabled endpoints (a batch); how many."""
        sender = Sender(
            allowed_networks=self.config["WEBHOOK_ALLOWED_NETWORKS"],
            timeout=self.config["WEBHOOK_TIMEOUT_SECONDS"],
        )
        with self._session() as db, sender:
            return delivery.deliver_due(
                db, lease=self.lease, clock=self.clock, sender=sender, mailing=self._mailing()
            )

    def queue_alerts(self) -> int:
        """Queue the moderator alerts whose interval has passed; how many."""
        with self._session() as db:
            interval = timedelta(minutes=self.config["ALERT_MINUTES"])
            queued = alerts.queue_due(db, now=self.clock(), interval=interval)
            db.commit()
            return queued

    def send_mails(self) -> int:
        """Send every due mail (a batch); how many rows it settled or retried."""
        smtp = mail.SmtpSettings.from_config(self.config)
        composer = Composer(
            smtp=smtp,
            public_url=self.config["PUBLIC_URL"],
            report_threshold=self.config["REPORT_THRESHOLD"],
            alert_minutes=self.config["ALERT_MINUTES"],
        )
        with self._session() as db, mail.Mailer(smtp) as out:
            return mailing.send_due(
                db, lease=self.lease, clock=self.clock, out=out, composer=composer
            )

    def _mailing(self) -> bool:
        return events.mail_configured()

    def _session(self) -> Session:
        return self._sessions()  # type: ignore[no-any-return]
