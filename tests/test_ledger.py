"""taxmargin.ledger, storing: the SQLite ledger (interfaces.md §1: "importing the same file
twice, or two exports whose date ranges overlap, stores every real event once. Identical
rows inside one file are real ... and are all kept"); authorities, counts, failed stores."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ledger_support import (
    LAYOUT,
    csv_file,
    errors,
    fill,
    store,
)
from taxmargin.importers.base import (
    AUTHORITY_CROSS_CHECK,
    AUTHORITY_LEDGER,
    FileText,
    ImportResult,
    NonTaxableRow,
)

from taxmargin import ledger as ledger_module
from taxmargin.errors import LedgerError
from taxmargin.ledger import ImportRecord, Ledger
from taxmargin.models import Amount, SourceRef


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
