"""Storing what a reader (``disqus``, ``wxr``, ``isso``, ``native``) read from a file.

Rules every format shares:

- Parents are stored before their replies, so a reply's id is larger than its parent's, as
  the thread reader expects. A reply whose parent is not in the file becomes a top-level
  comment (counted in ``Summary.orphans``).
- A comment is already there when its article has a comment created at the same instant with
  the same text (compared through ``Comment.text_digest``), one each: importing a file twice,
  or two files that overlap, stores each comment once, and two identical comments of one file
  are both stored.
- Each article's ``comment_count`` moves by the visible comments added, through
  ``articles.bump_thread`` like every other change, which also retires its cached thread.
- Text is rendered by ``engagement.sanitize``, as a reader's would be. Imported comments carry
  no edit secret: nobody can edit them as their author.

A file is read and checked whole into a ``Stage`` before anything is stored, so a malformed
file imports nothing. Storing then yields after each batch of comments and the caller commits
there: a long import never holds SQLite's write lock, or PostgreSQL's row locks on its
articles, for more than a batch. Should the database refuse a value halfway, what was
committed stays; the same import run again skips it and completes the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement import sanitize
from engagement.articles import service as articles
from engagement.comments import posting
from engagement.keyed import site_hash
from engagement.models import (
    Article,
    Ban,
    Comment,
    DailyViews,
    Report,
    digest_of,
)
from engagement.moderation import audit
from engagement.moderation.audit import Actor
from engagement.portability import disqus, erasures, isso, native, wxr
from engagement.portability.records import (
    KeyFrom,
    MalformedSource,
    SourceBan,
    SourceComment,
    SourceThread,
)
from engagement.portability.staging import Outline, Stage, StagedThread, created_order

# Comments stored between two commits: small enough that a live service's writers, which
# queue behind an import's on SQLite, wait milliseconds for it.
BATCH = 100


@dataclass
class Summary:
    """What an import did."""

    articles_created: int = 0
    comments_imported: int = 0
    already_there: int = 0
    # Comments of commenters erased at their request: an old file never brings them back.
    erased: int = 0
    orphans: int = 0
    not_comments: int = 0
    bans_imported: int = 0
    # Erasures made where an export comes from, now kept here too.
    erasures_carried: int = 0
    # Threads skipped because the source gives them no valid article key, and their comments.
    unkeyed_threads: list[str] = field(default_factory=list)
    unkeyed_comments: int = 0

    @property
    def skipped(self) -> int:
        return self.already_there + self.erased + self.not_comments + self.unkeyed_comments

    def as_json(self) -> dict[str, Any]:
        return {
            "articles_created": self.articles_created,
            "comments_imported": self.comments_imported,
            "skipped": self.skipped,
            "already_there": self.already_there,
            "erased": self.erased,
            "not_comments": self.not_comments,
            "unkeyed_comments": self.unkeyed_comments,
            "unkeyed_threads": len(self.unkeyed_threads),
            "orphans": self.orphans,
            "bans_imported": self.bans_imported,
            "erasures_carried": self.erasures_carried,
        }


def parents_first(label: str, outlines: list[Outline]) -> list[Outline]:
    """The thread's comments ordered so each parent comes before its replies, oldest first
    among siblings; refuses a thread whose replies form a loop."""
    known = {outline.source_id for outline in outlines}
    children: dict[str | None, list[Outline]] = {}
    for outline in outlines:
        parent = outline.parent_id if outline.parent_id in known else None
        children.setdefault(parent, []).append(outline)
    for siblings in children.values():
        siblings.sort(key=created_order)
    ordered: list[Outline] = []
    pending = list(reversed(children.get(None, [])))
    while pending:
        outline = pending.pop()
        ordered.append(outline)
        pending.extend(reversed(children.get(outline.source_id, [])))
    if len(ordered) != len(outlines):
        raise MalformedSource(
            f"thread {label}: some replies answer each other in a loop, or two comments share an id"
        )
    return ordered


def check(stage: Stage) -> None:
    """Refuse a staged file any of whose threads cannot be put in order, before anything of
    it is stored."""
    for staged in stage.threads():
        parents_first(staged.thread.label, stage.outlines(staged))


def imported_visitor(*, origin: str, comment: SourceComment) -> str:
    """A visitor hash for an imported comment: one per email address, as author history and
    first-time moderation link a commenter's posts by email, else one per comment."""
    return site_hash(comment.author_email or f"{origin}:{comment.source_id}", person=b"imported")


