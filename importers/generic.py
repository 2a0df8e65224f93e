"""The taxmargin CSV (interfaces.md §2): one row per event, for exchanges without an
importer, DeFi, manual corrections, tests, and the round trip of ``taxmargin export``.

Detection: a header row with ``time``, ``account`` and ``type``. Every header cell must be
a known column; an unknown one (a typo) stops the file with an
:class:`~taxmargin.errors.InputError` naming it (CLI exit 2), so a misspelt optional column
is never silently ignored. Rows are validated by :func:`taxmargin.codec.parse_event_row`.

Duplicate ids inside one file: the same ``(account, id)`` twice with different content is
a row error on the later row (column ``id``); twice with the same content is one event, the
later row knowingly skipped. Identical rows without an id are all kept: they are real
fills (exchange-formats.md P12).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import ClassVar, cast

from taxmargin.importers.base import (
    MAX_FIELD_CHARS,
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    NonTaxableRow,
    StoredTexts,
    _split_header,
    check_resync,
    report_parse_progress,
)

from taxmargin.codec import GENERIC_COLUMNS, REQUIRED_COLUMNS, content_key
from taxmargin.codec_build import source_ref
from taxmargin.codec_fast import fast_cells, fast_text, positions
from taxmargin.gcpause import gc_paused
from taxmargin.codec_rules import validate_cells
from taxmargin.errors import InputError, RowError
from taxmargin.lazy_events import LazyEvents
from taxmargin.models import EventBase, SourceRef

__all__ = ["LAYOUTS", "GenericCsv", "Stub"]


class GenericCsv(CsvLayout):
    """The taxmargin CSV layout (``taxmargin-csv``)."""

    name: ClassVar[str] = "taxmargin-csv"
    description: ClassVar[str] = "taxmargin CSV (generic one-row-per-event format, interfaces.md §2)"
    columns: ClassVar[tuple[str, ...]] = REQUIRED_COLUMNS
    extra_columns: ClassVar[tuple[str, ...]] = tuple(c for c in GENERIC_COLUMNS if c not in REQUIRED_COLUMNS)
    # Unknown columns must be reported, not make the file unrecognisable: the strict check
    # is done by ``parse`` (an InputError naming the column), not by detection.
    strict_columns: ClassVar[bool] = False

    def header_cells(self, file: FileText) -> Sequence[str]:
        return GENERIC_COLUMNS

    def _header_index(self, file: FileText) -> int:
        index = self.find_header(file)
        if index is None:
            raise InputError(f"{file.name}: not a taxmargin CSV (needs columns time, account, type)")
        return index

    def check_header(self, file: FileText) -> None:
        """Raise :class:`InputError` for unknown or repeated columns (interfaces.md §2)."""
        index = self._header_index(file)
        header = _split_header(file.head_lines(index + 1)[index], self.delimiter)
        known = set(GENERIC_COLUMNS)
        seen: set[str] = set()
        for cell in header:
            if not cell:
                continue
            if cell not in known:
                raise InputError(
                    f"{file.name}: unknown column '{cell[:40]}' (known: {', '.join(GENERIC_COLUMNS)})"
                )
            if cell in seen:
                raise InputError(f"{file.name}: column '{cell}' appears more than once in the header")
            seen.add(cell)

    def parse(self, file: FileText) -> ImportResult:
        """Every data row becomes one event, a row error, or (repeated id) a skipped row."""
        return self.parse_into(file, None)

    def parse_into(self, file: FileText, sink: Sink | None) -> ImportResult:
        """:meth:`parse`, handing the events (with their stored texts, or None) to ``sink``
        in order, a chunk at a time, while the file is read (``ledger_stream.StreamStore``
        stores them meanwhile); every event of the result has been handed over on return.

        With a sink, plainly valid rows without an ``id`` or ``source`` are handed over as
        a :class:`Stub` (source, seq 0, no id) with their stored text, and the result's
        events are a :class:`~taxmargin.lazy_events.LazyEvents`: built by :meth:`parse`
        when first used (the import needs only their texts and counts; building them is
        two fifths of the parse)."""
        self.check_header(file)
        state = _ParseState(file.name, sink, lazy=sink is not None)
        with gc_paused(keep=True):  # the events outlive the parse (taxmargin.gcpause)
            rows_read = state.read(file.text, self._header_index(file))
            state.flush()
        if state.stubbed:
            lazy = LazyEvents.later(len(state.events), lambda: self.parse(file).events, state.events[-1])
            return self.result(lazy, state.errors, rows_read, state.skipped, None)
        events = tuple(cast(list[EventBase], state.events))
        return self.result(events, state.errors, rows_read, state.skipped, StoredTexts(events, tuple(state.texts)))

    def result(self, events: tuple[EventBase, ...], errors: Sequence[RowError], rows_read: int,
               skipped: Sequence[NonTaxableRow], texts: StoredTexts | None) -> ImportResult:
        """The result of a parse."""
        return ImportResult(
            layout=self.name,
            events=events,
            errors=tuple(errors),
            rows_read=rows_read,
            rows_in_events=len(events),
            non_taxable=tuple(skipped),
            rows_per_event=(1,) * len(events),
            stored_texts=texts,
        )


#: Characters of text split into lines at a time by ``_ParseState._read_lines``.
_SLICE = 1 << 20
#: Events handed to a sink at a time by the csv-module path (``_ParseState._read_csv``).
_SINK_EVENTS = 20_000


class Stub:
    """What a sink reads of a plainly valid row's event without building it (a streamed
    parse, :meth:`GenericCsv.parse_into`): its source (``path`` and ``line``: the stub is
    its own ``source``, one object per row instead of two — a million at 1M rows, in the
    parse that sets the pace, issue 6); no ``seq``, no ``id``."""

    __slots__ = ("line", "path")
    seq: ClassVar[int] = 0
    event_id: ClassVar[str] = ""

    def __init__(self, path: str, line: int) -> None:
        self.path, self.line = path, line

    @property
    def source(self) -> Stub:
        return self

    def __str__(self) -> str:  # as SourceRef prints
        return f"{self.path}:{self.line}"


#: ``sink(events, texts)``: successive events (or stubs) of a parse with their stored texts
#: (None: format the event).
Sink = Callable[[Sequence[EventBase | Stub], Sequence[str | None]], None]


def _plain_lines(text: str) -> bool:
    """True when reading ``text`` line by line with ``split(",")`` gives what the csv module
    gives: no quote character, no CR except in CRLF line ends (NUL bytes were removed by
    ``load_file``; a line longer than the csv field limit is read by the csv module)."""
    return '"' not in text and text.count("\r") == text.count("\r\n")


class _ParseState:
    """Accumulates one file's events (with their stored texts), errors and skipped rows."""

    __slots__ = ("by_id", "errors", "events", "header", "lazy", "name", "order", "sent", "seq_by_source", "sink",
                 "skipped", "source_at", "stubbed", "texts")

    def __init__(self, name: str, sink: Sink | None = None, *, lazy: bool = False) -> None:
        self.name = name
        self.sink = sink
        #: plainly valid rows without id or source become stubs (``parse_into``)
        self.lazy = lazy
        self.stubbed = False  # some events are stubs
        self.sent = 0  # events handed to the sink so far
        self.header: list[str] = []
        #: a row's cells in GENERIC_COLUMNS order (None: the header is in that order)
        self.order: Callable[[list[str]], Sequence[str]] | None = None
        self.source_at = -1
        self.events: list[EventBase | Stub] = []
        #: parallel to ``events``: the stored text from the fast path, None from the validator
        self.texts: list[str | None] = []
        self.errors: list[RowError] = []
        self.skipped: list[NonTaxableRow] = []
        #: (account, id) -> the first event with it and the physical line it was read from
        self.by_id: dict[tuple[str, str], tuple[EventBase, int]] = {}
        self.seq_by_source: dict[str, int] = {}

    def flush(self) -> None:
        """Hand the events not yet handed over to the sink (if any)."""
        if self.sink is not None and self.sent < len(self.events):
            self.sink(self.events[self.sent :], self.texts[self.sent :])
            self.sent = len(self.events)

    def read(self, text: str, header_index: int) -> int:
        """Read the rows after the header (physical lines as ``CsvLayout.rows``: blank rows
        skipped; short rows padded with empty cells; a row with more non-empty cells than the
        header, or a CSV-level error, is a RowError); returns the rows read."""
        if _plain_lines(text):
            return self._read_lines(text, header_index)
        return self._read_csv(text, header_index)

    def _start(self, header: list[str]) -> None:
        self.header = [c.strip().lstrip("\ufeff").strip() for c in header]
        at = positions(self.header)
        self.order = None if tuple(self.header) == GENERIC_COLUMNS else itemgetter(*at)
        self.source_at = at[GENERIC_COLUMNS.index("source")]

    def _read_lines(self, text: str, header_index: int) -> int:
        """A file without quotes or lone CRs: each line is one row and ``line.split(",")`` is
        exactly what the csv module reads (:func:`_plain_lines`), at a quarter of its cost."""
        start, number = self.begin_lines(text, header_index)
        return self.read_range(text, start, len(text), number)

    def begin_lines(self, text: str, header_index: int) -> tuple[int, int]:
        """Read the header of a plain file (:func:`_plain_lines`); returns where the rows
        begin: the offset in ``text`` and the number of the line before."""
        start = 0
        for _ in range(header_index + 1):
            end = text.find("\n", start)
            header, start = text[start : len(text) if end == -1 else end].rstrip("\r"), len(text) if end == -1 else end + 1
        self._start(header.split(","))
        return start, header_index + 1

    def read_range(self, text: str, start: int, stop: int, number: int) -> int:
        """The rows of a plain file from offset ``start`` (a line's beginning, after line
        ``number``) to ``stop`` (a line's beginning or the end of the text); returns the rows
        read. The text is split a few MB at a time (bounded memory); plain rows of a header
        in :data:`GENERIC_COLUMNS` order go straight to the fast path."""
        rows_read, take, keep, fast, name, lazy = 0, self._take, self._keep, fast_cells, self.name, self.lazy
        simple = self.order is None  # cells already in GENERIC_COLUMNS order, ``source`` last
        add_event, add_text, stubbed = self.events.append, self.texts.append, False
        while start < stop:
            end = text.find("\n", start + _SLICE, stop)
            end = stop if end == -1 else end + 1
            report_parse_progress(end, stop)
            for line in text[start:end].replace("\r\n", "\n").split("\n")[: None if end == len(text) else -1]:
                number += 1
                cells = line.split(",")
                if simple and len(cells) == 18 and cells[0] and not cells[17] and len(line) <= MAX_FIELD_CHARS:
                    if lazy and not cells[15] and (stored := fast_text(cells)) is not None:
                        rows_read += 1
                        stubbed = True
                        add_event(Stub(name, number))
                        add_text(stored)
                        continue
                    source = source_ref(name, number)
                    found = fast(cells, source, 0)
                    if found is not None:
                        rows_read += 1
                        if found[0].event_id:
                            keep(source, *found)
                        else:
                            add_event(found[0])
                            add_text(found[1])
                        continue
                rows_read += take(number, cells) if len(line) <= MAX_FIELD_CHARS else self._long_line(number, line)
            start = end
            self.stubbed = self.stubbed or stubbed
            self.flush()
        return rows_read

    def _long_line(self, number: int, line: str) -> int:
        """A line that may hold a field over the csv limit: what the csv module makes of it."""
        try:
            return self._take(number, next(csv.reader([line])))
        except csv.Error as exc:
            self.errors.append(RowError(source_ref(self.name, number), "(row)", "", f"malformed CSV: {exc}"))
            return 1

    def _read_csv(self, text: str, header_index: int) -> int:
        """Any file, through the csv module (quoted fields may span lines)."""
        stream = io.StringIO(text, newline="")
        for _ in range(header_index):
            stream.readline()
        reader = csv.reader(stream)
        try:
            self._start(next(reader))
        except (StopIteration, csv.Error):
            return 0
        rows_read, take = 0, self._take
        line_before = header_index + reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return rows_read
            except csv.Error as exc:
                source = SourceRef(self.name, line_before + 1)
                check_resync(exc, source, header_index + reader.line_num - line_before)
                self.errors.append(RowError(source, "(row)", "", f"malformed CSV: {exc}"))
                line_before = header_index + reader.line_num
                rows_read += 1
                continue
            line, line_before = line_before + 1, header_index + reader.line_num
            rows_read += take(line, cells)
            if self.sink is not None and len(self.events) - self.sent >= _SINK_EVENTS:
                self.flush()

    def _take(self, line: int, cells: list[str]) -> int:
        """One row read at physical ``line``: 0 when blank (not a row), else 1."""
        if not cells or (not cells[0].strip() and not "".join(cells).strip()):
            return 0
        width = len(self.header)
        if len(cells) != width:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                self.errors.append(RowError(source_ref(self.name, line), "(row)", "",
                                            f"has {len(cells)} cells but the header has {width}"))
                return 1
            cells = (cells + [""] * width)[:width]
        if self.order is not None:
            cells.append("")  # the cell of every absent column (codec_fast.positions)
        self.add(source_ref(self.name, line), cells)
        return 1

    def _seq(self, source: str) -> int:
        """Several exported rows sharing one ``source`` keep their order as ``seq``."""
        if not source:
            return 0
        seq = self.seq_by_source.get(source, 0)
        self.seq_by_source[source] = seq + 1
        return seq

    def add(self, source: SourceRef, row: list[str]) -> None:
        """One row: the fast path for plainly valid rows, else the full validator."""
        raw_source = row[self.source_at]
        seq = self._seq(raw_source) if raw_source else 0
        cells = row if self.order is None else self.order(row)
        if self.lazy and not raw_source and not cells[15] and (text := fast_text(cells)) is not None:
            self.stubbed = True
            self.events.append(Stub(source.path, source.line))
            self.texts.append(text)
            return
        found = fast_cells(cells, source, seq)
        if found is not None:
            self._keep(source, *found)
            return
        event = validate_cells(dict(zip(self.header, row)), source, self.errors, seq=seq)
        if event is not None:
            self._keep(source, event, None)

    def _keep(self, source: SourceRef, event: EventBase, text: str | None) -> None:
        """A valid row's event (a repeated id is a skipped row or an error instead)."""
        if event.event_id:
            key = (event.account, event.event_id)
            first = self.by_id.get(key)
            if first is not None:
                self._repeated_id(source, event, *first)
                return
            self.by_id[key] = (event, source.line)
        self.events.append(event)
        self.texts.append(text)

    def _repeated_id(self, source: SourceRef, event: EventBase, first: EventBase, line: int) -> None:
        if content_key(event) == content_key(first):
            self.skipped.append(NonTaxableRow(source, f"repeats line {line} (same id and content)"))
        else:
            self.errors.append(
                RowError(source, "id", event.event_id,
                         f"id already used on line {line} with different content")
            )


LAYOUTS: tuple[Layout, ...] = (GenericCsv(),)
