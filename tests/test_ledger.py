"""taxmargin.ledger: the SQLite ledger (interfaces.md §1: "importing the same file twice, or
two exports whose date ranges overlap, stores every real event once. Identical rows inside
one file are real ... and are all kept")."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from taxmargin.importers.base import (
    AUTHORITY_CROSS_CHECK,
    AUTHORITY_LEDGER,
    FileText,
    ImportResult,
    NonTaxableRow,
)
from taxmargin.importers.generic import GenericCsv
from test_codec import ROUND_TRIP

from taxmargin import ledger as ledger_module
from taxmargin import ledger_schema
from taxmargin.check import check
from taxmargin.errors import InputError, LedgerError
from taxmargin.ledger import ImportRecord, Ledger
from taxmargin.ledger_audit import read_snapshot
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


def errors(ledger: Ledger) -> list[str]:
    """What ``taxmargin check`` finds wrong with the ledger file itself (error severity)."""
    return [str(d) for d in check(read_snapshot(ledger)).diagnostics if d.severity == "error"]


def store_as(ledger: Ledger, file: FileText, authority: int) -> ImportRecord:
    return ledger.store(file, dataclasses.replace(LAYOUT.parse(file), authority=authority))


def test_an_event_of_lower_authority_is_a_cross_checked_duplicate(ledger: Ledger) -> None:
    """importers/base.py AUTHORITY_*: a cross-check-only file (Kraken trades.csv) meeting the
    ledger file's event with its id is a duplicate, not a conflict; where sent / received
    differ, a warning at its row names the stored one."""
    store_as(ledger, csv_file("ledger.csv", [fill(0, event_id="T1"), fill(1, event_id="T2")]), AUTHORITY_LEDGER)
    record = store_as(ledger, csv_file("trades.csv", [fill(0, "0.003", event_id="T1"), fill(1, event_id="T2")]),
                      AUTHORITY_CROSS_CHECK)
    # T1 differs (0.003 BTC), T2 is the same content: both are duplicates
    assert (record.events_stored, record.duplicates, record.conflicts, record.replaced) == (0, 2, (), 0)
    assert record.reconciliation() == "rows read 2 = stored 0 + duplicates 2 + non-taxable 0 + rejected 0"
    [note, summary] = record.diagnostics
    assert str(note) == (
        "trades.csv:2: warning: [cross-check] cross-checked against ledger.csv:2 (id 'T1'): received "
        "0.003 BTC here, 0.002 BTC there; the authoritative event from ledger.csv:2 is the one stored")
    assert summary.code == "cross-check" and summary.source is None
    assert [(e.received, e.source.path) for e in ledger.events()] == [(Amount(Decimal("0.002"), "BTC"), "ledger.csv")] * 2


def test_an_event_of_higher_authority_replaces_the_stored_one(ledger: Ledger) -> None:
    """The ledger file imported after the cross-check-only file: its event replaces the
    stored one (same key), counted as stored; import_replacements keeps the replaced one's
    import and source; ``check`` finds every import's events accounted for."""
    trades = csv_file("trades.csv", [fill(0, "0.003", event_id="T1"), fill(3, event_id="T9")])
    store_as(ledger, trades, AUTHORITY_CROSS_CHECK)
    record = store_as(ledger, csv_file("ledger.csv", [fill(0, event_id="T1")]), AUTHORITY_LEDGER)
    assert (record.events_stored, record.duplicates, record.conflicts, record.replaced) == (1, 0, (), 1)
    assert str(record.diagnostics[0]).startswith("trades.csv:2: warning: [cross-check] cross-checked against ledger.csv:2")
    assert [(e.received, str(e.source)) for e in ledger.events()] == [
        (Amount(Decimal("0.002"), "BTC"), "ledger.csv:2"), (Amount(Decimal("0.002"), "BTC"), "trades.csv:3")]
    assert [r.replaced for r in ledger.imports()] == [0, 1]
    conn = ledger.connection
    assert conn.execute("SELECT import_id, replaced_import_id, replaced_path, replaced_line FROM"
                        " import_replacements").fetchall() == [(2, 1, "trades.csv", 2)]
    assert conn.execute("SELECT authority FROM events ORDER BY event_pk").fetchall() == [(2,), (0,)]
    assert errors(ledger) == []
    # both files again: nothing new, nothing replaced, no conflict
    again = [store_as(ledger, trades, AUTHORITY_CROSS_CHECK),
             store_as(ledger, csv_file("ledger.csv", [fill(0, event_id="T1")]), AUTHORITY_LEDGER)]
    assert [(r.events_stored, r.duplicates, r.replaced, r.conflicts) for r in again] == [(0, 2, 0, ()), (0, 1, 0, ())]


