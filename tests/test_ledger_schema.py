"""taxmargin.ledger, opening: the schema version, migrations, and files that are not a
taxmargin ledger (or are busy) refused cleanly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from ledger_support import csv_file, fill, store

from taxmargin import ledger_schema
from taxmargin.errors import LedgerError
from taxmargin.ledger import Ledger

#: the current schema version (2 since issue 7; tests/reliability tests the 1 -> 2 migration)
V = ledger_schema.SCHEMA_VERSION


def test_new_ledger_records_its_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with Ledger.open(path) as ledger:
        assert ledger.schema_version == V
        assert ledger.event_count() == 0 and ledger.imports() == [] and ledger.events() == []
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (V,)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert meta["application"] == "taxmargin" and meta["schema_version"] == str(V)
    conn.close()
    with Ledger.open(path) as again:  # reopening changes nothing
        assert again.schema_version == V


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Ledger.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="schema version 99 was written by a newer taxmargin"):
        Ledger.open(path)


def test_older_schema_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    with Ledger.open(path) as ledger:
        store(ledger, csv_file("k.csv", [fill(0)]))

    def to_next(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE notes (text TEXT)")

    monkeypatch.setattr(ledger_schema, "SCHEMA_VERSION", V + 1)
    monkeypatch.setitem(ledger_schema.MIGRATIONS, V, to_next)
    with Ledger.open(path) as ledger:
        assert ledger.schema_version == V + 1 and ledger.event_count() == 1
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (V + 1,)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(V + 1),)
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    conn.close()


def test_a_failed_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    Ledger.open(path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr(ledger_schema, "SCHEMA_VERSION", V + 1)
    monkeypatch.setitem(ledger_schema.MIGRATIONS, V, broken)
    with pytest.raises(LedgerError, match="boom"):
        Ledger.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (V,)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone() == (0,)
    conn.close()


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(LedgerError, match="not a taxmargin ledger"):
        Ledger.open(path)
    assert path.read_bytes() == b"this is not a database at all\n" * 200


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="an SQLite database, but not a taxmargin ledger"):
        Ledger.open(path)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="is a directory"):
        Ledger.open(tmp_path)
    with pytest.raises(LedgerError, match="cannot use the ledger"):
        Ledger.open(tmp_path / "missing-dir" / "l.db")


def test_a_busy_ledger_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    Ledger.open(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with Ledger.open(path, timeout=0.05) as ledger:
            with pytest.raises(LedgerError, match="ledger is busy"):
                store(ledger, csv_file("k.csv", [fill(0)]))
            other.execute("ROLLBACK")
            assert store(ledger, csv_file("k.csv", [fill(0)])).events_stored == 1  # serialized: works after
    finally:
        other.close()
