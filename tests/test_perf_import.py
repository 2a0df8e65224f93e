"""Issue 6, import and ledger load: the fast paths give exactly what the general ones give.

* A large taxmargin CSV is stored while it is parsed, by a writer process
  (``taxmargin.ledger_stream``): the ledger afterwards (every table), the import record
  and the export are those of ``Ledger.store``, for random files (ids repeated with the
  same or other content, identical rows, rejected rows, quoted cells) imported into new
  and non-empty ledgers; a failed or killed import leaves the ledger as it was.
* ``Ledger.events`` reads events stored in booking order without sorting
  (``taxmargin.ledger_read``, the ``events_in_order`` flag kept by ``ledger_store.Order``),
  a large ledger's rows through a helper process (``taxmargin.ledger_fetch``): always the
  events (or the error) of the sorted read, also for ledgers edited by hand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxmargin import api, ledger_read
from taxmargin.codec import GENERIC_COLUMNS
from taxmargin.errors import LedgerError
from taxmargin.importers.base import AUTHORITY_CROSS_CHECK, AUTHORITY_LEDGER, load_file
from taxmargin.importers.generic import GenericCsv
from taxmargin.ledger import Ledger
from taxmargin.ledger_load import in_order
from taxmargin.ledger_queries import IN_ORDER, select_events_sql
from taxmargin.ledger_stream import StreamStore

T0 = datetime(2024, 3, 1, tzinfo=UTC)
HEADER = ",".join(GENERIC_COLUMNS)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def row(minute: int, quantity: str = "0.002", event_id: str = "", note: str = "", account: str = "kraken") -> str:
    """A trade row in GENERIC_COLUMNS order: 100 USD for ``quantity`` BTC at T0 + minute."""
    time = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{time},{account},trade,100,USD,{quantity},BTC,0.1,USD,100,0.1,,,,,{event_id},{note},"


BAD_ROWS = [
    "2024-03-01T00:00:00Z,kraken,trade,abc,USD,1,BTC,,,,,,,,,,,",  # bad number
    "2024-03-01T00:00:00Z,kraken,swap,1,USD,1,BTC,,,,,,,,,,,",  # unknown type
    "2024-03-01T00:00:00Z,kraken,trade,1,USD,1,BTC,,,,,,,,,,,,,extra",  # too many cells
]

row_strategy = st.one_of(
    st.builds(row, st.integers(0, 40), st.sampled_from(["0.002", "0.0020", "1", "2.5"]),
              st.sampled_from(["", "", "a", "b"]), st.sampled_from(["", "fill", "x y"]),
              st.sampled_from(["kraken", "bybit"])),
    st.sampled_from(BAD_ROWS),
    st.just(""),  # a blank line
    st.just(row(7, note='"quoted, note"')),  # a quoted cell: the csv-module path
)
file_strategy = st.lists(row_strategy, min_size=0, max_size=30)


def write(path: Path, rows: Sequence[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def content(path: Path) -> list[Any]:
    """Every table of the ledger (``imported_at`` and the meta dates left out)."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out: list[Any] = []
        for table in tables:
            if table == "meta":
                out.append(conn.execute("SELECT key, value FROM meta WHERE key NOT LIKE 'created%' ORDER BY key")
                           .fetchall())
                continue
            rows = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            if table == "imports":
                rows = [r[:4] + r[5:] for r in rows]
            out.append((table, rows))
        return out
    finally:
        conn.close()


def import_all(ledger_path: Path, files: Sequence[Path], *, stream: bool,
               monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Import ``files`` in order; each outcome without its time."""
    monkeypatch.setattr(api, "STREAM_BYTES", 0 if stream else 1 << 60)
    outcomes: list[Any] = []
    with Ledger.open(ledger_path) as ledger:
        for path in files:
            done = api.import_file(ledger, path)
            record = None if done.record is None else dataclasses.replace(done.record, imported_at=T0)
            outcomes.append((done.result, record, done.exit_code))
    return outcomes


def both_ways(tmp_path: Path, files: Sequence[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamed and serial imports of ``files`` give the same outcomes, ledger and export."""
    serial = import_all(tmp_path / "serial.db", files, stream=False, monkeypatch=monkeypatch)
    streamed = import_all(tmp_path / "streamed.db", files, stream=True, monkeypatch=monkeypatch)
    assert streamed == serial
    assert content(tmp_path / "streamed.db") == content(tmp_path / "serial.db")
    exports = [api.export_csv(tmp_path / f"{name}.db", tmp_path / f"{name}.csv") for name in ("serial", "streamed")]
    assert exports[0].events == exports[1].events
    assert (tmp_path / "serial.csv").read_bytes() == (tmp_path / "streamed.csv").read_bytes()
    for name in ("serial", "streamed"):
        (tmp_path / f"{name}.db").unlink()


@SETTINGS
@given(first=file_strategy, second=file_strategy)
def test_streamed_import_equals_the_serial_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 first: list[str], second: list[str]) -> None:
    """Two random files, then the first again (all duplicates): same everything."""
    files = [write(tmp_path / "a.csv", first), write(tmp_path / "b.csv", second)]
    both_ways(tmp_path, [*files, files[0]], monkeypatch)