# What an erased comment's text digest is: its text is gone.
ERASED_TEXT = digest_of("")


def _existing(db: Session, article_id: int) -> dict[tuple[datetime, str | None], list[int]]:
    """The article's comments from before this import, oldest first, by creation time and
    text: each stands for one comment of the file, so two identical comments (two readers'
    "+1" in the same second) are two, in the file and in the database."""
    rows = db.execute(
        select(Comment.created_at, Comment.text_digest, Comment.id)
        .where(Comment.article_id == article_id)
        .order_by(Comment.id)
    )
    found: dict[tuple[datetime, str | None], list[int]] = defaultdict(list)
    for created_at, digest, comment_id in rows:
        found[(created_at, digest)].append(comment_id)
    return found


def _article(db: Session, thread: SourceThread, summary: Summary) -> Article:
    """The thread's article: the site's own if it has one, else registered as the source
    describes it."""
    assert thread.key is not None
    found = articles.get(db, key=thread.key)
    if found is not None:
        # An article the site already has keeps its own settings; fill in what it lacks.
        found.title = found.title or thread.title
        found.url = found.url or thread.url
        return found
    summary.articles_created += 1
    article = articles.get_or_create(db, key=thread.key, title=thread.title, url=thread.url)
    article.published_at = thread.published_at
    article.comments_open = thread.comments_open
    article.moderation = thread.moderation
    article.view_count = thread.view_count
    if thread.created_at is not None:
        article.created_at = thread.created_at
    return article


def _comment(
    article: Article, comment: SourceComment, *, html: str, parent_id: int | None, origin: str
) -> Comment:
    visitor = comment.visitor or imported_visitor(origin=origin, comment=comment)
    # A comment with nothing left to read (Disqus and Isso empty deleted ones) is never shown,
    # though its place in the thread is kept for its replies.
    deleted_at = comment.deleted_at or (None if comment.text else comment.created_at)
    return posting.comment_row(
        article_id=article.id,
        parent_id=parent_id,
        status=comment.status,
        text=comment.text,
        html=html,
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_website=comment.author_website,
        visitor=visitor,
        likes=comment.likes,
        pinned=comment.pinned,
        spam_reasons=comment.spam_reasons,
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        deleted_at=deleted_at,
        moderated_at=comment.moderated_at,
    )


def _store_comment(
    db: Session,
    article: Article,
    source: SourceComment,
    *,
    html: str,
    parent_id: int | None,
    origin: str,
) -> Comment:
    row = _comment(article, source, html=html, parent_id=parent_id, origin=origin)
    db.add(row)
    db.flush()
    # A source's report and ban records name their rows' columns, field for field.
    db.add_all(Report(comment_id=row.id, **asdict(report)) for report in source.reports)
    return row


