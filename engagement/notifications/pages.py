"""Moderation pages for notifications: each moderator's alerts, and the admins' webhooks.

They live under ``/moderation/`` with the other moderation pages and share their guard (login,
CSRF on every post), headers and navigation.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import WebhookEndpoint
from engagement.moderation import audit
from engagement.moderation.access import admin_required, current_moderator
from engagement.moderation.pages import as_moderation_pages
from engagement.moderation.pages.forms import go, refused
from engagement.moderation.requests import actor
from engagement.notifications import alerts, events, webhooks
from engagement.refusals import Refusal

bp = Blueprint("moderation_notifications", __name__, url_prefix="/moderation")
as_moderation_pages(bp)


# --- alerts (every moderator, for themselves) -------------------------------------------------


@bp.get("/alerts")
def alert_settings() -> ResponseReturnValue:
    """The moderator's choice of alert mails."""
    found = alerts.settings_of(database.session(), moderator=current_moderator())
    return render_template(
        "notifications/moderation_alerts.html",
        alert=found,
        mail_configured=events.mail_configured(),
        interval=current_app.config["ALERT_MINUTES"],
    )


@bp.post("/alerts")
def alert_choose() -> ResponseReturnValue:
    """Save the moderator's choice."""
    db = database.session()
    email = request.form.get("email", "").strip() or None
    enabled = request.form.get("enabled") == "on"
    try:
        alerts.choose(db, moderator=current_moderator(), email=email, enabled=enabled)
    except Refusal as refusal:
        return refused(refusal, url_for(".alert_settings"))
    db.commit()
    return go(url_for(".alert_settings"), ok="Your alert settings are saved.")


# --- webhooks (admins) ------------------------------------------------------------------------


def _endpoint_or_404(db: Session, endpoint_id: int) -> WebhookEndpoint:
    try:
        return webhooks.get(db, endpoint_id=endpoint_id)
    except Refusal:
        abort(404)


def _endpoint_form() -> tuple[str, list[str], str]:
    """The address, events and description the form gives; a refusal when one is wrong."""
    form = request.form
    url = webhooks.check_url(form.get("url"), current_app.config["WEBHOOK_ALLOWED_NETWORKS"])
    chosen = webhooks.check_events(form.getlist("event"))
    return url, chosen, webhooks.check_description(form.get("description"))


def _list_page(**extra: object) -> str:
    return render_template(
        "notifications/moderation_webhooks.html",
        endpoints=webhooks.all_endpoints(database.session()),
        events=events.EVENTS,
        **extra,
    )


def _page_of(endpoint_id: int, **extra: object) -> str:
    db = database.session()
    endpoint = _endpoint_or_404(db, endpoint_id)
    return render_template(
        "notifications/moderation_webhook.html",
        endpoint=endpoint,
        deliveries=webhooks.deliveries(db, endpoint=endpoint),
        events=events.EVENTS,
        **extra,
    )


@bp.get("/webhooks")
@admin_required
def webhook_list() -> ResponseReturnValue:
    """The registered endpoints and the form to add one."""
    return _list_page()


@bp.post("/webhooks")
@admin_required
def webhook_create() -> ResponseReturnValue:
    """Register an endpoint and show its secret, this once."""
    db = database.session()
    try:
        url, chosen, description = _endpoint_form()
    except Refusal as refusal:
        return refused(refusal, url_for(".webhook_list"))
    by = current_moderator().username
    endpoint = webhooks.create(db, url=url, events=chosen, description=description, created_by=by)
    audit.record(db, actor=actor(), action="webhook.create", after={"id": endpoint.id, "url": url})
    db.commit()
    return _page_of(endpoint.id, secret=endpoint.secret)


@bp.get("/webhooks/<int:endpoint_id>")
@admin_required
def webhook_page(endpoint_id: int) -> ResponseReturnValue:
    """One endpoint: its settings and its latest deliveries."""
    return _page_of(endpoint_id)


@bp.post("/webhooks/<int:endpoint_id>")
@admin_required
def webhook_update(endpoint_id: int) -> ResponseReturnValue:
    """Change an endpoint's address, events, description or whether it is enabled."""
    db = database.session()
    endpoint = _endpoint_or_404(db, endpoint_id)
    here = url_for(".webhook_page", endpoint_id=endpoint_id)
    try:
        url, chosen, description = _endpoint_form()
    except Refusal as refusal:
        return refused(refusal, here)
    enabled = request.form.get("enabled") == "on"
    webhooks.update(
        db, endpoint=endpoint, url=url, events=chosen, description=description, enabled=enabled
    )
    after = {"id": endpoint.id, "url": url, "events": chosen, "enabled": enabled}
    audit.record(db, actor=actor(), action="webhook.update", after=after)
    db.commit()
    return go(here, ok="The endpoint is saved.")


@bp.post("/webhooks/<int:endpoint_id>/rotate")
@admin_required
def webhook_rotate(endpoint_id: int) -> ResponseReturnValue:
    """A new secret, shown once; the old one keeps signing for a day."""
    db = database.session()
    endpoint = _endpoint_or_404(db, endpoint_id)
    webhooks.rotate_secret(db, endpoint=endpoint)
    audit.record(db, actor=actor(), action="webhook.rotate", after={"id": endpoint.id})
    db.commit()
    return _page_of(endpoint_id, secret=endpoint.secret)


@bp.post("/webhooks/<int:endpoint_id>/delete")
@admin_required
def webhook_delete(endpoint_id: int) -> ResponseReturnValue:
    """Remove an endpoint and its log."""
    db = database.session()
    endpoint = _endpoint_or_404(db, endpoint_id)
    after = {"id": endpoint.id, "url": endpoint.url}
    audit.record(db, actor=actor(), action="webhook.delete", after=after)
    webhooks.delete(db, endpoint=endpoint)
    db.commit()
    return go(url_for(".webhook_list"), ok="The endpoint is removed.")


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
@admin_required
def webhook_replay(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a delivery again (same ``webhook-id``) with the worker's next pass."""
    db = database.session()
    endpoint = _endpoint_or_404(db, endpoint_id)
    try:
        again = webhooks.replay(db, endpoint=endpoint, delivery_id=delivery_id)
    except Refusal:
        abort(404)
    db.commit()
    here = url_for(".webhook_page", endpoint_id=endpoint_id)
    return go(here, ok=f"Delivery {delivery_id} will be sent again (as {again.id}).")
