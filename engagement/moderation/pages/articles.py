"""The articles pages: find articles and change their moderation mode, who may comment and
whether their thread is open; one article's counters and trend."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from engagement import db as database
from engagement import parsing
from engagement.articles import service as article_service
from engagement.http import KEY_PATTERN
from engagement.models import Article, Commenting, ModerationMode
from engagement.moderation import article_settings as settings_verbs
from engagement.moderation import stats
from engagement.moderation.audit import Actor
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import back_to, go, optional_choice, or_404, reason
from engagement.moderation.requests import actor


def _article_or_404(db: Session, key: str) -> Article:
    return or_404(article_service.get(db, key=key) if KEY_PATTERN.fullmatch(key) else None)


@bp.get("/articles")
def articles() -> ResponseReturnValue:
    """Find articles; see and change their moderation mode and whether they are open."""
    search = parsing.text_filter(request.args.get("q"), field="q", column=Article.title) or ""
    return render_template(
        "moderation/articles.html",
        articles=settings_verbs.find_articles(database.session(), search=search),
        search=search,
        modes=list(ModerationMode),
        site_mode=current_app.config["MODERATION"],
        commenting_rules=list(Commenting),
        site_commenting=current_app.config["COMMENTING"],
    )


@bp.get("/articles/<key>")
def article_page(key: str) -> ResponseReturnValue:
    """One article: its counters, settings, and views and comments per day."""
    db = database.session()
    article = _article_or_404(db, key)
    trend = stats.article_trend(db, article_id=article.id, today=datetime.now(UTC).date())
    return render_template(
        "moderation/article.html",
        article=article,
        views=stats.bar_chart("Views per day", trend.views, unit="view"),
        comments=stats.bar_chart("Comments per day", trend.comments, unit="comment"),
        site_mode=current_app.config["MODERATION"],
    )


@bp.post("/articles/<key>")
def article_settings(key: str) -> ResponseReturnValue:
    """Change an article's moderation mode or who may comment, or open/close its thread."""
    db = database.session()
    article = _article_or_404(db, key)
    _change_settings(db, actor(), article, request.form)
    db.commit()
    return go(back_to(url_for("moderation_pages.articles")), ok=f"Saved {key}.")


def _change_settings(db: Session, who: Actor, article: Article, form: MultiDict[str, str]) -> None:
    """Apply each setting the form carries; 400 for a value no setting can have."""
    why = reason()
    if "moderation" in form:
        mode = optional_choice(form["moderation"], ModerationMode, "Unknown moderation mode.")
        settings_verbs.set_article_mode(db, actor=who, article=article, mode=mode, reason=why)
    if "commenting" in form:
        rule = optional_choice(form["commenting"], Commenting, "Unknown rule for who may comment.")
        settings_verbs.set_article_commenting(
            db, actor=who, article=article, commenting=rule, reason=why
        )
    if "open" in form:
        if form["open"] not in {"0", "1"}:
            abort(400, "open is 1 (open the thread) or 0 (close it).")
        wanted = form["open"] == "1"
        settings_verbs.set_article_open(db, actor=who, article=article, open=wanted, reason=why)