def test_streamed_import_of_overlapping_exports_and_conflicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Overlapping exports store every event once; an id stored with other content is a
    conflict; identical rows without an id are all kept; several chunks per file."""
    monkeypatch.setattr("taxmargin.importers.generic._SLICE", 300)  # a chunk every few rows
    one = [row(m, event_id=f"t{m}") for m in range(0, 60)] + [row(5), row(5), row(6)]
    two = [row(m, event_id=f"t{m}") for m in range(30, 90)] + [row(5), row(5), row(5)]
    two[0] = row(30, quantity="0.003", event_id="t30")  # same id, other content: a conflict
    both_ways(tmp_path, [write(tmp_path / "one.csv", one), write(tmp_path / "two.csv", two)], monkeypatch)


@pytest.mark.parametrize("stored_authority", [AUTHORITY_LEDGER, AUTHORITY_CROSS_CHECK])
def test_streamed_import_meeting_other_authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 stored_authority: int) -> None:
    """Events meeting stored events of another authority (``ledger_crosscheck``): the
    writer rebuilds them from their stored cells; replaced or cross-checked as by
    ``Ledger.store`` (same diagnostics, replacements, ledger)."""
    first = write(tmp_path / "first.csv", [row(m, event_id=f"t{m}") for m in range(6)])
    second = write(tmp_path / "second.csv", [row(m, quantity="0.003" if m % 2 else "0.002", event_id=f"t{m}",
                                                 note="again") for m in range(2, 9)])
    results = []
    for stream in (False, True):
        ledger_path = tmp_path / f"{stream}.db"
        with Ledger.open(ledger_path) as ledger:
            file, parsed = api.read_import(first)
            ledger.store(file, dataclasses.replace(parsed, authority=stored_authority))
        outcome = import_all(ledger_path, [second], stream=stream, monkeypatch=monkeypatch)
        results.append((outcome, content(ledger_path)))
    assert results[0] == results[1]
    record = results[0][0][0][1]
    assert record.replaced if stored_authority == AUTHORITY_CROSS_CHECK else record.diagnostics


def test_a_failing_parse_leaves_the_ledger_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_path = tmp_path / "l.db"
    import_all(ledger_path, [write(tmp_path / "a.csv", [row(1), row(2)])], stream=False, monkeypatch=monkeypatch)
    before = content(ledger_path)
    monkeypatch.setattr("taxmargin.importers.generic._SLICE", 200)
    real = GenericCsv.parse_into
    calls = []

    def failing(self: GenericCsv, file: Any, sink: Any) -> Any:
        def counting(events: Any, texts: Any) -> None:
            sink(events, texts)
            calls.append(len(events))
            if len(calls) == 3:
                raise KeyboardInterrupt  # Ctrl-C in the middle of the file

        return real(self, file, counting)

    monkeypatch.setattr(GenericCsv, "parse_into", failing)
    with pytest.raises(KeyboardInterrupt):
        import_all(ledger_path, [write(tmp_path / "b.csv", [row(m) for m in range(10, 90)])], stream=True,
                   monkeypatch=monkeypatch)
    assert len(calls) == 3 and content(ledger_path) == before
    with Ledger.open(ledger_path, timeout=0.1) as ledger, ledger.transaction():
        pass  # not locked: the writer has rolled back and gone


def test_a_result_that_does_not_add_up_is_not_stored(tmp_path: Path) -> None:
    ledger_path = tmp_path / "l.db"
    file = load_file(write(tmp_path / "a.csv", [row(1), row(2)]))
    layout = GenericCsv()
    with Ledger.open(ledger_path) as ledger:
        with StreamStore(ledger, file, layout.name, 1) as stream:
            result = layout.parse_into(file, stream.feed)
            with pytest.raises(LedgerError, match="not accounted for"):
                stream.finish(file, dataclasses.replace(result, rows_read=3))
        assert ledger.event_count() == 0 and ledger.imports() == []


def test_a_busy_ledger_gives_the_serial_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "a.csv", [row(1)])
    messages = []
    for stream in (False, True):
        monkeypatch.setattr(api, "STREAM_BYTES", 0 if stream else 1 << 60)
        with Ledger.open(tmp_path / "l.db", timeout=0.1) as ledger:
            other = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(LedgerError) as raised:
                api.import_file(ledger, path)
            messages.append(str(raised.value))
            other.execute("ROLLBACK")
            other.close()
    assert messages[0] == messages[1] and "ledger is busy" in messages[0]


def test_a_failing_commit_gives_the_serial_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer fails after the parse has finished (here: a trigger refusing the import
    record's counts): the same LedgerError as ``Ledger.store``, nothing stored."""
    path = write(tmp_path / "a.csv", [row(1)])
    messages = []
    for stream in (False, True):
        monkeypatch.setattr(api, "STREAM_BYTES", 0 if stream else 1 << 60)
        with Ledger.open(tmp_path / f"{stream}.db") as ledger:
            ledger.connection.execute(
                "CREATE TRIGGER refuse BEFORE UPDATE ON imports BEGIN SELECT RAISE(ABORT, 'no counts'); END")
            with pytest.raises(LedgerError) as raised:
                api.import_file(ledger, path)
            messages.append(str(raised.value).replace(f"{stream}.db", "L"))
            assert ledger.event_count() == 0 and ledger.imports() == []
    assert messages[0] == messages[1] and "no counts" in messages[0]


