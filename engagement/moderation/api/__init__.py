"""The moderation API for the CMS, under ``/api/v1/moderation`` (an API token with the scope
``moderation``): one blueprint, ``moderation_api``, whose routes live by job in

- ``queues``: the queues' sizes and pages;
- ``search``: every comment, searched;
- ``comments``: actions on one comment or many, the newsroom's replies;
- ``articles``: an article's moderation settings;
- ``bans``: listing, making and lifting bans;
- ``commenters``: a commenter's data, exported or erased;
- ``readers``: signed-in readers' record and trust;
- ``audit``: the audit log.

``blueprint`` holds what they share; ``moderated`` a comment's shape as moderators see it.
"""

from __future__ import annotations

# Each module registers its routes on the blueprint as it is imported.
from engagement.moderation.api import (  # noqa: F401
    articles,
    audit,
    bans,
    commenters,
    comments,
    queues,
    readers,
    search,
)
from engagement.moderation.api.blueprint import bp

__all__ = ["bp"]
