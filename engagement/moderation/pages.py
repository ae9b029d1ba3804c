"""The moderators' pages under ``/moderation/``: login, dashboard, queues, articles, audit, admin.

Every page needs a login (401 with the login form otherwise), every form post a CSRF token
(400), admin pages the admin role (403). GET never changes anything; forms post and redirect.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from engagement import db as database
from engagement import tokens
from engagement.abuse import bans
from engagement.errors import ApiError, error_response
from engagement.http import KEY_PATTERN
from engagement.models import BanKind, Comment, CommentStatus, ModerationMode, Role, TokenScope
from engagement.moderation import accounts, audit, search, service, stats
from engagement.moderation.access import (
    HOME,
    Account,
    admin_required,
    check_csrf,
    current_moderator,
    harden,
    is_logged_in,
    refresh_login_cookie,
    safe_next,
)
from engagement.moderation.audit import Actor
from engagement.ratelimit import limit

bp = Blueprint(
    "moderation_pages",
    __name__,
    url_prefix="/moderation",
    template_folder="templates",
    static_folder="static",
)

PUBLIC_ENDPOINTS = {
    "moderation_pages.login_form",
    "moderation_pages.login",
    "moderation_pages.static",
}
MAX_REASON = 1000


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if request.endpoint not in PUBLIC_ENDPOINTS and not is_logged_in():
        return _login_form(status=401, next_path=request.full_path.rstrip("?"))
    if request.endpoint != "moderation_pages.static":
        check_csrf()
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    return harden(refresh_login_cookie(response))


@bp.app_template_filter("plural")
def _plural(count: int, word: str) -> str:
    return stats.plural(count, word)


@bp.context_processor
def _navigation() -> dict[str, Any]:
    if not is_logged_in():
        return {"moderator": None}
    if "queue_sizes" not in g:
        g.queue_sizes = service.queue_sizes(database.session(), threshold=_threshold())
    return {
        "moderator": current_moderator(),
        "sizes": g.queue_sizes,
        "Queue": service.Queue,
        "refresh_seconds": current_app.config["QUEUE_REFRESH_SECONDS"],
    }


def _threshold() -> int:
    return int(current_app.config["REPORT_THRESHOLD"])


def _actor() -> Actor:
    return Actor.moderator(current_moderator())


def _reason() -> str | None:
    return (request.form.get("reason") or "").strip()[:MAX_REASON] or None


def _back(default: str) -> ResponseReturnValue:
    target = request.form.get("next")
    return redirect(safe_next(target) if target else default, code=303)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


# --- login ------------------------------------------------------------------------------------


def _login_form(*, status: int, next_path: str, error: str | None = None) -> Response:
    page = render_template(
        "moderation/login.html", next_path=safe_next(next_path), error=error, moderator=None
    )
    return harden(Response(page, status=status, mimetype="text/html"))


@bp.get("/login")
def login_form() -> ResponseReturnValue:
    """The login form."""
    next_path = request.args.get("next") or HOME
    if is_logged_in():
        return redirect(safe_next(next_path))
    return _login_form(status=200, next_path=next_path)


@bp.post("/login")
@limit("login")
def login() -> ResponseReturnValue:
    """Check the login form; on success start a session and go where the moderator was going."""
    next_path = request.form.get("next") or HOME
    db = database.session()
    config = current_app.config
    try:
        moderator = accounts.authenticate(
            db,
            username=request.form.get("username", "")[:80],
            password=request.form.get("password", "")[: accounts.MAX_PASSWORD],
            max_failures=config["LOGIN_MAX_FAILURES"],
            lockout=timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]),
        )
    except accounts.LoginRefused as refused:
        db.commit()
        message = (
            "Too many failed attempts: this account is locked for a while."
            if refused.locked
            else "Wrong username or password."
        )
        return _login_form(status=401, next_path=next_path, error=message)
    db.commit()
    session.clear()
    session.permanent = True
    login_user(Account(moderator))
    return redirect(safe_next(next_path), code=303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session, and every other session of the account."""
    db = database.session()
    accounts.end_sessions(db, moderator=current_moderator())
    db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("moderation_pages.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """Change one's own password (which ends the other sessions)."""
    moderator = current_moderator()
    if request.method == "GET":
        return render_template("moderation/password.html")
    db = database.session()
    try:
        accounts.authenticate(
            db,
            username=moderator.username,
            password=request.form.get("current", "")[: accounts.MAX_PASSWORD],
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lockout=timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]),
        )
        accounts.set_password(db, moderator=moderator, password=request.form.get("new", ""))
    except accounts.LoginRefused:
        db.commit()
        flash("The current password is wrong.", "error")
        return redirect(url_for("moderation_pages.password"), code=303)
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("moderation_pages.password"), code=303)
    db.commit()
    login_user(Account(moderator))
    flash("Password changed; other sessions of this account have ended.", "ok")
    return redirect(HOME, code=303)


