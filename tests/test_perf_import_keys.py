"""Issue 6, import: the streamed writer prepares each chunk column by column.

``ledger_stream._batch`` computes, from what the parent feeds it (stored texts, sources,
seqs, the indexes of events with an id), the de-duplication keys, fingerprints, stored
``time`` and ``cells`` that ``ledger_store.prepare`` computes from the events themselves,
and keeps them in a ``ledger_store.Batch`` whose events are built only when read. These
tests fail if the two ever differ — over odd rows (bad cells, repeated ids, identical
rows, ``source`` cells with seqs, quoted cells, other column orders) split into chunks of
any size — or if a ``Batch``'s insert values, source paths and booking-order check differ
from those of the prepared items.
"""

from __future__ import annotations

import csv
import io
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import GENERIC_HEADER, row
from taxmargin.importers.base import load_file
from taxmargin.importers.generic import GenericCsv
from test_codec_fast import CELL, near_valid_rows
from test_perf_import_lazy import ODD_ROWS

from taxmargin.codec import GENERIC_COLUMNS
from taxmargin.ledger_record import precomputed_texts, rows_per_event
from taxmargin.ledger_store import Batch, Order, Prepared, insert_rows, prepare, source_paths
from taxmargin.ledger_stream import StreamStore, _batch
from taxmargin.models import EventBase


class _Pipe:
    """Collects what ``StreamStore.feed`` sends the writer."""

    def __init__(self) -> None:
        self.chunks: list[Any] = []
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def flush(self) -> None:
        self.buffer.seek(0)
        self.chunks.append(pickle.load(self.buffer))
        self.buffer = io.BytesIO()


def fed_chunks(path: Path, chunk_rows: int) -> tuple[list[Any], list[Prepared]]:
    """The chunk messages the parent sends for ``path`` (fed ``chunk_rows`` events at a time),
    and what ``Ledger.store`` prepares of the serial parse."""
    store = StreamStore.__new__(StreamStore)
    pipe = _Pipe()
    store._pipe, store._fed, store._last, store._authority = cast(Any, pipe), 0, None, 0

    def sink(events: Sequence[Any], texts: Sequence[str | None]) -> None:
        for start in range(0, len(events), chunk_rows):
            store.feed(events[start : start + chunk_rows], texts[start : start + chunk_rows])

    file = load_file(path)
    GenericCsv().parse_into(file, sink)
    serial = GenericCsv().parse(file)
    prepared = prepare(serial.events, precomputed_texts(serial), rows_per_event(serial), {})
    return [message[1:] for message in pipe.chunks], prepared


def _identity(item: Prepared) -> tuple[Any, ...]:
    event = item[0]
    return (event.source.path, event.source.line, event.seq, event.event_id,
            event.account if event.event_id else "", *item[1:])


def _lines(rows: list[dict[str, str]]) -> list[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for cells in rows:
        writer.writerow([cells.get(column) or "" for column in GENERIC_COLUMNS])
    return out.getvalue().splitlines()


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(near_valid_rows(), st.fixed_dictionaries(CELL)), max_size=12),
       st.lists(st.sampled_from(ODD_ROWS + [row(1), row(1, event_id="r")]), max_size=12),
       st.integers(1, 7), st.randoms(use_true_random=False))
def test_the_writer_prepares_what_prepare_does(tmp_path_factory: Any, odd: list[dict[str, str]],
                                               plain: list[str], chunk_rows: int, rng: Any) -> None:
    rows = _lines(odd) + plain
    rng.shuffle(rows)
    path = tmp_path_factory.mktemp("keys") / "odd.csv"
    path.write_text("\n".join([GENERIC_HEADER, *rows]) + "\n", encoding="utf-8")
    chunks, expected = fed_chunks(path, chunk_rows)
    seen: dict[bytes, int] = {}
    batches = [_batch(chunk, seen) for chunk in chunks]
    got = [item for batch in batches for item in batch]
    assert list(map(_identity, got)) == list(map(_identity, expected))
    for batch in batches:
        columns = list(zip(batch.keys, batch.prints, batch.times, batch.cells))
        assert columns == [item[1:5] for item in batch]
        assert list(batch.bound()) == [(key, print_, time, cells, e.source.path, e.source.line, e.seq)
                                       for e, key, print_, time, cells, _ in batch]
        assert source_paths(batch) == {item[0].source.path for item in batch}
        for state in [("", ("", 0, 0)), (batch.times[0], ("odd.csv", 10**6, 0)), (batch.times[0], (str(path), 0, 0))]:
            assert _order_after(batch, state) == _order_after(list(batch), state)


def _order_after(chunk: Sequence[Prepared], state: tuple[str, tuple[str, int, int]]) -> tuple[Any, ...]:
    order = Order(cast(Any, None), False)
    order.time, order.last = state
    order.add(chunk)
    last = order.last if isinstance(order.last, tuple) else (
        order.last.source.path, order.last.source.line, order.last.seq)
    return order.ok, order.time, last


def test_a_batch_is_inserted_as_its_items(tmp_path: Path) -> None:
    import sqlite3

    from taxmargin.ledger import Ledger

    rows = [row(m) for m in range(5)] + [row(9, event_id="x"), row(3), "2024-03-01T00:00:00Z,a,b"] + \
        [row(m) + f"src.csv:{m % 2 + 1}" for m in range(4)]
    path = tmp_path / "f.csv"
    path.write_text("\n".join([GENERIC_HEADER, *rows]) + "\n", encoding="utf-8")
    chunks, _ = fed_chunks(path, 3)
    dumps = []
    for columnar in (True, False):
        ledger_path = tmp_path / f"l{columnar}.db"
        Ledger.open(ledger_path).close()
        conn = sqlite3.connect(ledger_path, isolation_level=None)
        conn.execute("INSERT INTO imports (import_id, file_name, sha256, layout, imported_at, rows_read,"
                     " events_stored, duplicates, non_taxable, rejected) VALUES (1, 'f', '', 'g', '', 0, 0, 0, 0, 0)")
        seen = {}
        for chunk in chunks:
            batch = _batch(chunk, seen)
            insert_rows(conn, 1, 0, batch if columnar else list(batch))
        dumps.append(conn.execute("SELECT * FROM events ORDER BY event_pk").fetchall())
        conn.close()
    assert dumps[0] == dumps[1] and len(dumps[0]) == 11  # (the short row is rejected)


def test_an_unread_batch_builds_no_event() -> None:
    built: list[int] = []

    def events() -> list[EventBase]:
        built.append(1)
        return []

    batch = Batch(([1], [b"p"], ["t"], ["c"], "f.csv", [2], None), events)
    assert list(batch.bound()) == [(1, b"p", "t", "c", "f.csv", 2, 0)] and source_paths(batch) == {"f.csv"}
    assert batch.in_order("", ("", 0, 0)) and not batch.in_order("u", ("", 0, 0)) and built == []
