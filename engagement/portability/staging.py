"""A file on disk that holds what a reader read, so an import's memory does not grow with the
file it imports.

Readers add threads, comments, bans and erased commenters as they parse; nothing is written to
the service's database until the whole file has been read and checked. The importer then takes
the threads back one at a time, merged by article key, and each thread's comments in batches,
parents first: the working set is one batch, whatever the size of the file.

The stage is a private SQLite file in a temporary folder, deleted on ``close``. Records are
pickled: the file is written and read by this process only.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType

from engagement.portability.records import (
    MalformedSource,
    SourceBan,
    SourceComment,
    SourceThread,
)

_SCHEMA = """
CREATE TABLE threads (
    seq INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    key TEXT,
    data BLOB NOT NULL
);
CREATE INDEX threads_key ON threads (key, seq);
CREATE TABLE comments (
    seq INTEGER PRIMARY KEY,
    ref TEXT NOT NULL,
    source_id TEXT NOT NULL,
    parent_id TEXT,
    created_at TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX comments_ref ON comments (ref, seq);
CREATE TABLE bans (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE erased (digest TEXT PRIMARY KEY);
"""


@dataclass(frozen=True)
class Outline:
    """What ordering a thread needs of one of its comments."""

    seq: int
    source_id: str
    parent_id: str | None
    created_at: str


@dataclass
class StagedThread:
    """One article's thread: the first staged thread with its key, with the comments of every
    thread staged under that key (a source may split one page's thread, as Disqus does when a
    page was seen under two URLs)."""

    thread: SourceThread
    refs: list[str]
    size: int


class Stage:
    """The staging file of one import; a context manager that deletes it."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="engagement-import-")
        self._db = sqlite3.connect(Path(self._folder.name) / "stage.sqlite3")
        self._db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)

    def __enter__(self) -> Stage:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()

    # --- what readers add ------------------------------------------------------------------

    def add_thread(self, ref: str, thread: SourceThread) -> None:
        """Stage a thread's own fields (its comments are added one by one)."""
        row = replace(thread, comments=[])
        try:
            self._db.execute(
                "INSERT INTO threads (ref, key, data) VALUES (?, ?, ?)",
                (ref, thread.key, pickle.dumps(row)),
            )
        except sqlite3.IntegrityError:
            raise MalformedSource(f"thread {thread.label}: its id {ref!r} is used twice") from None

    def add_comment(self, ref: str, comment: SourceComment) -> None:
        """Stage a comment of the thread staged (now or later) as ``ref``."""
        self._db.execute(
            "INSERT INTO comments (ref, source_id, parent_id, created_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                ref,
                comment.source_id,
                comment.parent_id,
                comment.created_at.isoformat(),
                pickle.dumps(comment),
            ),
        )

    def add_ban(self, ban: SourceBan) -> None:
        self._db.execute("INSERT INTO bans (data) VALUES (?)", (pickle.dumps(ban),))

    def add_erased(self, digest: str) -> None:
        """Stage the keyed hash of a commenter erased where the file comes from."""
        self._db.execute("INSERT OR IGNORE INTO erased (digest) VALUES (?)", (digest,))

    def check(self, *, thread_id: str = "id") -> None:
        """Refuse a file whose comments name a thread it does not have; ``thread_id`` is what
        the format calls a thread's id."""
        orphan = self._db.execute(
            "SELECT source_id, ref FROM comments WHERE ref NOT IN (SELECT ref FROM threads) "
            "ORDER BY seq LIMIT 1"
        ).fetchone()
        if orphan is not None:
            raise MalformedSource(f"post {orphan[0]}: no thread with {thread_id} {orphan[1]}")

    # --- what the importer takes back --------------------------------------------------------

    def thread_count(self) -> int:
        """How many threads ``threads`` yields."""
        keyed = self._db.execute(
            "SELECT count(DISTINCT key) FROM threads WHERE key IS NOT NULL"
        ).fetchone()[0]
        unkeyed = self._db.execute("SELECT count(*) FROM threads WHERE key IS NULL").fetchone()[0]
        return int(keyed) + int(unkeyed)

    def threads(self) -> Iterator[StagedThread]:
        """Every thread in the order the file first names it, one per article key; threads
        without a key stay apart."""
        firsts = self._db.execute(
            "SELECT seq, ref, key, data FROM threads t WHERE key IS NULL OR seq = "
            "(SELECT min(seq) FROM threads WHERE key = t.key) ORDER BY seq"
        ).fetchall()
        for _seq, ref, key, data in firsts:
            thread: SourceThread = pickle.loads(data)
            refs = [ref]
            if key is not None:
                for other_ref, other in self._db.execute(
                    "SELECT ref, data FROM threads WHERE key = ? AND ref != ? ORDER BY seq",
                    (key, ref),
                ):
                    refs.append(other_ref)
                    thread.not_comments += pickle.loads(other).not_comments
            yield StagedThread(thread=thread, refs=refs, size=self._size(refs))

    def _size(self, refs: list[str]) -> int:
        marks = ",".join("?" * len(refs))
        return int(
            self._db.execute(
                f"SELECT count(*) FROM comments WHERE ref IN ({marks})", refs
            ).fetchone()[0]
        )

    def outlines(self, staged: StagedThread) -> list[Outline]:
        """The thread's comments as ``Outline``s, in the order the file has them."""
        marks = ",".join("?" * len(staged.refs))
        return [
            Outline(*row)
            for row in self._db.execute(
                f"SELECT seq, source_id, parent_id, created_at FROM comments "
                f"WHERE ref IN ({marks}) ORDER BY seq",
                staged.refs,
            )
        ]

    def comments(self, outlines: list[Outline], *, batch: int) -> Iterator[list[SourceComment]]:
        """The comments of ``outlines``, in that order, ``batch`` at a time."""
        for start in range(0, len(outlines), batch):
            seqs = [outline.seq for outline in outlines[start : start + batch]]
            marks = ",".join("?" * len(seqs))
            found = dict(
                self._db.execute(f"SELECT seq, data FROM comments WHERE seq IN ({marks})", seqs)
            )
            yield [pickle.loads(found[seq]) for seq in seqs]

    def bans(self) -> Iterator[SourceBan]:
        for (data,) in self._db.execute("SELECT data FROM bans ORDER BY seq"):
            yield pickle.loads(data)

    def erased(self) -> frozenset[str]:
        return frozenset(row[0] for row in self._db.execute("SELECT digest FROM erased"))


def created_order(outline: Outline) -> tuple[datetime, str]:
    """Siblings are stored oldest first (the source's id breaks ties)."""
    return datetime.fromisoformat(outline.created_at), outline.source_id