# --- dashboard --------------------------------------------------------------------------------


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """Queue sizes, views and comments per day, the most read and discussed articles."""
    db = database.session()
    today = datetime.now(UTC).date()
    return render_template(
        "moderation/dashboard.html",
        views=stats.bar_chart("Views per day", stats.views_per_day(db, today=today), unit="view"),
        comments=stats.bar_chart(
            "Comments per day", stats.comments_per_day(db, today=today), unit="comment"
        ),
        most_read=stats.most_read(db, today=today),
        most_discussed=stats.most_discussed(db, today=today),
    )


# --- queues and comments ---------------------------------------------------------------------


@bp.get("/queues/<queue>")
def queue_page(queue: str) -> ResponseReturnValue:
    """A queue, oldest first, with one-click and bulk actions."""
    if queue not in set(service.Queue):
        abort(404)
    chosen = service.Queue(queue)
    page = service.queue(
        database.session(), queue=chosen, threshold=_threshold(), after_id=_int_arg("after")
    )
    return render_template("moderation/queue.html", page=page, active_queue=chosen)


@bp.get("/queues.json")
def queue_counts() -> ResponseReturnValue:
    """How many comments wait in each queue: what the pages poll to keep their counts fresh."""
    sizes = service.queue_sizes(database.session(), threshold=_threshold())
    return jsonify({queue.value: size for queue, size in sizes.items()})


def _context_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author_name": comment.author_name,
        "text": comment.text,
        "status": comment.status.value,
        "created_at": comment.created_at.isoformat(),
    }


@bp.get("/comments/<int:comment_id>/context")
def comment_context(comment_id: int) -> ResponseReturnValue:
    """The comment's place in its thread as JSON: its parent and its nearest siblings."""
    db = database.session()
    comment = service.get_comment(db, comment_id=comment_id)
    if comment is None:
        abort(404)
    found = service.thread_context(db, comment=comment)
    return jsonify(
        comment=_context_json(comment),
        parent=_context_json(found.parent) if found.parent else None,
        siblings=[_context_json(sibling) for sibling in found.siblings],
    )


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/comments/<int:comment_id>")
def comment_page(comment_id: int) -> ResponseReturnValue:
    """One comment in full, with edit and ban forms and what happened to it so far."""
    db = database.session()
    comment = service.get_comment(db, comment_id=comment_id)
    if comment is None:
        abort(404)
    log = audit.entries(db, wanted=audit.AuditFilter(comment_id=comment_id))
    ban = bans.active_ban_for(db, email=comment.author_email, visitor=comment.visitor)
    return render_template(
        "moderation/comment.html", item=service.item_for(db, comment=comment), log=log, ban=ban
    )


