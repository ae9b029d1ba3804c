"""Every table of the service, typed. The schema itself lives in ``migrations/``.

Split by what a reader looks for: ``columns`` (column types and the enumerations stored by
value), ``content`` (articles, views, comments, likes, reports), ``people`` (moderators,
readers, tokens, the audit log, bans) and ``outbox`` (notifications and webhooks). Import
from here: ``from engagement.models import Comment``.
"""

from __future__ import annotations

from engagement.models.columns import (
    KEY_MAX,
    BanKind,
    Commenting,
    CommentStatus,
    ModerationMode,
    ReportReason,
    Role,
    Timestamp,
    TokenScope,
    Trust,
    UTCDateTime,
    digest_of,
    stored_enum,
    utcnow,
)
from engagement.models.content import (
    ERASED,
    SEARCH_SCHEMA,
    SEARCH_TABLES_PREFIX,
    Article,
    Comment,
    CommentLike,
    DailyViews,
    Report,
    ViewMark,
)
from engagement.models.outbox import (
    DeliveryStatus,
    MailKind,
    MailSubscriber,
    ModeratorAlert,
    OutboxEvent,
    OutgoingMail,
    ReplyWatch,
    SubscriberState,
    WebhookDelivery,
    WebhookEndpoint,
)
from engagement.models.people import (
    ApiToken,
    Ban,
    ModerationAction,
    Moderator,
    Reader,
    RecoveryCode,
    SiteSetting,
    UsedSignInToken,
)

__all__ = [
    "ERASED",
    "KEY_MAX",
    "SEARCH_SCHEMA",
    "SEARCH_TABLES_PREFIX",
    "ApiToken",
    "Article",
    "Ban",
    "BanKind",
    "Comment",
    "CommentLike",
    "CommentStatus",
    "Commenting",
    "DailyViews",
    "DeliveryStatus",
    "MailKind",
    "MailSubscriber",
    "ModerationAction",
    "ModerationMode",
    "Moderator",
    "ModeratorAlert",
    "OutboxEvent",
    "OutgoingMail",
    "Reader",
    "RecoveryCode",
    "ReplyWatch",
    "Report",
    "ReportReason",
    "Role",
    "SiteSetting",
    "SubscriberState",
    "Timestamp",
    "TokenScope",
    "Trust",
    "UTCDateTime",
    "UsedSignInToken",
    "ViewMark",
    "WebhookDelivery",
    "WebhookEndpoint",
    "digest_of",
    "stored_enum",
    "utcnow",
]
