"""The moderators' pages under ``/moderation/``: login, dashboard, queues, articles, audit, admin.

Every page needs a login (401 with the login form otherwise), every form post a CSRF token
(400), admin pages the admin role (403). GET never changes anything; forms post and redirect.
"""

from __future__ import annotations

import json
import time
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
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import parsing, tokens
from engagement.abuse import bans
from engagement.comments import inputs as comment_inputs
from engagement.errors import error_response, invalid, status_of
from engagement.http import KEY_PATTERN
from engagement.identity import readers as readers_service
from engagement.models import (
    ApiToken,
    Article,
    Ban,
    BanKind,
    Comment,
    Commenting,
    CommentStatus,
    ModerationAction,
    ModerationMode,
    Moderator,
    Role,
    TokenScope,
    Trust,
    utcnow,
)
from engagement.moderation import accounts, audit, search, second_factor, service, stats
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
from engagement.portability import commenters as portability_commenters
from engagement.ratelimit import limit
from engagement.refusals import Refusal

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
    "moderation_pages.second_factor_form",
    "moderation_pages.second_factor_login",
    "moderation_pages.static",
}
# Where a moderator without a second factor may go while admins require one.
ENROLMENT_ENDPOINTS = {
    "moderation_pages.account",
    "moderation_pages.account_second_factor_start",
    "moderation_pages.account_second_factor_confirm",
    "moderation_pages.logout",
    "moderation_pages.static",
}
# A login half-way (password right, code not yet given) lasts this long.
PENDING_LOGIN = "pending_login"
PENDING_SECONDS = 300
LOCKED = "Too many failed attempts: this account is locked for a while."
MAX_REASON = service.MAX_REASON
TOKEN_NAME_MAX = parsing.column_length(ApiToken.name)
USERNAME_MAX = parsing.column_length(Moderator.username)


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if request.endpoint not in PUBLIC_ENDPOINTS and not is_logged_in():
        return _login_form(status=401, next_path=request.full_path.rstrip("?"))
    if request.endpoint != "moderation_pages.static":
        check_csrf()
    if (
        request.endpoint not in PUBLIC_ENDPOINTS | ENROLMENT_ENDPOINTS
        and not second_factor.enabled(current_moderator())
        and second_factor.is_required(database.session())
    ):
        flash("Admins require a second factor: set it up to continue.", "error")
        return redirect(url_for("moderation_pages.account"), code=303)
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
        message = LOCKED if refused.locked else "Wrong username or password."
        return _login_form(status=401, next_path=next_path, error=message)
    db.commit()
    session.clear()
    if second_factor.enabled(moderator):
        session[PENDING_LOGIN] = {
            "id": moderator.id,
            "version": moderator.session_version,
            "at": int(time.time()),
            "next": safe_next(next_path),
        }
        return redirect(url_for("moderation_pages.second_factor_form"), code=303)
    return _complete_login(moderator, next_path)


def _complete_login(moderator: Moderator, next_path: str) -> ResponseReturnValue:
    session.clear()
    session.permanent = True
    login_user(Account(moderator))
    return redirect(safe_next(next_path), code=303)