def _ban_days() -> int | None:
    raw = request.form.get("days", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 36500:
        abort(400, "A ban lasts 1 to 36500 days, or leave it empty for good.")
    return int(raw)


@bp.post("/comments/<int:comment_id>/<action>")
def comment_action(comment_id: int, action: str) -> ResponseReturnValue:
    """One action on one comment."""
    if action not in set(service.Action):
        abort(404)
    db = database.session()
    comment = service.get_comment(db, comment_id=comment_id)
    if comment is None:
        abort(404)
    chosen = service.Action(action)
    try:
        service.act(
            db,
            actor=_actor(),
            comment=comment,
            action=chosen,
            reason=_reason(),
            text=request.form.get("text"),
            ban_days=_ban_days() if chosen is service.Action.BAN_AUTHOR else None,
        )
    except ApiError as exc:
        db.rollback()
        if _wants_json():
            return error_response(exc.status, exc.code, exc.message, exc.field)
        flash(exc.message, "error")
        return _back(url_for("moderation_pages.comment_page", comment_id=comment_id))
    db.commit()
    if _wants_json():  # the queue pages' keyboard shortcuts: no page load, no flash
        return jsonify(
            id=comment_id,
            action=chosen.value,
            status=comment.status.value,
            message=f"Comment {comment_id}: {chosen.value} done.",
        )
    flash(f"Comment {comment_id}: {chosen.value} done.", "ok")
    return _back(url_for("moderation_pages.comment_page", comment_id=comment_id))


@bp.post("/comments/bulk")
def bulk_action() -> ResponseReturnValue:
    """One action on every selected comment."""
    action = request.form.get("action", "")
    if action not in service.BULK_ACTIONS:
        abort(400, "Choose one of the bulk actions.")
    raw_ids = request.form.getlist("ids")
    if not all(raw.isdigit() and len(raw) < 19 for raw in raw_ids):
        abort(400, "Comment ids are numbers.")
    ids = [int(raw) for raw in raw_ids]
    if not ids:
        flash("Select at least one comment.", "error")
        return _back(HOME)
    db = database.session()
    try:
        done = service.act_on_many(
            db, actor=_actor(), comment_ids=ids, action=service.Action(action), reason=_reason()
        )
    except ApiError as exc:
        db.rollback()
        flash(exc.message, "error")
        return _back(HOME)
    db.commit()
    flash(f"{action}: {len(done)} comments.", "ok")
    return _back(HOME)


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    """Every comment matching the form's words and filters, newest first, highlighted."""
    args = request.args
    try:
        query = search.parse(args, args.getlist("status"))
    except ApiError as exc:
        page = render_template(
            "moderation/search.html", query=None, args=args, error=exc.message, result=None
        )
        return page, 400
    asked = bool(query.args())
    result = search.search(database.session(), query=query) if asked else None
    return render_template(
        "moderation/search.html",
        query=query,
        args=args,
        error=None,
        result=result,
        statuses=list(CommentStatus),
        signals=search.SIGNALS,
    )


# --- articles ---------------------------------------------------------------------------------


@bp.get("/articles")
def articles() -> ResponseReturnValue:
    """Find articles; see and change their moderation mode and whether they are open."""
    search = request.args.get("q", "").strip()[:200]
    found = service.find_articles(database.session(), search=search)
    return render_template(
        "moderation/articles.html",
        articles=found,
        search=search,
        modes=list(ModerationMode),
        site_mode=current_app.config["MODERATION"],
    )


@bp.get("/articles/<key>")
def article_page(key: str) -> ResponseReturnValue:
    """One article: its counters, settings, and views and comments per day."""
    if not KEY_PATTERN.fullmatch(key):
        abort(404)
    db = database.session()
    article = service.articles.get(db, key=key)
    if article is None:
        abort(404)
    today = datetime.now(UTC).date()
    trend = stats.article_trend(db, article_id=article.id, today=today)
    return render_template(
        "moderation/article.html",
        article=article,
        views=stats.bar_chart("Views per day", trend.views, unit="view"),
        comments=stats.bar_chart("Comments per day", trend.comments, unit="comment"),
        modes=list(ModerationMode),
        site_mode=current_app.config["MODERATION"],
    )


@bp.post("/articles/<key>")
def article_settings(key: str) -> ResponseReturnValue:
    """Change an article's moderation mode or open/close its thread."""
    if not KEY_PATTERN.fullmatch(key):
        abort(404)
    db = database.session()
    article = service.articles.get(db, key=key)
    if article is None:
        abort(404)
    actor, reason = _actor(), _reason()
    if "moderation" in request.form:
        raw = request.form["moderation"]
        if raw not in {"", *ModerationMode}:
            abort(400, "Unknown moderation mode.")
        mode = ModerationMode(raw) if raw else None
        service.set_article_mode(db, actor=actor, article=article, mode=mode, reason=reason)
    if "open" in request.form:
        wanted = request.form["open"] == "1"
        service.set_article_open(db, actor=actor, article=article, open=wanted, reason=reason)
    db.commit()
    flash(f"Saved {key}.", "ok")
    return _back(url_for("moderation_pages.articles"))


# --- audit log --------------------------------------------------------------------------------


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, filterable by action, actor, article and comment."""
    db = database.session()
    wanted = audit.AuditFilter(
        action=request.args.get("action") or None,
        actor=request.args.get("actor") or None,
        article_key=request.args.get("article") or None,
        comment_id=_int_arg("comment"),
    )
    page = audit.entries(db, wanted=wanted, before_id=_int_arg("before"))
    return render_template(
        "moderation/audit.html",
        page=page,
        wanted=wanted,
        actions=audit.actions_seen(db),
    )


# --- API tokens (admin) -----------------------------------------------------------------------


@bp.get("/tokens")
@admin_required
def token_list() -> ResponseReturnValue:
    """The API tokens: name, creation, revocation. Secrets are never shown again."""
    return render_template("moderation/tokens.html", tokens=tokens.all_tokens(database.session()))


@bp.post("/tokens")
@admin_required
def token_create() -> ResponseReturnValue:
    """Create a token and show its secret, this once."""
    name = request.form.get("name", "").strip()
    db = database.session()
    if not 1 <= len(name) <= 80:
        flash("A token needs a name of 1 to 80 characters.", "error")
        return redirect(url_for("moderation_pages.token_list"), code=303)
    asked = set(request.form.getlist("scope"))
    scopes = [scope for scope in TokenScope if scope.value in asked]
    if not scopes or len(scopes) != len(asked):
        flash("Choose what the token may do: articles, moderation or both.", "error")
        return redirect(url_for("moderation_pages.token_list"), code=303)
    token, secret = tokens.create(
        db, name=name, scopes=scopes, created_by_id=current_moderator().id
    )
    audit.record(
        db,
        actor=_actor(),
        action="token.create",
        after={"id": token.id, "name": name, "scopes": token.scopes},
    )
    db.commit()
    return render_template(
        "moderation/tokens.html", tokens=tokens.all_tokens(db), created=token, secret=secret
    )


@bp.post("/tokens/<int:token_id>/revoke")
@admin_required
def token_revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a token: the CMS requests carrying it are refused from now on."""
    db = database.session()
    token = tokens.get(db, token_id=token_id)
    if token is None:
        abort(404)
    tokens.revoke(db, token=token)
    audit.record(
        db,
        actor=_actor(),
        action="token.revoke",
        reason=_reason(),
        after={"id": token.id, "name": token.name},
    )
    db.commit()
    flash(f"Token {token.name} revoked.", "ok")
    return redirect(url_for("moderation_pages.token_list"), code=303)


# --- moderator accounts (admin) ---------------------------------------------------------------


@bp.get("/moderators")
@admin_required
def moderator_list() -> ResponseReturnValue:
    """Every moderator account with its role and state."""
    db = database.session()
    return render_template(
        "moderation/moderators.html",
        moderators=accounts.all_moderators(db),
        roles=list(Role),
        now=datetime.now(UTC),
    )


@bp.post("/moderators")
@admin_required
def moderator_create() -> ResponseReturnValue:
    """Create an account."""
    db = database.session()
    role_raw = request.form.get("role", Role.MODERATOR.value)
    if role_raw not in set(Role):
        abort(400, "Unknown role.")
    try:
        created = accounts.create(
            db,
            username=request.form.get("username", "").strip(),
            password=request.form.get("password", ""),
            role=Role(role_raw),
        )
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("moderation_pages.moderator_list"), code=303)
    audit.record(
        db,
        actor=_actor(),
        action="moderator.create",
        after={"username": created.username, "role": created.role.value},
    )
    db.commit()
    flash(f"Account {created.username} created.", "ok")
    return redirect(url_for("moderation_pages.moderator_list"), code=303)