KILLED = """
import os, signal, sys
from pathlib import Path
from taxmargin import api, ledger_stream
import taxmargin.importers.generic as G
from taxmargin.ledger import Ledger
api.STREAM_BYTES, G._SLICE = 0, 300
feed = ledger_stream.StreamStore.feed
calls = [0]
def dying(self, events, texts):
    feed(self, events, texts)
    calls[0] += 1
    if calls[0] == 4:
        os.kill(os.getpid(), signal.SIGKILL)
ledger_stream.StreamStore.feed = dying
with Ledger.open(Path(sys.argv[1])) as ledger:
    api.import_file(ledger, Path(sys.argv[2]))
"""


def test_a_killed_import_leaves_the_ledger_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent killed mid-file: the writer sees the pipe close and rolls back."""
    ledger_path = tmp_path / "l.db"
    import_all(ledger_path, [write(tmp_path / "a.csv", [row(1), row(2)])], stream=False, monkeypatch=monkeypatch)
    before = content(ledger_path)
    big = write(tmp_path / "b.csv", [row(m) for m in range(10, 200)])
    done = subprocess.run([sys.executable, "-c", KILLED, str(ledger_path), str(big)], capture_output=True, timeout=120)
    assert done.returncode == -9
    with Ledger.open(ledger_path, timeout=60) as ledger, ledger.transaction():
        pass  # waits for the writer's rollback, if it is still going
    assert content(ledger_path) == before


# ---- loading ----------------------------------------------------------------------------------


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


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "l.db") as opened:
        yield opened


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


def test_big_files_are_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From ``STREAM_BYTES`` a taxmargin CSV goes through the writer (not Ledger.store)."""
    path = write(tmp_path / "a.csv", [row(1)])
    monkeypatch.setattr(api, "STREAM_BYTES", path.stat().st_size)
    monkeypatch.setattr(Ledger, "store", lambda *args, **kwargs: pytest.fail("not streamed"))
    with Ledger.open(tmp_path / "l.db") as ledger:
        done = api.import_file(ledger, path)
    assert done.record is not None and done.record.events_stored == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == done.record.sha256


def test_a_hand_edited_last_row_does_not_stop_an_import(ledger: Ledger, tmp_path: Path) -> None:
    """The store compares the last stored row with what it appends: a value of another type
    there (edited by hand) only clears the flag."""
    store_rows(ledger, tmp_path, "a.csv", [row(m) for m in range(3)])
    ledger.connection.execute("UPDATE events SET time = 5 WHERE event_pk = (SELECT max(event_pk) FROM events)")
    store_rows(ledger, tmp_path, "b.csv", [row(m) for m in range(3, 6)])
    assert flag(ledger) == "0" and ledger.event_count() == 6


def test_no_writer_process_means_a_serial_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no processes left")

    monkeypatch.setattr("taxmargin.ledger_stream.subprocess.Popen", refuse)
    outcome = import_all(tmp_path / "l.db", [write(tmp_path / "a.csv", [row(1), row(2)])], stream=True,
                         monkeypatch=monkeypatch)
    assert outcome[0][1].events_stored == 2
