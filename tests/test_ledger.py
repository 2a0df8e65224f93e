"""taxmargin.ledger: the SQLite ledger (interfaces.md §1: "importing the same file twice, or
two exports whose date ranges overlap, stores every real event once. Identical rows inside
one file are real ... and are all kept")."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from taxmargin.importers.base import FileText, ImportResult, NonTaxableRow
from taxmargin.importers.generic import GenericCsv
from test_codec import ROUND_TRIP

from taxmargin import ledger as ledger_module
from taxmargin import ledger_schema
from taxmargin.errors import InputError, LedgerError
from taxmargin.ledger import ImportRecord, Ledger
from taxmargin.models import Amount, Deposit, EventBase, SourceRef, Trade

T0 = datetime(2024, 3, 1, tzinfo=UTC)
HEADER = "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,id"
LAYOUT = GenericCsv()


def csv_file(name: str, rows: Sequence[str]) -> FileText:
    text = "\n".join([HEADER, *rows]) + "\n"
    data = text.encode()
    return FileText(name, text, "utf-8", hashlib.sha256(data).hexdigest(), len(data))


def fill(minute: int, quantity: str = "0.002", event_id: str = "") -> str:
    """One exchange fill: 100 USD for ``quantity`` BTC at T0 + ``minute``."""
    return f"{(T0 + timedelta(minutes=minute)).isoformat()},kraken,trade,100,USD,{quantity},BTC,{event_id}"


def store(ledger: Ledger, file: FileText) -> ImportRecord:
    return ledger.store(file, LAYOUT.parse(file))


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "taxmargin.db") as opened:
        yield opened


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


def test_same_file_twice_is_stored_once(ledger: Ledger) -> None:
    file = csv_file("k.csv", [fill(0), fill(1), fill(2, event_id="T3")])
    first = store(ledger, file)
    second = store(ledger, file)
    assert (first.events_stored, first.duplicates) == (3, 0)
    assert (second.events_stored, second.duplicates) == (0, 3)
    assert ledger.event_count() == 3
    assert [(r.import_id, r.file_name, r.sha256, r.layout, r.rows_read) for r in ledger.imports()] == [
        (1, "k.csv", file.sha256, "taxmargin-csv", 3),
        (2, "k.csv", file.sha256, "taxmargin-csv", 3),
    ]


def test_overlapping_exports_store_each_event_once(ledger: Ledger) -> None:
    # rows 1-10 and 6-15 of one history, exported twice under different names -> 15 events
    first = store(ledger, csv_file("jan-jun.csv", [fill(m) for m in range(1, 11)]))
    second = store(ledger, csv_file("apr-dec.csv", [fill(m) for m in range(6, 16)]))
    assert (first.events_stored, second.events_stored, second.duplicates) == (10, 5, 5)
    assert ledger.event_count() == 15
    # the overlap keeps its first source
    assert [e.source.path for e in ledger.events()] == ["jan-jun.csv"] * 10 + ["apr-dec.csv"] * 5


def test_identical_rows_inside_a_file_are_all_kept(ledger: Ledger) -> None:
    file = csv_file("k.csv", [fill(0), fill(0), fill(0)])  # 3 identical fills (P12)
    assert store(ledger, file).events_stored == 3
    assert store(ledger, file).events_stored == 0
    assert ledger.event_count() == 3
    # a later export holding a 4th identical fill adds exactly that one
    assert store(ledger, csv_file("later.csv", [fill(0)] * 4)).events_stored == 1
    assert ledger.event_count() == 4


def test_same_id_with_different_content_is_a_conflict_not_an_overwrite(ledger: Ledger) -> None:
    store(ledger, csv_file("a.csv", [fill(0, event_id="T1")]))
    record = store(ledger, csv_file("b.csv", [fill(0, "0.003", event_id="T1"), fill(5)]))
    assert (record.events_stored, record.duplicates) == (1, 0)
    assert record.conflicts == (
        (
            "b.csv:2: event id 'T1' (account 'kraken') is already stored from a.csv:2 with different content; "
            "kept the stored event"
        ),
    )
    assert ledger.imports()[1].conflicts == record.conflicts
    assert [e.received for e in ledger.events()] == [Amount(Decimal("0.002"), "BTC")] * 2


def test_counts_of_an_import(ledger: Ledger) -> None:
    file = csv_file("k.csv", [fill(0), "2024-03-01,kraken,trade,1,USD,,BTC,", fill(1)])
    parsed = LAYOUT.parse(file)
    result = ImportResult(
        layout=parsed.layout, events=parsed.events, errors=parsed.errors, rows_read=4,
        rows_in_events=2, non_taxable=(NonTaxableRow(SourceRef("k.csv", 5), "internal move"),),
    )
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = ledger.store(file, result, now=when)
    # 4 rows read = 2 in events + 1 non-taxable + 1 rejected (base.ImportResult accounting)
    assert record == ImportRecord(1, "k.csv", file.sha256, "taxmargin-csv", when, 4, 2, 0, 1, 1, (),
                                  rows_stored=2, rows_duplicate=0, rows_conflict=0)
    assert ledger.imports() == [record]


def test_an_import_that_loses_rows_is_refused(ledger: Ledger) -> None:
    file = csv_file("k.csv", [fill(0)])
    bad = ImportResult(layout="x", events=(), rows_read=1)
    with pytest.raises(LedgerError, match="1 rows are not accounted for"):
        ledger.store(file, bad)
    assert ledger.imports() == []


def test_a_failed_store_leaves_the_ledger_unchanged(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    store(ledger, csv_file("a.csv", [fill(0)]))
    monkeypatch.setattr(ledger_module, "CHUNK", 2)
    calls: list[int] = []
    original = Ledger._insert_chunk

    def failing(self: Ledger, conn: sqlite3.Connection, import_id: int, chunk: Sequence[Any]) -> None:
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        original(self, conn, import_id, chunk)

    monkeypatch.setattr(Ledger, "_insert_chunk", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store(ledger, csv_file("b.csv", [fill(m) for m in range(1, 6)]))
    assert calls == [2, 2]  # the first chunk was inserted before the failure ...
    assert ledger.event_count() == 1  # ... and rolled back with everything else
    assert [r.file_name for r in ledger.imports()] == ["a.csv"]
    monkeypatch.setattr(Ledger, "_insert_chunk", original)
    assert store(ledger, csv_file("b.csv", [fill(m) for m in range(1, 6)])).events_stored == 5


def test_every_event_type_is_stored_and_loaded_exactly(ledger: Ledger) -> None:
    events = tuple(ROUND_TRIP)
    record = ledger.store(csv_file("all.csv", []), ImportResult(layout="test", events=events))
    assert record.events_stored == len(events)
    assert ledger.events() == sorted(events, key=lambda e: e.sort_key)


def test_decimals_are_exact_text(ledger: Ledger, tmp_path: Path) -> None:
    event = Deposit(time=T0, account="cold", source=SourceRef("d.csv", 2),
                    received=Amount(Decimal("0.123456789012345678"), "ETH"), basis_usd=Decimal("1234567.000000000001"))
    ledger.store(csv_file("d.csv", []), ImportResult(layout="test", events=(event,)))
    [loaded] = ledger.events()
    assert loaded == event
    assert isinstance(loaded, Deposit) and str(loaded.basis_usd) == "1234567.000000000001"
    conn = sqlite3.connect(tmp_path / "taxmargin.db")
    row = conn.execute("SELECT typeof(received_quantity), received_quantity, time FROM events").fetchone()
    assert row == ("text", "0.123456789012345678", "2024-03-01T00:00:00.000000Z")
    conn.close()


def test_events_are_sorted_by_time_source_line_seq(ledger: Ledger) -> None:
    def ev(minute: int, path: str, line: int, seq: int) -> EventBase:
        # minute 1 carries microseconds: text order of stored times must still be time order
        time = T0 + timedelta(minutes=minute, microseconds=5 if minute == 1 else 0)
        return Trade(time=time, account="k", source=SourceRef(path, line), seq=seq,
                     sent=Amount(Decimal(line + seq), "USD"), received=Amount(Decimal(1), "BTC"))

    events = (ev(2, "a.csv", 1, 0), ev(1, "b.csv", 9, 1), ev(1, "b.csv", 9, 0), ev(1, "a.csv", 10, 0),
              ev(1, "a.csv", 2, 0), ev(0, "z.csv", 1, 0))
    ledger.store(csv_file("x.csv", []), ImportResult(layout="test", events=events))
    assert [(e.source.path, e.source.line, e.seq) for e in ledger.events()] == [
        ("z.csv", 1, 0), ("a.csv", 2, 0), ("a.csv", 10, 0), ("b.csv", 9, 0), ("b.csv", 9, 1), ("a.csv", 1, 0)
    ]


def test_prices_round_trip(ledger: Ledger) -> None:
    points = [(T0, "btc", Decimal("62000.123456789"), "prices.csv:2"), (T0, "ETH", Decimal(3000), "prices.csv:3")]
    assert ledger.add_prices(points) == 2
    assert ledger.add_prices(points) == 0  # same points again: nothing new
    assert ledger.add_prices([(T0, "ETH", Decimal("3001.5"), "prices.csv:3")]) == 1  # corrected price
    assert ledger.prices() == [
        (T0, "BTC", Decimal("62000.123456789"), "prices.csv:2"),
        (T0, "ETH", Decimal("3001.5"), "prices.csv:3"),
    ]


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ((T0, "BTC", Decimal(-1), "p.csv:2"), "must be a non-negative number"),
        ((T0, "BTC", Decimal("NaN"), "p.csv:2"), "must be a non-negative number"),
        ((T0, "B T C", Decimal(1), "p.csv:2"), "not an asset code"),
    ],
)
def test_bad_prices_are_refused(ledger: Ledger, point: tuple[datetime, str, Decimal, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ledger.add_prices([(T0, "ETH", Decimal(1), "p.csv:1"), point])
    assert ledger.prices() == []  # all or nothing


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
