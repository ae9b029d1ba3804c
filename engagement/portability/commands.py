"""The operators' commands for moving data: ``export``, ``import``, ``commenter export`` and
``commenter erase``. Each reads its arguments, calls this package's services and commits."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.moderation.audit import Actor
from engagement.portability import commenters, export, importer
from engagement.portability.records import KeyFrom, MalformedSource
from engagement.portability.staging import Stage

STDOUT = "-"


def _snapshot(db: Session) -> None:
    # One consistent picture of the database, however long the export takes; SQLite's read
    # transaction already is one.
    if db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _write(pieces: Iterable[str], output: str) -> None:
    """Write to stdout, or to a file that appears only once it is complete."""
    if output == STDOUT:
        for piece in pieces:
            click.echo(piece, nl=False)
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as file:
            for piece in pieces:
                file.write(piece)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


OUTPUT = click.option(
    "--output",
    "-o",
    default=STDOUT,
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The file to write ('-': standard output).",
)


@click.command("export")
@OUTPUT
@with_appcontext
def export_command(output: str) -> None:
    """Export every article, comment, daily view count, ban and audit entry as JSON.

    The file holds commenters' email addresses: keep it as safe as the database.
    """
    db = database.session()
    _snapshot(db)
    total = export.article_count(db)
    with click.progressbar(length=total, label="Exporting articles", file=sys.stderr) as bar:
        _write(export.document(db, on_article=lambda: bar.update(1)), output)
    db.rollback()
    if output != STDOUT:
        click.echo(f"exported {total} articles to {output}", err=True)


@click.command("import")
@click.argument("source_format", metavar="FORMAT", type=click.Choice(importer.FORMATS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key-from",
    type=click.Choice([choice.value for choice in KeyFrom]),
    default=KeyFrom.AUTO.value,
    show_default=True,
    help="Where an article's key comes from: the source's identifier (Disqus identifier, "
    "WordPress slug, Isso id), the last segment of the article's URL, or the identifier "
    "when it is a valid key and else the URL (auto). Not used for 'engagement' files.",
)
@with_appcontext
def import_command(source_format: str, file: Path, key_from: str) -> None:
    """Import FILE, in FORMAT: disqus (XML export), wxr (WordPress export), isso (Isso's
    SQLite database) or engagement (this service's export).

    The file is read and checked whole before anything is stored: a malformed file imports
    nothing. Comments are then stored and committed a batch at a time, so the service keeps
    serving and writing meanwhile. Comments already there are skipped, so importing a file
    again changes nothing, and an import that stopped halfway completes when run again.
    """
    with Stage() as stage:
        try:
            importer.read(source_format, file, stage, key_from=KeyFrom(key_from))
        except MalformedSource as exc:
            raise click.ClickException(f"{file}: {exc}; nothing was imported") from None
        summary = _store(stage, origin=source_format, file=file)
    for label in summary.unkeyed_threads:
        click.echo(f"skipped thread {label}: no valid article key (see --key-from)", err=True)
    click.echo(
        f"{summary.articles_created} articles created, "
        f"{summary.comments_imported} comments imported, {summary.skipped} skipped "
        f"({summary.already_there} already there, {summary.erased} of erased commenters, "
        f"{summary.not_comments} pingbacks or trackbacks, {summary.unkeyed_comments} in "
        "threads without a key)"
    )
    if summary.orphans:
        click.echo(f"{summary.orphans} replies whose parent is not in the file are top-level")
    if summary.bans_imported:
        click.echo(f"{summary.bans_imported} bans imported")
    if summary.erasures_carried:
        click.echo(f"{summary.erasures_carried} erased commenters kept out from now on")


def _store(stage: Stage, *, origin: str, file: Path) -> importer.Summary:
    """Store the staged file, committing after each batch; a refusal rolls back the batch."""
    db = database.session()
    summary = importer.Summary()
    batches = importer.store(
        db, stage, summary, origin=origin, file_name=file.name, actor=Actor.command_line()
    )
    try:
        with (
            database.writing(),
            click.progressbar(
                batches, length=stage.thread_count(), label="Importing threads", file=sys.stderr
            ) as bar,
        ):
            for _batch in bar:
                db.commit()
    except DBAPIError as exc:
        db.rollback()
        problem = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise click.ClickException(
            f"{file}: the database refused a value ({problem}) after "
            f"{summary.comments_imported} comments were imported; run the same import "
            "again once it is fixed: what is there is skipped"
        ) from None
    except BaseException:
        db.rollback()
        raise
    return summary


@click.group("commenter")
def commenter_group() -> None:
    """A commenter's own data, by email address: export it, erase it."""


def _address(email: str) -> str:
    try:
        return commenters.normalized(email)
    except commenters.NotAnEmail as exc:
        raise click.ClickException(str(exc)) from None


@commenter_group.command("export")
@click.argument("email")
@OUTPUT
@with_appcontext
def commenter_export(email: str, output: str) -> None:
    """Write as JSON every comment written with EMAIL, and any ban of it."""
    db = database.session()
    document = commenters.export(db, email=_address(email))
    db.rollback()
    _write([json.dumps(document, ensure_ascii=False, indent=2), "\n"], output)
    click.echo(f"{len(document['comments'])} comments of {document['email']}", err=True)


@commenter_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
@with_appcontext
def commenter_erase(email: str, yes: bool) -> None:
    """Delete every comment written with EMAIL and wipe its name, email, website and text;
    other readers' replies stay in place."""
    address = _address(email)
    db = database.session()
    count = len(commenters.comments_of(db, email=address))
    if not yes:
        click.confirm(
            f"Erase the {count} comments of {address} and their personal data? "
            "This cannot be undone",
            abort=True,
            err=True,
        )
    erased = commenters.erase(db, email=address, actor=Actor.command_line())
    db.commit()
    click.echo(f"erased {erased.comments} comments of {address}")
    if erased.bans_kept:
        click.echo(
            f"{erased.bans_kept} active bans of this address are kept; lift them at "
            "/moderation/bans if they should go too"
        )