def _pending_login() -> tuple[Moderator, str] | None:
    """The moderator whose password was right a moment ago, and where they were going."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    moderator = accounts.get(database.session(), moderator_id=int(pending.get("id", 0)))
    if moderator is None or moderator.session_version != pending.get("version"):
        return None
    return moderator, str(pending.get("next") or HOME)


def _code_form(*, status: int, error: str | None = None) -> Response:
    page = render_template("moderation/login_code.html", error=error, moderator=None)
    return harden(Response(page, status=status, mimetype="text/html"))


@bp.get("/login/code")
def second_factor_form() -> ResponseReturnValue:
    """The second step of a login: the code."""
    if _pending_login() is None:
        if is_logged_in():
            return redirect(HOME)
        return _login_form(status=401, next_path=HOME)
    return _code_form(status=200)


@bp.post("/login/code")
@limit("login")
def second_factor_login() -> ResponseReturnValue:
    """Check the code; a wrong one counts toward the lockout like a wrong password."""
    found = _pending_login()
    if found is None:
        return _login_form(status=401, next_path=HOME, error="Log in again.")
    moderator, next_path = found
    db = database.session()
    config = current_app.config
    now = utcnow()
    if accounts.is_locked(moderator, now=now):
        session.pop(PENDING_LOGIN, None)
        return _login_form(status=401, next_path=next_path, error=LOCKED)
    code = request.form.get("code", "")[:40]
    if not second_factor.verify(db, moderator=moderator, code=code, now=now):
        try:
            accounts.register_failure(
                db,
                moderator=moderator,
                max_failures=config["LOGIN_MAX_FAILURES"],
                lockout=timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]),
                now=now,
            )
        except accounts.LoginRefused as refused:
            db.commit()
            if refused.locked:
                session.pop(PENDING_LOGIN, None)
                return _login_form(status=401, next_path=next_path, error=LOCKED)
        return _code_form(status=401, error="That code is not right.")
    accounts.succeed(db, moderator=moderator, now=now)
    db.commit()
    return _complete_login(moderator, next_path)


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
        accounts.set_password(
            db, actor=_actor(), moderator=moderator, password=request.form.get("new", "")
        )
    except accounts.LoginRefused:
        db.commit()
        flash("The current password is wrong.", "error")
        return redirect(url_for("moderation_pages.password"), code=303)
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for("moderation_pages.password"), code=303)
    db.commit()
    login_user(Account(moderator))
    flash("Password changed; other sessions of this account have ended.", "ok")
    return redirect(HOME, code=303)


# --- the moderator's own account: display name, second factor -------------------------------


def _account_page(**extra: Any) -> ResponseReturnValue:
    db = database.session()
    moderator = current_moderator()
    qr = secret = None
    if not second_factor.enabled(moderator) and moderator.totp_secret:
        secret = moderator.totp_secret
        qr = second_factor.qr_code(second_factor.provisioning_uri(moderator))
    return render_template(
        "moderation/account.html",
        enabled=second_factor.enabled(moderator),
        required=second_factor.is_required(db),
        codes_left=second_factor.recovery_codes_left(db, moderator=moderator),
        qr=qr,
        secret=secret,
        **extra,
    )


@bp.get("/account")
def account() -> ResponseReturnValue:
    """The moderator's display name and second factor."""
    return _account_page()


@bp.post("/account/name")
def account_name() -> ResponseReturnValue:
    """Set the name one's replies appear under."""
    try:
        name = comment_inputs.one_line(
            request.form.get("display_name", ""), "display_name", comment_inputs.NAME_MAX
        )
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for("moderation_pages.account"), code=303)
    db = database.session()
    current_moderator().display_name = name
    db.commit()
    flash("Display name saved.", "ok")
    return redirect(url_for("moderation_pages.account"), code=303)


@bp.post("/account/second-factor/start")
def account_second_factor_start() -> ResponseReturnValue:
    """Make a new secret and show it as a QR code, to be confirmed with a code."""
    moderator = current_moderator()
    if second_factor.enabled(moderator):
        flash("The second factor is already on.", "error")
        return redirect(url_for("moderation_pages.account"), code=303)
    db = database.session()
    second_factor.start_enrolment(db, moderator=moderator)
    db.commit()
    return redirect(url_for("moderation_pages.account"), code=303)


@bp.post("/account/second-factor/confirm")
def account_second_factor_confirm() -> ResponseReturnValue:
    """Turn the second factor on with a code from the app; shows the recovery codes once."""
    db = database.session()
    moderator = current_moderator()
    codes = second_factor.confirm(db, moderator=moderator, code=request.form.get("code", ""))
    if codes is None:
        db.rollback()
        flash("That code is not right: check the app's clock and try the next code.", "error")
        return redirect(url_for("moderation_pages.account"), code=303)
    audit.record(db, actor=_actor(), action="moderator.second_factor", after={"on": True})
    db.commit()
    return _account_page(recovery_codes=codes)


def _current_code_checked() -> bool:
    db = database.session()
    ok = second_factor.verify(db, moderator=current_moderator(), code=request.form.get("code", ""))
    if not ok:
        db.rollback()
        flash("That code is not right.", "error")
    return ok


@bp.post("/account/second-factor/off")
def account_second_factor_off() -> ResponseReturnValue:
    """Turn the second factor off, with a current code."""
    db = database.session()
    if second_factor.is_required(db):
        flash("Admins require a second factor: it cannot be turned off.", "error")
    elif _current_code_checked():
        second_factor.turn_off(db, moderator=current_moderator())
        audit.record(db, actor=_actor(), action="moderator.second_factor", after={"on": False})
        db.commit()
        flash("The second factor is off.", "ok")
    return redirect(url_for("moderation_pages.account"), code=303)