def test_equal_authorities_still_conflict(ledger: Ledger) -> None:
    store_as(ledger, csv_file("a.csv", [fill(0, event_id="T1")]), AUTHORITY_LEDGER)
    record = store_as(ledger, csv_file("b.csv", [fill(0, "0.003", event_id="T1")]), AUTHORITY_LEDGER)
    assert (record.events_stored, len(record.conflicts), record.diagnostics) == (0, 1, ())


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

    def failing(self: Ledger, conn: sqlite3.Connection, import_id: int, chunk: Sequence[Any], *rest: Any) -> None:
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        original(self, conn, import_id, chunk, *rest)

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
    row = conn.execute("SELECT typeof(cells), cells, time FROM events").fetchone()
    # schema version 3 (ledger_cells): the 16 cells after time joined by U+001F, exact decimals
    assert row == ("text", "\x1f".join(["cold", "deposit", "", "", "0.123456789012345678", "ETH", "", "", "", "", "",
                                        "1234567.000000000001", "", "", "", ""]), "2024-03-01T00:00:00.000000Z")
    conn.close()


@pytest.mark.parametrize(("changes", "form"), [
    ({"note": "a\x1fb\x1fc"}, "plain"),  # the last cell: split off after 15 separators
    ({"event_id": "T\x1fX"}, "json"),  # another importer's id with U+001F: JSON cells
    ({"account": "\x1ejoint"}, "json"),  # (import --account) would look like the JSON form
])
def test_cells_with_separators_round_trip(ledger: Ledger, changes: dict[str, str], form: str) -> None:
    """ledger_cells: the 16 cells after time joined by U+001F, or U+001E + JSON when a cell
    before ``note`` holds U+001F (or the account starts with U+001E)."""
    event = dataclasses.replace(Trade(time=T0, account="k", source=SourceRef("x.csv", 2), sent=Amount(Decimal(1), "USD"),
                                      received=Amount(Decimal("0.5"), "BTC")), **changes)
    ledger.store(csv_file("x.csv", []), ImportResult(layout="test", events=(event,)))
    assert ledger.events() == [event]
    [(cells,)] = ledger.connection.execute("SELECT cells FROM events").fetchall()
    assert cells.startswith("\x1e[") == (form == "json")
    assert errors(ledger) == []  # fingerprint and cells agree
    again = ledger.store(csv_file("x.csv", []), ImportResult(layout="test", events=(event,)))
    assert (again.events_stored, again.duplicates) == (0, 1)


def test_precomputed_texts_only_for_their_own_events(ledger: Ledger) -> None:
    """importers.base.StoredTexts: the generic CSV hands the ledger each event's stored
    text; a result whose events were replaced (import --account) is stored from its events."""
    file = csv_file("k.csv", [fill(0), fill(1)])
    parsed = LAYOUT.parse(file)
    assert parsed.stored_texts is not None and parsed.stored_texts.for_events(parsed.events) is not None
    renamed = tuple(dataclasses.replace(e, account="joint") for e in parsed.events)
    result = dataclasses.replace(parsed, events=renamed)
    assert result.stored_texts is not None and result.stored_texts.for_events(result.events) is None
    ledger.store(file, result)
    assert [e.account for e in ledger.events()] == ["joint", "joint"]
    assert errors(ledger) == []


def test_a_bulk_import_builds_the_unique_index(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """Into a ledger without events, a large import is stored without the index on
    dedup_key, which is built at the end (Ledger._store_events): it exists afterwards and
    de-duplicates the next import."""
    monkeypatch.setattr(ledger_module, "BULK_EVENTS", 3)
    monkeypatch.setattr(ledger_module, "CHUNK", 2)
    file = csv_file("k.csv", [fill(m) for m in range(5)] + [fill(0)])  # two identical fills: both kept
    assert store(ledger, file).events_stored == 6
    conn = ledger.connection
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events_dedup_key'").fetchone() == (1,)
    assert (store(ledger, file).events_stored, ledger.event_count()) == (0, 6)
    with pytest.raises(sqlite3.IntegrityError):  # the index is unique
        conn.execute("INSERT INTO events SELECT NULL, import_id, dedup_key, fingerprint, time, cells, source_path,"
                     " source_line, seq, authority FROM events LIMIT 1")


@pytest.mark.parametrize(("cell", "value", "refused"), [
    (4, "-5", True), (4, "0", True), (4, "NaN", True), (4, "1e19", True), (4, "1E+18", False),
    (8, "-1", True), (8, "Infinity", True), (8, "1e30", False),  # usd_value: no upper bound
    (11, "5", "cannot be read (TypeError)"),  # basis_usd on a trade: a Trade has no such field
])
def test_an_amount_edited_by_hand_stops_the_load(ledger: Ledger, cell: int, value: str, refused: bool | str) -> None:
    """What ``store`` never writes (a quantity not in (0, 1e18], a negative or infinite USD
    value) stops ``events()`` with a message naming the row, never a traceback."""
    store(ledger, csv_file("k.csv", [fill(0), fill(1)]))
    conn = ledger.connection
    [(pk, cells)] = conn.execute("SELECT event_pk, cells FROM events WHERE source_line = 3").fetchall()
    values = cells.split("\x1f")
    values[cell] = value  # cells: 4 = received_quantity, 8 = usd_value (ledger_cells)
    conn.execute("UPDATE events SET cells = ? WHERE event_pk = ?", ("\x1f".join(values), pk))
    if not refused:
        assert len(ledger.events()) == 2
        return
    why = refused if isinstance(refused, str) else "holds an amount that is not positive"
    with pytest.raises(LedgerError, match=rf"the stored event from k.csv:3 {re.escape(why)}"):
        ledger.events()


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