def _store_thread(
    db: Session,
    stage: Stage,
    staged: StagedThread,
    *,
    origin: str,
    erased: frozenset[str],
    summary: Summary,
) -> Iterator[None]:
    thread = staged.thread
    summary.not_comments += thread.not_comments
    if thread.key is None:
        summary.unkeyed_threads.append(thread.label)
        summary.unkeyed_comments += staged.size
        return
    if not staged.size and not thread.register:
        return
    article = _article(db, thread, summary)
    existing = _existing(db, article.id)
    yield
    ids: dict[str, int] = {}
    ordered = parents_first(thread.label, stage.outlines(staged))
    for batch in stage.comments(ordered, batch=BATCH):
        # Deciding what is new and rendering it read no table: the batch's write transaction
        # begins with its inserts, so a queued writer of the live service waits for those only.
        fresh: list[tuple[SourceComment, str]] = []
        for source in batch:
            gone = bool(source.author_email) and (
                erasures.email_digest(source.author_email or "") in erased
            )
            same = existing.get(
                (source.created_at, ERASED_TEXT if gone else digest_of(source.text))
            )
            if same:
                # An erased commenter's row, if the thread has it, keeps their replies' place.
                ids[source.source_id] = same.pop(0)
            if gone:
                summary.erased += 1
            elif source.source_id in ids:
                summary.already_there += 1
            else:
                fresh.append((source, sanitize.render(source.text)))
        added = shown = 0
        for source, html in fresh:
            parent_id = ids.get(source.parent_id) if source.parent_id is not None else None
            if source.parent_id is not None and parent_id is None:
                summary.orphans += 1
            row = _store_comment(db, article, source, html=html, parent_id=parent_id, origin=origin)
            ids[source.source_id] = row.id
            summary.comments_imported += 1
            added += 1
            shown += row.visible
        if added:
            articles.bump_thread(db, article_id=article.id, count_delta=shown)
        yield
    _store_daily_views(db, article, thread)
    yield


def _store_daily_views(db: Session, article: Article, thread: SourceThread) -> None:
    if not thread.daily_views:
        return
    known = set(db.scalars(select(DailyViews.day).where(DailyViews.article_id == article.id)))
    db.add_all(
        DailyViews(article_id=article.id, day=day, views=views)
        for day, views in thread.daily_views.items()
        if day not in known
    )


def _store_bans(db: Session, source_bans: Iterable[SourceBan], summary: Summary) -> None:
    known = {(ban.kind, ban.value, ban.created_at) for ban in db.scalars(select(Ban))}
    for source in source_bans:
        if (source.kind, source.value, source.created_at) in known:
            continue
        known.add((source.kind, source.value, source.created_at))
        db.add(Ban(**asdict(source)))
        summary.bans_imported += 1


def _carry_erasures(
    db: Session, digests: frozenset[str], *, actor: Actor, file_name: str, summary: Summary
) -> None:
    """Record the erasures a file carries that this installation does not know yet, so that
    no later import brings those commenters back either."""
    for digest in sorted(digests):
        audit.record(
            db,
            actor=actor,
            action=erasures.ACTION,
            reason=f"erased before the export {file_name}",
            after={"commenter": digest},
        )
        summary.erasures_carried += 1


def store(
    db: Session,
    stage: Stage,
    summary: Summary,
    *,
    origin: str,
    file_name: str,
    actor: Actor,
    on_thread: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Store the staged threads, bans and erasures, skipping what is already there, and write
    one audit entry; ``summary`` counts what it did. Yields after each batch of at most
    ``BATCH`` comments: the caller commits there, so a live service is never kept waiting
    for a whole file. ``origin`` names the format; ``on_thread`` is called after each
    thread."""
    known = frozenset(erasures.erased_digests(db))
    _carry_erasures(db, stage.erased() - known, actor=actor, file_name=file_name, summary=summary)
    erased = known | stage.erased()
    yield
    for staged in stage.threads():
        yield from _store_thread(db, stage, staged, origin=origin, erased=erased, summary=summary)
        if on_thread is not None:
            on_thread()
    _store_bans(db, stage.bans(), summary)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="import",
        reason=f"{origin}: {file_name}",
        after=summary.as_json(),
    )
    yield


FORMATS = ("disqus", "wxr", "isso", "engagement")


def read(source_format: str, path: Path, stage: Stage, *, key_from: KeyFrom = KeyFrom.AUTO) -> None:
    """Stage a file of one of ``FORMATS`` and check it whole; MalformedSource says what is
    wrong with it."""
    if source_format == "engagement":
        native.read(path, stage, erasures_key=erasures.erasures_key())
    else:
        {"disqus": disqus.read, "wxr": wxr.read, "isso": isso.read}[source_format](
            path, stage, key_from=key_from
        )
    check(stage)
