"""Issue 6, ledger load: the fast paths give exactly what the general ones give.

``Ledger.events`` reads events stored in booking order without sorting
(``taxmargin.ledger_read``, the ``events_in_order`` flag kept by ``ledger_store.Order``),
a large ledger's rows through a helper process (``taxmargin.ledger_fetch``): always the
events (or the error) of the sorted read, also for ledgers edited by hand.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import (
    SETTINGS,
    row,
    write,
)

from taxmargin import api, ledger_read
from taxmargin.errors import LedgerError
from taxmargin.ledger import Ledger
from taxmargin.ledger_load import in_order
from taxmargin.ledger_queries import IN_ORDER, select_events_sql


def sorted_events(ledger: Ledger) -> list[Any]:
    """The events as the sorted read gives them (no flag)."""
    conn = ledger.connection
    flag = conn.execute("SELECT value FROM meta WHERE key = ?", (IN_ORDER,)).fetchone()
    conn.execute("DELETE FROM meta WHERE key = ?", (IN_ORDER,))
    try:
        return ledger.events()
    finally:
        if flag is not None:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (IN_ORDER, flag[0]))


def flag(ledger: Ledger) -> str | None:
    found = ledger.connection.execute("SELECT value FROM meta WHERE key = ?", (IN_ORDER,)).fetchone()
    return None if found is None else str(found[0])


def store_rows(ledger: Ledger, tmp_path: Path, name: str, rows: Sequence[str]) -> None:
    ledger.store(*api.read_import(write(tmp_path / name, rows)))


@SETTINGS
@given(files=st.lists(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["", "a"])), max_size=12),
                      min_size=1, max_size=4),
       helper=st.booleans())
def test_the_unsorted_read_equals_the_sorted_one(tmp_path: Path, files: list[list[tuple[int, str]]],
                                                 helper: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random imports (times in and out of order, same-time rows, repeated files): the flag
    says in order exactly when ``event_pk`` order is booking order, and every read gives
    the sorted read's events."""
    monkeypatch.setattr(ledger_read, "FETCH_ROWS", 0 if helper else 1 << 60)
    path = tmp_path / "p.db"
    path.unlink(missing_ok=True)
    with Ledger.open(path) as ledger:
        for n, rows in enumerate(files):
            store_rows(ledger, tmp_path, f"f{n % 2}.csv", [row(m, note=f"n{note}") for m, note in rows])
            stored = ledger.connection.execute(
                "SELECT time, cells, source_path, source_line, seq FROM events ORDER BY event_pk").fetchall()
            in_pk_order = stored == ledger.connection.execute(select_events_sql()).fetchall()
            assert flag(ledger) == ("1" if in_pk_order else "0")
            assert ledger.events() == sorted_events(ledger)


def test_a_hand_edit_out_of_order_is_still_read_sorted(ledger: Ledger, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    store_rows(ledger, tmp_path, "a.csv", [row(m) for m in range(5)])
    assert flag(ledger) == "1"
    ledger.connection.execute("UPDATE events SET time = '2024-02-01T00:00:00.000000Z' WHERE source_line = 4")
    for fetch_rows in (0, 1 << 60):
        monkeypatch.setattr(ledger_read, "FETCH_ROWS", fetch_rows)
        events = ledger.events()
        assert events == sorted_events(ledger) and events[0].source.line == 4


def test_a_bad_row_gives_the_sorted_reads_error(ledger: Ledger, tmp_path: Path) -> None:
    """Two rows edited by hand: the error names the first in booking order, as before."""
    store_rows(ledger, tmp_path, "a.csv", [row(m) for m in range(5)])
    conn = ledger.connection
    conn.execute("UPDATE events SET time = '2024-02-01T00:00:00.000000Z' WHERE source_line = 6")
    for line in (3, 6):
        conn.execute("UPDATE events SET cells = replace(cells, '100', '-1') WHERE source_line = ?", (line,))
    with pytest.raises(LedgerError, match="from a.csv:6 holds an amount"):
        ledger.events()


def test_a_failing_helper_falls_back(ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_rows(ledger, tmp_path, "a.csv", [row(m) for m in range(9)])
    expected = sorted_events(ledger)
    monkeypatch.setattr(ledger_read, "FETCH_ROWS", 0)

    def broken(path: Path, sql: str, timeout: float) -> Iterator[list[Any] | None]:
        conn = sqlite3.connect(path)
        yield conn.execute(sql).fetchmany(2)  # then stops without the end marker
        conn.close()

    monkeypatch.setattr(ledger_read, "fetched_rows", broken)
    assert ledger.events() == expected


def test_the_helper_delivers_every_row(ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("taxmargin.ledger_fetch.CHUNK_ROWS", 3)
    store_rows(ledger, tmp_path, "a.csv", [row(m) for m in range(10)])
    expected = sorted_events(ledger)
    monkeypatch.setattr(ledger_read, "FETCH_ROWS", 0)
    assert ledger.events() == expected


def test_a_ledger_without_the_flag_is_read_sorted_and_keeps_no_flag(ledger: Ledger, tmp_path: Path) -> None:
    """A ledger written before the flag existed: sorted reads; the next import says "0"."""
    store_rows(ledger, tmp_path, "a.csv", [row(m) for m in range(3)])
    ledger.connection.execute("DELETE FROM meta WHERE key = ?", (IN_ORDER,))
    store_rows(ledger, tmp_path, "b.csv", [row(m) for m in range(3, 6)])
    assert flag(ledger) == "0" and ledger.events() == sorted_events(ledger)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["p", "q"]), st.integers(0, 3),
                          st.integers(0, 2)), max_size=12), st.integers(1, 5))
def test_in_order_is_a_stable_sort_check(keys: list[tuple[str, str, int, int]], size: int) -> None:
    """``in_order`` over chunks accepts exactly the rows a stable sort by booking key keeps."""
    rows = [(time, f"cells{i}", path, line, seq) for i, (time, path, line, seq) in enumerate(keys)]
    last: Any = None
    accepted = True
    for start in range(0, len(rows), size):
        last = in_order(rows[start : start + size], last)
        if last is None:
            accepted = False
            break
    assert accepted == (sorted(rows, key=itemgetter(0, 2, 3, 4)) == rows)


def test_a_hand_edited_last_row_does_not_stop_an_import(ledger: Ledger, tmp_path: Path) -> None:
    """The store compares the last stored row with what it appends: a value of another type
    there (edited by hand) only clears the flag."""
    store_rows(ledger, tmp_path, "a.csv", [row(m) for m in range(3)])
    ledger.connection.execute("UPDATE events SET time = 5 WHERE event_pk = (SELECT max(event_pk) FROM events)")
    store_rows(ledger, tmp_path, "b.csv", [row(m) for m in range(3, 6)])
    assert flag(ledger) == "0" and ledger.event_count() == 6