@bp.post("/moderators/<int:moderator_id>")
@admin_required
def moderator_update(moderator_id: int) -> ResponseReturnValue:
    """Change an account's role, disable or enable it, or lift its lockout."""
    db = database.session()
    target = accounts.get(db, moderator_id=moderator_id)
    if target is None:
        abort(404)
    change = request.form.get("change", "")
    before = {"role": target.role.value, "active": target.active}
    if target.id == current_moderator().id and change in {"role", "disable"}:
        flash("Ask another admin to change your own role or disable you.", "error")
        return redirect(url_for("moderation_pages.moderator_list"), code=303)
    if change == "role":
        role_raw = request.form.get("role", "")
        if role_raw not in set(Role):
            abort(400, "Unknown role.")
        accounts.set_role(db, moderator=target, role=Role(role_raw))
    elif change in {"disable", "enable"}:
        accounts.set_active(db, moderator=target, active=change == "enable")
    elif change == "unlock":
        accounts.unlock(db, moderator=target)
    else:
        abort(400, "Unknown change.")
    audit.record(
        db,
        actor=_actor(),
        action=f"moderator.{change}",
        reason=target.username,
        before=before,
        after={"role": target.role.value, "active": target.active},
    )
    db.commit()
    flash(f"Account {target.username} updated.", "ok")
    return redirect(url_for("moderation_pages.moderator_list"), code=303)


