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
from tracker.store.search import include_name


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
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {t for t in tables if include_name(t, "table", {})}
    finally:
        engine.dispose()


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": include_name}
            )
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


def _add_patient(url: str, mrn: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO patient (mrn, given_name, family_name, birth_date, "
                    "reminder_consent, diagnosis, status, is_demo, created_at, updated_at) "
                    "VALUES (:mrn, 'A', 'B', '1970-01-01', false, 'MMN', 'active', false, "
                    "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
                ),
                {"mrn": mrn},
            )
    finally:
        engine.dispose()


def test_0012_fills_the_mrn_key_of_existing_patients(empty_url):
    migrate.upgrade(empty_url, "0011")
    _add_patient(empty_url, " BAD-65252.")
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT mrn_key FROM patient")).scalar_one() == (
                "bad65252"
            )
    finally:
        engine.dispose()


def test_0012_refuses_to_merge_mrns_that_are_one_mrn(empty_url):
    migrate.upgrade(empty_url, "0011")
    _add_patient(empty_url, "BAD65252")
    _add_patient(empty_url, "bad65252.")
    with pytest.raises(RuntimeError, match="BAD65252 = bad65252."):
        migrate.upgrade(empty_url)


@pytest.mark.postgres
def test_0020_leaves_room_on_patient_state_pages_on_postgresql():
    base = _postgres_or_skip()
    url = create_postgres_database(base)
    engine = make_engine(url)
    query = text("SELECT reloptions FROM pg_class WHERE relname = 'patient_state'")
    try:
        migrate.upgrade(url)
        with engine.connect() as connection:
            assert connection.execute(query).scalar_one() == ["fillfactor=70"]
        migrate.downgrade(url, "0019")
        with engine.connect() as connection:
            assert connection.execute(query).scalar_one() is None
    finally:
        engine.dispose()
        drop_postgres_database(base, url)
