"""The moderation verbs by the one name the moderators' pages and the notification worker still
import them under. Each lives in the module of its job, which new code imports:

- ``queues``: the queues and their sizes;
- ``items``: a comment with what a moderator needs to decide, its place in the thread;
- ``actions``: approve, reject, spam, delete, edit, pin, ban the author, one or many at once;
- ``replies``: the newsroom's replies;
- ``article_settings``: an article's moderation mode, who may comment, open or closed;
- ``banning``: bans made and lifted by moderators;
- ``reader_trust``: signed-in readers' record and trust.
"""

from __future__ import annotations

from engagement.articles import service as articles
from engagement.moderation.actions import BULK_ACTIONS, Action, act, act_on_many
from engagement.moderation.article_settings import (
    find_articles,
    set_article_commenting,
    set_article_mode,
    set_article_open,
)
from engagement.moderation.audit import MAX_REASON
from engagement.moderation.banning import ban, lift_ban
from engagement.moderation.items import get_comment, item_for, thread_context
from engagement.moderation.queues import Queue, queue, queue_sizes
from engagement.moderation.reader_trust import reader_history, set_reader_trust
from engagement.moderation.replies import staff_name, staff_reply

__all__ = [
    "BULK_ACTIONS",
    "MAX_REASON",
    "Action",
    "Queue",
    "act",
    "act_on_many",
    "articles",
    "ban",
    "find_articles",
    "get_comment",
    "item_for",
    "lift_ban",
    "queue",
    "queue_sizes",
    "reader_history",
    "set_article_commenting",
    "set_article_mode",
    "set_article_open",
    "set_reader_trust",
    "staff_name",
    "staff_reply",
    "thread_context",
]
