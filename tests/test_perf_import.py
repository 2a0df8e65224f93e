"""Issue 6, import: the fast path gives exactly what the general one gives.

A large taxmargin CSV is stored while it is parsed, by a writer process
(``taxmargin.ledger_stream``): the ledger afterwards (every table), the import record and
the export are those of ``Ledger.store``, for random files (ids repeated with the same or
other content, identical rows, rejected rows, quoted cells) imported into new and
non-empty ledgers; a failed or killed import leaves the ledger as it was.
(The ledger load: test_perf_load.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_support import SETTINGS, T0, row, write
from taxmargin.importers.base import AUTHORITY_CROSS_CHECK, AUTHORITY_LEDGER, load_file
from taxmargin.importers.generic import GenericCsv

from taxmargin import api
from taxmargin.errors import LedgerError
from taxmargin.ledger import Ledger
from taxmargin.ledger_stream import StreamStore

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


def test_big_files_are_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From ``STREAM_BYTES`` a taxmargin CSV goes through the writer (not Ledger.store)."""
    path = write(tmp_path / "a.csv", [row(1)])
    monkeypatch.setattr(api, "STREAM_BYTES", path.stat().st_size)
    monkeypatch.setattr(Ledger, "store", lambda *args, **kwargs: pytest.fail("not streamed"))
    with Ledger.open(tmp_path / "l.db") as ledger:
        done = api.import_file(ledger, path)
    assert done.record is not None and done.record.events_stored == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == done.record.sha256


def test_no_writer_process_means_a_serial_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no processes left")

    monkeypatch.setattr("taxmargin.ledger_stream.subprocess.Popen", refuse)
    outcome = import_all(tmp_path / "l.db", [write(tmp_path / "a.csv", [row(1), row(2)])], stream=True,
                         monkeypatch=monkeypatch)
    assert outcome[0][1].events_stored == 2
