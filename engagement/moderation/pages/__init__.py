"""The moderators' pages under ``/moderation/``: one blueprint, ``moderation_pages``
(``blueprint.py``), its routes in a module per job.

Every page needs a login (401 with the login form otherwise), every form post a CSRF token
(400), admin pages the admin role (403); ``guard.py`` checks these for every page. GET never
changes anything; forms post and redirect (``forms.py``).

- ``login``: logging in (password, then the second factor's code), out; one's password
- ``account``: one's display name and second factor
- ``dashboard``, ``queues``, ``comments`` (one comment and its actions), ``search``
- ``articles``, ``readers``, ``bans``, ``audit_log``
- admins only: ``moderators`` (accounts), ``tokens`` (API tokens), ``commenters`` (their data)
"""

from engagement.moderation.pages import (  # noqa: F401  (each module adds its pages to bp)
    account,
    articles,
    audit_log,
    bans,
    commenters,
    comments,
    dashboard,
    guard,
    login,
    moderators,
    queues,
    readers,
    search,
    tokens,
)
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.guard import as_moderation_pages

__all__ = ["as_moderation_pages", "bp"]
