"""The migrations build the schema the models describe, up and down, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import tracker.store.models  # noqa: F401
from tests.conftest import _postgres_or_skip, create_postgres_database, drop_postgres_database
from tracker.store import migrate
from tracker.store.engine import make_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = _postgres_or_skip()
    url = create_postgres_database(base)
    yield url
    drop_postgres_database(base, url)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_round_trip_and_no_autogenerate_difference(empty_url):
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == set(SQLModel.metadata.tables)
    assert _diff(empty_url) == []

    migrate.downgrade(empty_url, "base")
    assert _tables(empty_url) == set()

    migrate.upgrade(empty_url)
    assert _tables(empty_url) == set(SQLModel.metadata.tables)
    assert _diff(empty_url) == []


def test_fresh_install_has_products_and_a_chair(engine):
    with engine.connect() as connection:
        codes = set(connection.execute(text("SELECT code FROM product")).scalars())
        chairs = connection.execute(text("SELECT count(*) FROM chair")).scalar_one()
    assert codes == {"privigen", "gammagard", "octagam10", "panzyga", "gamunexc", "flebogamma10"}
    assert chairs >= 1


def test_sqlite_file_is_created_by_upgrade(tmp_path):
    path = tmp_path / "sub" / "new.db"
    path.parent.mkdir()
    migrate.upgrade(f"sqlite:///{path}")
    assert path.exists()
