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
from engagement import parsing, tokens
from engagement.abuse import bans
from engagement.errors import ApiError, error_response, invalid
from engagement.http import KEY_PATTERN
from engagement.models import (
    ApiToken,
    Article,
    Ban,
    BanKind,
    Comment,
    CommentStatus,
    ModerationAction,
    ModerationMode,
    Moderator,
    Role,
    TokenScope,
)
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
MAX_REASON = service.MAX_REASON
TOKEN_NAME_MAX = parsing.column_length(ApiToken.name)
USERNAME_MAX = parsing.column_length(Moderator.username)


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


def _row_id(raw: str, column: Any) -> int:
    """A path's id: a malformed one is a 400 page, like any malformed input of these pages."""
    return parsing.row_id(raw, field="id", column=column)


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
            username=request.form.get("username", "")[:USERNAME_MAX],
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
    after = parsing.optional_id(request.args, "after", column=Comment.id)
    page = service.queue(database.session(), queue=chosen, threshold=_threshold(), after_id=after)
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


@bp.get("/comments/<comment_id>/context")
def comment_context(comment_id: str) -> ResponseReturnValue:
    """The comment's place in its thread as JSON: its parent and its nearest siblings."""
    db = database.session()
    comment = service.get_comment(db, comment_id=_row_id(comment_id, Comment.id))
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


@bp.get("/comments/<comment_id>")
def comment_page(comment_id: str) -> ResponseReturnValue:
    """One comment in full, with edit and ban forms and what happened to it so far."""
    ident = _row_id(comment_id, Comment.id)
    db = database.session()
    comment = service.get_comment(db, comment_id=ident)
    if comment is None:
        abort(404)
    log = audit.entries(db, wanted=audit.AuditFilter(comment_id=ident))
    ban = bans.active_ban_for(db, email=comment.author_email, visitor=comment.visitor)
    return render_template(
        "moderation/comment.html", item=service.item_for(db, comment=comment), log=log, ban=ban
    )


def _ban_days() -> int | None:
    """A ban's length in days from the form; empty: for good."""
    raw = request.form.get("days", "").strip()
    if not raw:
        return None
    try:
        return parsing.whole_number(raw, field="days", maximum=bans.MAX_DAYS)
    except ApiError:
        raise invalid(
            "days", f"A ban lasts 1 to {bans.MAX_DAYS} days, or leave it empty for good."
        ) from None


@bp.post("/comments/<comment_id>/<action>")
def comment_action(comment_id: str, action: str) -> ResponseReturnValue:
    """One action on one comment."""
    if action not in set(service.Action):
        abort(404)
    ident = _row_id(comment_id, Comment.id)
    db = database.session()
    comment = service.get_comment(db, comment_id=ident)
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
        return _back(url_for("moderation_pages.comment_page", comment_id=ident))
    db.commit()
    if _wants_json():  # the queue pages' keyboard shortcuts: no page load, no flash
        return jsonify(
            id=ident,
            action=chosen.value,
            status=comment.status.value,
            message=f"Comment {ident}: {chosen.value} done.",
        )
    flash(f"Comment {ident}: {chosen.value} done.", "ok")
    return _back(url_for("moderation_pages.comment_page", comment_id=ident))


@bp.post("/comments/bulk")
def bulk_action() -> ResponseReturnValue:
    """One action on every selected comment."""
    action = request.form.get("action", "")
    if action not in service.BULK_ACTIONS:
        abort(400, "Choose one of the bulk actions.")
    ids = [
        parsing.row_id(raw, field="ids", column=Comment.id) for raw in request.form.getlist("ids")
    ]
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
    search = parsing.text_filter(request.args.get("q"), field="q", column=Article.title) or ""
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
        if request.form["open"] not in {"0", "1"}:
            abort(400, "open is 1 (open the thread) or 0 (close it).")
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
    args = request.args
    wanted = audit.AuditFilter(
        action=parsing.text_filter(
            args.get("action"), field="action", column=ModerationAction.action
        ),
        actor=parsing.text_filter(args.get("actor"), field="actor", column=ModerationAction.actor),
        article_key=parsing.text_filter(args.get("article"), field="article", column=Article.key),
        comment_id=parsing.optional_id(args, "comment", column=Comment.id),
    )
    before = parsing.optional_id(args, "before", column=ModerationAction.id)
    page = audit.entries(db, wanted=wanted, before_id=before)
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
    if not 1 <= len(name) <= TOKEN_NAME_MAX:
        flash(f"A token needs a name of 1 to {TOKEN_NAME_MAX} characters.", "error")
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


@bp.post("/tokens/<token_id>/revoke")
@admin_required
def token_revoke(token_id: str) -> ResponseReturnValue:
    """Revoke a token: the CMS requests carrying it are refused from now on."""
    db = database.session()
    token = tokens.get(db, token_id=_row_id(token_id, ApiToken.id))
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


@bp.post("/moderators/<moderator_id>")
@admin_required
def moderator_update(moderator_id: str) -> ResponseReturnValue:
    """Change an account's role, disable or enable it, or lift its lockout."""
    db = database.session()
    target = accounts.get(db, moderator_id=_row_id(moderator_id, Moderator.id))
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


@bp.post("/bans/<ban_id>/lift")
def ban_lift(ban_id: str) -> ResponseReturnValue:
    """End a ban now."""
    ident = _row_id(ban_id, Ban.id)
    db = database.session()
    try:
        service.lift_ban(db, actor=_actor(), ban_id=ident, reason=_reason())
    except ApiError:
        abort(404)
    db.commit()
    flash(f"Ban {ident} lifted.", "ok")
    return redirect(url_for("moderation_pages.ban_list"), code=303)
