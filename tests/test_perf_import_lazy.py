"""Issue 6, import: a streamed parse hands the writer stubs and texts, not events.

``GenericCsv.parse_into`` with a sink builds no event for a plainly valid row without
``id`` or ``source`` (``codec_fast.fast_text``: the stored text only); its result's events
are a ``LazyEvents``, built by a second parse when first used. These tests check that the
texts are the fast path's, that the writer is fed exactly what the event-building parse
feeds it (same texts, sources, seqs, ids, in order), that the result (events included)
equals the serial one for files with errors, duplicate ids, blank lines, ``source`` cells,
quoted cells over two lines, CRLF ends and other column orders, and that an import
builds no event at all.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import GENERIC_HEADER, row, write
from taxmargin.importers.base import load_file
from taxmargin.importers.generic import GenericCsv, Stub
from test_codec_fast import CELL, near_valid_rows
from test_perf_import import both_ways

from taxmargin import api
from taxmargin.codec import GENERIC_COLUMNS
from taxmargin.codec_fast import fast_cells, fast_text
from taxmargin.lazy_events import LazyEvents
from taxmargin.ledger import Ledger
from taxmargin.models import EventBase, SourceRef

HERE = SourceRef("f.csv", 2)


@settings(max_examples=400, deadline=None)
@given(st.one_of(near_valid_rows(), st.fixed_dictionaries(CELL)))
def test_fast_text_is_the_text_of_fast_cells(cells: dict[str, str]) -> None:
    listed = [cells.get(column) or "" for column in GENERIC_COLUMNS]
    found = fast_cells(listed, HERE, 0)
    expected = None if found is None or listed[17] else found[1]
    assert fast_text(listed) == expected


ODD_ROWS = [
    row(1), row(1), "", row(2, event_id="a"), row(3, event_id="a"), row(2, event_id="a"),
    "2024-03-01T00:00:00Z,kraken,trade,abc,USD,1,BTC,,,,,,,,,,,",  # bad number
    "2024-03-01T00:00:00Z,kraken,trade,1,USD,1,BTC,,,,,,,,,,,,,extra",  # too many cells
    "   ", row(4, quantity="0.0020"), row(5, note="n"),
    row(6) + "k.csv:7", row(7) + "k.csv:7", row(8) + "k.csv:9",  # seq 0, 1, 0
    row(9, account=" spaced"), "2024-03-01T00:00:00Z,kraken,swap,1,USD,1,BTC,,,,,,,,,,,",
]


def files(tmp_path: Path) -> list[Path]:
    """Plain files (the line reader), one with a quoted cell over two lines (the csv
    module), one with CRLF ends, one with the spot columns only (another order)."""
    plain = write(tmp_path / "plain.csv", [row(m) for m in range(20, 40)] + ODD_ROWS)
    quoted = write(tmp_path / "quoted.csv", [*ODD_ROWS[:6], row(10, note='"two\nlines"'), *ODD_ROWS[6:]])
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(plain.read_bytes().replace(b"\n", b"\r\n"))
    spot = tmp_path / "spot.csv"
    spot.write_text("time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,fee_quantity,"
                    "fee_asset,usd_value,fee_usd_value\n"
                    + "".join(",".join(r.split(",")[:11]) + "\n" for r in [row(m) for m in range(9)] + ODD_ROWS),
                    encoding="utf-8")
    return [plain, quoted, crlf, spot]


Fed = list[tuple[str, int, int, str, str | None]]


def fed(file: Path, *, lazy: bool) -> tuple[Any, Fed]:
    """The parse's result and what it feeds: (path, line, seq, id, text) per event."""
    got: Fed = []

    def sink(events: Sequence[EventBase | Stub], texts: Sequence[str | None]) -> None:
        got.extend((e.source.path, e.source.line, e.seq, e.event_id, t) for e, t in zip(events, texts))

    text = load_file(file)
    if lazy:
        return GenericCsv().parse_into(text, sink), got
    result = GenericCsv().parse(text)  # every event built, with the texts it would feed
    assert result.stored_texts is not None
    for event, stored in zip(result.events, result.stored_texts.texts):
        got.append((event.source.path, event.source.line, event.seq, event.event_id, stored))
    return result, got


