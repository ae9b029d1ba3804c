"""An article's moderation settings through the API."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from engagement import db as database
from engagement import openapi
from engagement.articles import service as articles
from engagement.articles.schemas import Article
from engagement.http import article_key, json_body, validated
from engagement.models import Commenting, ModerationMode
from engagement.moderation import article_settings
from engagement.moderation.api.blueprint import SCOPE, bp
from engagement.moderation.audit import MAX_REASON
from engagement.moderation.requests import actor


class ArticleModerationIn(BaseModel):
    """Absent fields keep their value; ``moderation: null`` returns to the site default."""

    model_config = ConfigDict(extra="forbid")

    moderation: ModerationMode | None = None
    commenting: Commenting | None = Field(
        default=None, description="Who may comment here; null: the site default."
    )
    open: bool | None = None
    reason: str | None = Field(default=None, max_length=MAX_REASON)

    def changes(self) -> article_settings.ArticleChanges:
        """The settings given, in the verb's terms (``open: null`` changes nothing)."""
        changes = article_settings.ArticleChanges()
        if "moderation" in self.model_fields_set:
            changes["moderation"] = self.moderation
        if "commenting" in self.model_fields_set:
            changes["commenting"] = self.commenting
        if self.open is not None:
            changes["open"] = self.open
        return changes


@bp.patch("/articles/<key>")
@openapi.operation(
    {200: openapi.Answer(Article, "The article.")}, body=ArticleModerationIn, scope=SCOPE
)
def article(key: str) -> ResponseReturnValue:
    """Set an article's moderation mode or who may comment; close or open its thread."""
    key = article_key(key)
    data = validated(ArticleModerationIn, json_body())
    db = database.session()
    found = articles.require(db, key=key)
    article_settings.change_article(
        db, actor=actor(), article=found, changes=data.changes(), reason=data.reason
    )
    db.commit()
    settings = articles.Settings.from_config(current_app.config)
    return jsonify(articles.as_json(found, settings=settings))