@bp.post("/account/recovery-codes")
def account_recovery_codes() -> ResponseReturnValue:
    """Replace the recovery codes, with a current code; shows the new ones once."""
    if not _current_code_checked():
        return redirect(url_for("moderation_pages.account"), code=303)
    db = database.session()
    codes = second_factor.new_recovery_codes(db, moderator=current_moderator())
    db.commit()
    return _account_page(recovery_codes=codes)


@bp.post("/settings/second-factor")
@admin_required
def second_factor_setting() -> ResponseReturnValue:
    """Require, or stop requiring, a second factor of every moderator."""
    required = request.form.get("required") == "on"
    db = database.session()
    second_factor.set_required(db, actor=_actor(), required=required)
    db.commit()
    flash(
        "A second factor is now required of every moderator."
        if required
        else "A second factor is optional.",
        "ok",
    )
    return redirect(url_for("moderation_pages.moderator_list"), code=303)


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
        "moderation/comment.html",
        item=service.item_for(db, comment=comment),
        log=log,
        ban=ban,
        staff_name=service.staff_name(current_moderator()),
    )


@bp.post("/comments/<comment_id>/reply")
def staff_reply(comment_id: str) -> ResponseReturnValue:
    """Answer a comment as the newsroom, under the moderator's display name."""
    ident = _row_id(comment_id, Comment.id)
    db = database.session()
    parent = service.get_comment(db, comment_id=ident)
    if parent is None:
        abort(404)
    back = url_for("moderation_pages.comment_page", comment_id=ident)
    try:
        text = comment_inputs.comment_text(
            request.form.get("text", ""), max_length=current_app.config["COMMENT_MAX_LENGTH"]
        )
        reply = service.staff_reply(
            db,
            actor=_actor(),
            parent=parent,
            text=text,
            name=service.staff_name(current_moderator()),
        )
    except Refusal as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(back, code=303)
    db.commit()
    flash(f"Reply posted as comment {reply.id}.", "ok")
    return redirect(back, code=303)


# --- signed-in readers -----------------------------------------------------------------------


def _subject(raw: str | None) -> str:
    subject = raw or ""
    if not 1 <= len(subject) <= readers_service.SUBJECT_MAX:
        abort(400, "A reader id is 1 to 200 characters.")
    return subject


@bp.get("/readers")
def reader_page() -> ResponseReturnValue:
    """A signed-in reader: their trust, their record, their latest comments."""
    if not request.args.get("subject"):
        abort(404)  # the page of nobody
    subject = _subject(request.args.get("subject"))
    try:
        history = service.reader_history(database.session(), subject=subject)
    except Refusal:
        abort(404)
    return render_template(
        "moderation/reader.html",
        history=history,
        clean_days=current_app.config["TRUST_CLEAN_DAYS"],
    )


@bp.post("/readers/trust")
def reader_trust() -> ResponseReturnValue:
    """Mark a signed-in reader trusted, untrusted, or back to the rules."""
    subject = _subject(request.form.get("subject"))
    raw = request.form.get("trust", "")
    if raw not in {"", *Trust}:
        abort(400, "Trust is trusted, untrusted, or empty for the rules.")
    db = database.session()
    reader = readers_service.get(db, subject=subject)
    if reader is None:
        abort(404)
    trust = Trust(raw) if raw else None
    service.set_reader_trust(db, actor=_actor(), reader=reader, trust=trust, reason=_reason())
    db.commit()
    flash(f"{reader.name or 'The reader'}: {trust.value if trust else 'back to the rules'}.", "ok")
    return _back(url_for("moderation_pages.reader_page", subject=subject))