def test_the_streamed_parse_feeds_and_gives_what_the_full_parse_does(tmp_path: Path) -> None:
    from taxmargin.ledger_cells import stored_cells

    for path in files(tmp_path):
        lazy, lazy_fed = fed(path, lazy=True)
        full, full_fed = fed(path, lazy=False)
        assert isinstance(lazy.events, LazyEvents) and not lazy.events.built
        assert len(lazy.events) == len(full.events) and lazy.rows_read == full.rows_read
        assert (lazy.errors, lazy.non_taxable, lazy.rows_in_events) == (full.errors, full.non_taxable,
                                                                       full.rows_in_events)
        # the same events in the same order; a text None is formatted by the writer
        assert [(p, n, s, i) for p, n, s, i, _ in lazy_fed] == [(p, n, s, i) for p, n, s, i, _ in full_fed]
        for (_, _, _, _, text), event in zip(lazy_fed, full.events):
            assert text is None or text == stored_cells(event, None)[0]
        assert lazy == full and full == lazy and lazy.events.built  # (equality builds the events)
        assert [e.seq for e in full.events if e.source.path == "k.csv"] == [0, 1, 0] or path.name == "spot.csv"


def test_streamed_import_of_odd_files_equals_the_serial_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("taxmargin.importers.generic._SLICE", 200)  # several chunks
    paths = files(tmp_path)
    both_ways(tmp_path, [*paths, paths[0]], monkeypatch)


def test_an_import_builds_no_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads counts and errors only: the events stay unbuilt."""
    path = write(tmp_path / "a.csv", [row(m) for m in range(50)] + ODD_ROWS)
    monkeypatch.setattr(api, "STREAM_BYTES", 0)
    with Ledger.open(tmp_path / "l.db") as ledger:
        done = api.import_file(ledger, path)
        assert done.record is not None and done.gap is None and done.exit_code == 1
        assert isinstance(done.result.events, LazyEvents) and not done.result.events.built
        assert done.record.events_stored == len(done.result.events) == done.result.rows_in_events
        assert not done.result.events.built
        def key(e: EventBase) -> tuple[str, int, int]:
            return e.source.path, e.source.line, e.seq

        assert sorted(map(key, done.result.events)) == sorted(map(key, ledger.events()))


def test_a_file_without_stubs_gives_a_plain_tuple(tmp_path: Path) -> None:
    path = write(tmp_path / "ids.csv", [row(m, event_id=f"t{m}") for m in range(5)])
    result = GenericCsv().parse_into(load_file(path), lambda events, texts: None)
    assert type(result.events) is tuple and result.stored_texts is not None


def lazy_of(events: tuple[EventBase, ...]) -> LazyEvents:
    return LazyEvents.later(len(events), lambda: events, None)


def test_lazy_events_behave_as_their_tuple(tmp_path: Path) -> None:
    events = GenericCsv().parse(load_file(write(tmp_path / "a.csv", [row(m) for m in range(4)]))).events
    lazy = lazy_of(events)
    assert len(lazy) == 4 and bool(lazy) and not lazy.built  # counted, not built
    assert lazy == events and events == lazy and lazy != events[:3] and events[:3] != lazy
    assert lazy.built and hash(lazy) == hash(events) and repr(lazy) == repr(events)
    assert lazy[1] == events[1] and lazy[1:3] == events[1:3] and lazy[-1] is events[-1]
    assert list(lazy) == list(events) and list(reversed(lazy)) == list(reversed(events))
    assert events[2] in lazy and lazy.count(events[2]) == 1 and lazy.index(events[2]) == 2
    assert lazy + events == events + events == events + lazy and 2 * lazy == events * 2 == lazy * 2
    assert tuple(lazy) == events and sorted(lazy, key=id) == sorted(events, key=id)
    assert pickle.loads(pickle.dumps(lazy)) == events and copy.deepcopy(lazy) == events
    assert (*lazy,) == events and [*lazy] == list(events)
    assert LazyEvents(events) == events and LazyEvents(events).built and not LazyEvents()
    assert (lazy < events + events) and (lazy <= events) and (lazy >= events) and not (lazy > events)
    result = GenericCsv().result(lazy, [], 4, [], None)
    assert dataclasses.astuple(result)[1] == tuple(map(dataclasses.astuple, events))
    assert dataclasses.replace(result).events is lazy


def test_lazy_events_refuse_a_wrong_count(tmp_path: Path) -> None:
    events = GenericCsv().parse(load_file(write(tmp_path / "a.csv", [row(m) for m in range(3)]))).events
    with pytest.raises(RuntimeError, match="counted 4 but 3"):
        list(LazyEvents.later(4, lambda: events, None))


def test_generic_header_is_the_columns() -> None:
    assert GENERIC_HEADER.split(",") == list(GENERIC_COLUMNS)
