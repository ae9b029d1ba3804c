"""Moderation pages for notifications: each moderator's alerts, and the admins' webhooks.

They live under ``/moderation/`` with the other moderation pages and share their guard (login,
CSRF on every post), headers and navigation.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engagement import db as database
from engagement.errors import status_of
from engagement.moderation import audit
from engagement.moderation import pages as moderation_pages
from engagement.moderation.access import admin_required, current_moderator
from engagement.moderation.audit import Actor
from engagement.notifications import alerts, events, webhooks
from engagement.refusals import Refusal

bp = Blueprint("moderation_notifications", __name__, url_prefix="/moderation")
bp.before_request(moderation_pages._guard)
bp.after_request(moderation_pages._headers)
bp.context_processor(moderation_pages._navigation)


def _actor() -> Actor:
    return Actor.moderator(current_moderator())


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
    try:
        alerts.choose(
            db,
            moderator=current_moderator(),
            email=request.form.get("email", "").strip() or None,
            enabled=request.form.get("enabled") == "on",
        )
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for(".alert_settings"), code=303)
    db.commit()
    flash("Your alert settings are saved.", "success")
    return redirect(url_for(".alert_settings"), code=303)


# --- webhooks (admins) ------------------------------------------------------------------------


def _events_from_form() -> list[str]:
    return webhooks.check_events(request.form.getlist("event"))


def _list_page(**extra: object) -> str:
    return render_template(
        "notifications/moderation_webhooks.html",
        endpoints=webhooks.all_endpoints(database.session()),
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
        url = webhooks.check_url(
            request.form.get("url"), current_app.config["WEBHOOK_ALLOWED_NETWORKS"]
        )
        chosen = _events_from_form()
        description = webhooks.check_description(request.form.get("description"))
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for(".webhook_list"), code=303)
    endpoint = webhooks.create(
        db, url=url, events=chosen, description=description, created_by=current_moderator().username
    )
    audit.record(db, actor=_actor(), action="webhook.create", after={"id": endpoint.id, "url": url})
    db.commit()
    return _page_of(endpoint.id, secret=endpoint.secret)


def _page_of(endpoint_id: int, **extra: object) -> str:
    db = database.session()
    try:
        endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    except Refusal:
        abort(404)
    return render_template(
        "notifications/moderation_webhook.html",
        endpoint=endpoint,
        deliveries=webhooks.deliveries(db, endpoint=endpoint),
        events=events.EVENTS,
        **extra,
    )


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
    try:
        endpoint = webhooks.get(db, endpoint_id=endpoint_id)
        url = webhooks.check_url(
            request.form.get("url"), current_app.config["WEBHOOK_ALLOWED_NETWORKS"]
        )
        chosen = _events_from_form()
        description = webhooks.check_description(request.form.get("description"))
    except Refusal as exc:
        if status_of(exc) == 404:
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for(".webhook_page", endpoint_id=endpoint_id), code=303)
    enabled = request.form.get("enabled") == "on"
    webhooks.update(
        db, endpoint=endpoint, url=url, events=chosen, description=description, enabled=enabled
    )
    audit.record(
        db,
        actor=_actor(),
        action="webhook.update",
        after={"id": endpoint.id, "url": url, "events": chosen, "enabled": enabled},
    )
    db.commit()
    flash("The endpoint is saved.", "success")
    return redirect(url_for(".webhook_page", endpoint_id=endpoint_id), code=303)


@bp.post("/webhooks/<int:endpoint_id>/rotate")
@admin_required
def webhook_rotate(endpoint_id: int) -> ResponseReturnValue:
    """A new secret, shown once; the old one keeps signing for a day."""
    db = database.session()
    try:
        endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    except Refusal:
        abort(404)
    webhooks.rotate_secret(db, endpoint=endpoint)
    audit.record(db, actor=_actor(), action="webhook.rotate", after={"id": endpoint.id})
    db.commit()
    return _page_of(endpoint_id, secret=endpoint.secret)


@bp.post("/webhooks/<int:endpoint_id>/delete")
@admin_required
def webhook_delete(endpoint_id: int) -> ResponseReturnValue:
    """Remove an endpoint and its log."""
    db = database.session()
    try:
        endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    except Refusal:
        abort(404)
    audit.record(
        db, actor=_actor(), action="webhook.delete", after={"id": endpoint.id, "url": endpoint.url}
    )
    webhooks.delete(db, endpoint=endpoint)
    db.commit()
    flash("The endpoint is removed.", "success")
    return redirect(url_for(".webhook_list"), code=303)


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
@admin_required
def webhook_replay(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a delivery again (same ``webhook-id``) with the worker's next pass."""
    db = database.session()
    try:
        endpoint = webhooks.get(db, endpoint_id=endpoint_id)
        again = webhooks.replay(db, endpoint=endpoint, delivery_id=delivery_id)
    except Refusal:
        abort(404)
    db.commit()
    flash(f"Delivery {delivery_id} will be sent again (as {again.id}).", "success")
    return redirect(url_for(".webhook_page", endpoint_id=endpoint_id), code=303)
