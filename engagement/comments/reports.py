"""Reports: readers flag a comment for the moderators, once per visitor."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.comments import service
from engagement.models import Comment, CommentStatus, Report, ReportReason, utcnow
from engagement.notifications import events


def report(
    db: Session,
    *,
    comment: Comment,
    visitor: str,
    reason: ReportReason,
    hide_after: int | None,
    note: str | None = None,
    network: str | None = None,
) -> bool:
    """Flag a comment for moderators once per visitor; returns whether this report was new.

    ``network`` (``visitors.network()``) makes one network's reports count once toward the
    report threshold. Once ``hide_after`` reporters have open reports on a visible comment, it
    waits for a moderator (None: a reported comment stays in its thread).
    """
    insert = database.insert(db)
    result = db.execute(
        insert(Report)
        .values(
            comment_id=comment.id,
            visitor=visitor,
            network=network,
            reason=reason,
            note=note,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["comment_id", "visitor"])
        .returning(Report.id)
    )
    added = result.first() is not None
    if added and hide_after is not None:
        _hide_when_reported(db, comment=comment, threshold=hide_after)
    if added:
        events.comment_event(db, type=events.COMMENT_REPORTED, comment=comment)
    return added


def reporters() -> ColumnElement[int]:
    """How many reporters a group of reports comes from: each network once (a report stored
    without one counts by its visitor). What the report threshold is compared with."""
    return func.count(func.distinct(func.coalesce(Report.network, Report.visitor)))


def open_reports(db: Session, *, comment_id: int) -> int:
    """How many reporters have reports on the comment that no moderator has dealt with yet."""
    return (
        db.scalar(
            select(reporters()).where(Report.comment_id == comment_id, Report.resolved_at.is_(None))
        )
        or 0
    )


def _hide_when_reported(db: Session, *, comment: Comment, threshold: int) -> None:
    """Hold a visible comment for moderation once its open reports reach the threshold."""
    if comment.visible and open_reports(db, comment_id=comment.id) >= threshold:
        service.set_status(db, comment=comment, status=CommentStatus.PENDING)
