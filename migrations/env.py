"""Alembic environment: the schema of engagement.models, for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from engagement.db import Base, make_engine
from engagement.models import UTCDateTime

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        url = config.get_main_option("sqlalchemy.url")
        assert url
        engine = make_engine(url, pooled=False)
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _run_without_sqlite_foreign_keys(connection)
            else:
                _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write the models' UTCDateTime as a plain timezone-aware DateTime in migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:  # raised inside the transaction: nothing of the upgrade is kept
                raise RuntimeError(f"the migration left rows without their parent: {broken}")


def _run_without_sqlite_foreign_keys(connection: Connection) -> None:
    """Run the migrations with SQLite's foreign keys off, as SQLite's ALTER TABLE page says.

    SQLite alters a table by copying it and dropping the original; with foreign keys on, that
    drop acts as deleting every row, so the rows referring to it would lose their reference
    (``ON DELETE SET NULL``) or be deleted (``CASCADE``). The pragma only takes effect outside
    a transaction, so it is set on the driver's connection before the migrations begin one;
    ``_run`` checks every reference before the transaction commits.
    """
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        _run(connection)
    finally:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
