"""The one blueprint of the moderation pages, ``moderation_pages``: every route module of this
package adds its pages to it, so ``url_for("moderation_pages.…")`` names any of them."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

bp = Blueprint(
    "moderation_pages",
    __name__,
    url_prefix="/moderation",
    # The templates and static files sit beside this package, in engagement/moderation/.
    root_path=str(Path(__file__).resolve().parent.parent),
    template_folder="templates",
    static_folder="static",
)
