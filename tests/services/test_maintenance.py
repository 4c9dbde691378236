"""Backups below the command line: SQLite's online backup copies a consistent database."""

import sqlite3

import pytest

from tracker.services.maintenance import BackupImpossible, sqlite_backup


def test_a_sqlite_backup_copies_every_row(tmp_path):
    source = tmp_path / "live.db"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (n INTEGER)")
        db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    pages = sqlite_backup(source, tmp_path / "copy.db")
    assert pages >= 1
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM t").fetchone() == (100,)


def test_a_missing_sqlite_file_is_refused_not_created(tmp_path):
    with pytest.raises(BackupImpossible, match="no SQLite database"):
        sqlite_backup(tmp_path / "absent.db", tmp_path / "copy.db")
    assert not (tmp_path / "absent.db").exists()
