"""`tracker backup`: a copy an operator can restore, on SQLite and on PostgreSQL."""

import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import create_engine, text

from tests.cli.test_cli import tracker
from tests.conftest import _postgres_or_skip, create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _create_user(url: str, name: str) -> None:
    made = tracker(
        "users",
        "create",
        name,
        "--role",
        "admin",
        "--password-stdin",
        env_url=url,
        stdin="a long backup passphrase\n",
    )
    assert made.returncode == 0, made.stderr


def test_a_sqlite_backup_holds_every_row_and_opens_on_its_own(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert tracker("db", "upgrade", env_url=url).returncode == 0
    _create_user(url, "backed.up")
    out = tmp_path / "copy.db"
    done = tracker("backup", "--out", str(out), env_url=url)
    assert done.returncode == 0, done.stderr
    assert "pages" in done.stderr
    with sqlite3.connect(out) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = [row[0] for row in copy.execute("SELECT username FROM staff_user")]
    assert names == ["backed.up"]


def test_a_backup_never_overwrites_a_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert tracker("db", "upgrade", env_url=url).returncode == 0
    out = tmp_path / "taken.db"
    out.write_text("an earlier backup")
    refused = tracker("backup", "--out", str(out), env_url=url)
    assert refused.returncode == 2 and "exists" in refused.stderr
    assert out.read_text() == "an earlier backup"


def test_a_backup_into_a_missing_folder_says_so(tmp_path):
    # It ended in a traceback (sqlite3: unable to open database file).
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert tracker("db", "upgrade", env_url=url).returncode == 0
    refused = tracker("backup", "--out", str(tmp_path / "no" / "such" / "x.db"), env_url=url)
    assert refused.returncode == 2 and "is not a folder" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.postgres
def test_a_postgresql_backup_restores_into_an_empty_database(tmp_path):
    database_url = _postgres_or_skip()
    if shutil.which("pg_restore") is None:
        pytest.fail("pg_restore is missing: install the PostgreSQL client")
    source = create_postgres_database(database_url)
    target = create_postgres_database(database_url)
    try:
        assert tracker("db", "upgrade", env_url=source).returncode == 0
        _create_user(source, "dumped.user")
        out = tmp_path / "tracker.dump"
        done = tracker("backup", "--out", str(out), env_url=source)
        assert done.returncode == 0, done.stderr
        plain = target.replace("postgresql+psycopg", "postgresql")
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={plain}", str(out)],
            check=True,
            capture_output=True,
        )
        engine = create_engine(target)
        with engine.connect() as connection:
            names = connection.execute(text("SELECT username FROM staff_user")).scalars().all()
        engine.dispose()
        assert names == ["dumped.user"]
    finally:
        drop_postgres_database(database_url, source)
        drop_postgres_database(database_url, target)