def _ban_days() -> int | None:
    """A ban's length in days from the form; empty: for good."""
    raw = request.form.get("days", "").strip()
    if not raw:
        return None
    try:
        return parsing.whole_number(raw, field="days", maximum=bans.MAX_DAYS)
    except Refusal:
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
    except Refusal as exc:
        db.rollback()
        if _wants_json():
            return error_response(status_of(exc), exc.code, exc.message, exc.field)
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
    except Refusal as exc:
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
    except Refusal as exc:
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
        commenting_rules=list(Commenting),
        site_commenting=current_app.config["COMMENTING"],
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
    """Change an article's moderation mode or who may comment, or open/close its thread."""
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
    if "commenting" in request.form:
        raw = request.form["commenting"]
        if raw not in {"", *Commenting}:
            abort(400, "Unknown rule for who may comment.")
        rule = Commenting(raw) if raw else None
        service.set_article_commenting(
            db, actor=actor, article=article, commenting=rule, reason=reason
        )
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
    token, secret = tokens.create(db, actor=_actor(), name=name, scopes=scopes)
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
    changed = tokens.revoke(db, actor=_actor(), token=token, reason=_reason())
    db.commit()
    flash(f"Token {token.name} {'revoked' if changed else 'was revoked already'}.", "ok")
    return redirect(url_for("moderation_pages.token_list"), code=303)


# --- a commenter's data (admin) ---------------------------------------------------------------


@bp.get("/commenters")
@admin_required
def commenters() -> ResponseReturnValue:
    """Export or erase a commenter's data, by email address or SSO subject."""
    return render_template("moderation/commenters.html")


@bp.post("/commenters")
@admin_required
def commenter_data() -> ResponseReturnValue:
    """Download a commenter's data as JSON, or erase it (with the confirmation box ticked)."""
    email = request.form.get("email", "").strip() or None
    subject = request.form.get("subject", "") or None
    action = request.form.get("action")
    back = redirect(url_for("moderation_pages.commenters"), code=303)
    if action not in {"export", "erase"}:
        abort(400, "Choose export or erase.")
    if (email is None) == (subject is None) or (subject is not None and len(subject) > 200):
        flash("Give an email address or a reader id (one of the two).", "error")
        return back
    try:
        address = portability_commenters.normalized(email) if email is not None else None
    except portability_commenters.NotAnEmail:
        flash("That is not an email address.", "error")
        return back
    db = database.session()
    if action == "export":
        document = portability_commenters.export(db, email=address, subject=subject)
        response = current_app.response_class(
            json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json"
        )
        response.headers["Content-Disposition"] = 'attachment; filename="commenter.json"'
        return response
    if request.form.get("confirm") != "erase":
        flash("Tick the box to confirm the erasure.", "error")
        return back
    erased = portability_commenters.erase(db, actor=_actor(), email=address, subject=subject)
    db.commit()
    flash(f"Erased {erased.comments} comments and the commenter's personal data.", "ok")
    return back


# --- moderator accounts (admin) ---------------------------------------------------------------


@bp.get("/moderators")
@admin_required
def moderator_list() -> ResponseReturnValue:
    """Every moderator account with its role and state."""
    db = database.session()
    return render_template(
        "moderation/moderators.html",
        second_factor_required=second_factor.is_required(db),
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
            actor=_actor(),
            username=request.form.get("username", "").strip(),
            password=request.form.get("password", ""),
            role=Role(role_raw),
        )
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for("moderation_pages.moderator_list"), code=303)
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
    if target.id == current_moderator().id and change in {"role", "disable"}:
        flash("Ask another admin to change your own role or disable you.", "error")
        return redirect(url_for("moderation_pages.moderator_list"), code=303)
    try:
        changed = _change_account(db, target, change)
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for("moderation_pages.moderator_list"), code=303)
    db.commit()
    flash(f"Account {target.username} {'updated' if changed else 'unchanged'}.", "ok")
    return redirect(url_for("moderation_pages.moderator_list"), code=303)


def _change_account(db: Session, target: Moderator, change: str) -> bool:
    """The account change a form asks for (a role, disable, enable, unlock); whether it
    changed anything. 400 for a change or role this service does not know."""
    if change == "role":
        role_raw = request.form.get("role", "")
        if role_raw not in set(Role):
            abort(400, "Unknown role.")
        return accounts.set_role(db, actor=_actor(), moderator=target, role=Role(role_raw))
    if change in {"disable", "enable"}:
        return accounts.set_active(db, actor=_actor(), moderator=target, active=change == "enable")
    if change == "unlock":
        return accounts.unlock(db, actor=_actor(), moderator=target)
    abort(400, "Unknown change.")


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
    except Refusal as exc:
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
    except Refusal:
        abort(404)
    db.commit()
    flash(f"Ban {ident} lifted.", "ok")
    return redirect(url_for("moderation_pages.ban_list"), code=303)