# --- bans -------------------------------------------------------------------------------------


@bp.get("/bans")
def ban_list() -> ResponseReturnValue:
    """The active bans (or every ban with ?all=1), and a form to add one."""
    show_all = request.args.get("all") == "1"
    db = database.session()
    return render_template(
        "moderation/bans.html",
        bans=bans.list(db, active_only=not show_all),
        show_all=show_all,
        kinds=list(BanKind),
        now=datetime.now(UTC),
        is_active=bans.is_active,
    )


@bp.post("/bans")
def ban_create() -> ResponseReturnValue:
    """Ban an email, visitor, network or name."""
    kind = request.form.get("kind", "")
    if kind not in set(BanKind):
        abort(400, "Unknown kind of ban.")
    db = database.session()
    try:
        service.ban(
            db,
            actor=_actor(),
            kind=BanKind(kind),
            value=request.form.get("value", ""),
            days=_ban_days(),
            reason=_reason(),
        )
    except ApiError as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("moderation_pages.ban_list"), code=303)
    db.commit()
    flash("Ban saved.", "ok")
    return redirect(url_for("moderation_pages.ban_list"), code=303)


@bp.post("/bans/<int:ban_id>/lift")
def ban_lift(ban_id: int) -> ResponseReturnValue:
    """End a ban now."""
    db = database.session()
    try:
        service.lift_ban(db, actor=_actor(), ban_id=ban_id, reason=_reason())
    except ApiError:
        abort(404)
    db.commit()
    flash(f"Ban {ban_id} lifted.", "ok")
    return redirect(url_for("moderation_pages.ban_list"), code=303)
