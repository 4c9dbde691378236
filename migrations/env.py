"""Alembic environment: the tracker's metadata, batch mode on SQLite, URL from settings."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

import tracker.store.models  # noqa: F401  (registers every table)
from tracker.settings import get_settings
from tracker.store.engine import make_engine
from tracker.store.search import include_name

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The search indexes are not in the models (tracker/store/search.py).
        include_name=include_name,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a connection handed in by the caller, or one made from the settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
