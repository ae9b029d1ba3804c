"""What the site's settings say about comments: posting, the author's edits, reports.

The routes build them from the application (``Settings.from_app``) and hand them to the verbs,
which never read the configuration themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask

from engagement.abuse import spam
from engagement.articles import service as articles


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings the comment verbs follow."""

    articles: articles.Settings
    spam: spam.Settings
    trust_after_approved: int  # ENGAGEMENT_TRUST_AFTER_APPROVED; 0: off
    trust_clean_days: int  # ENGAGEMENT_TRUST_CLEAN_DAYS
    # Open reports (from this many networks) that hold a visible comment for a moderator;
    # None: a reported comment stays in its thread (ENGAGEMENT_REPORTED_VISIBLE).
    hide_after_reports: int | None

    @property
    def edit_window(self) -> timedelta:
        """How long after posting its author may edit or delete a comment."""
        return timedelta(minutes=self.articles.edit_window_minutes)

    @classmethod
    def from_app(cls, app: Flask) -> Settings:
        """The settings of ``app``."""
        config = app.config
        return cls(
            articles=articles.Settings.from_config(config),
            spam=spam.Settings.from_app(app),
            trust_after_approved=config["TRUST_AFTER_APPROVED"],
            trust_clean_days=config["TRUST_CLEAN_DAYS"],
            hide_after_reports=None if config["REPORTED_VISIBLE"] else config["REPORT_THRESHOLD"],
        )
