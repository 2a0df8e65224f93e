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
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from taxmargin.importers.base import (
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    NonTaxableRow,
    _split_header,
    check_resync,
)

from taxmargin.codec import GENERIC_COLUMNS, REQUIRED_COLUMNS, content_key
from taxmargin.codec_fast import fast_row, paused_gc, positions
from taxmargin.codec_rules import validate_cells
from taxmargin.errors import InputError, RowError
from taxmargin.models import EventBase, SourceRef

__all__ = ["LAYOUTS", "GenericCsv"]


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
        self.check_header(file)
        header, rows = _open_rows(file, self._header_index(file))
        state = _ParseState(header)
        rows_read = 0
        with paused_gc():
            for item in rows:
                rows_read += 1
                if isinstance(item, RowError):
                    state.errors.append(item)
                else:
                    state.add(*item)
        return ImportResult(
            layout=self.name,
            events=tuple(state.events),
            errors=tuple(state.errors),
            rows_read=rows_read,
            rows_in_events=len(state.events),
            non_taxable=tuple(state.skipped),
            rows_per_event=(1,) * len(state.events),
        )


Row = tuple[SourceRef, list[str]]


def _open_rows(file: FileText, header_index: int) -> tuple[list[str], Iterator[Row | RowError]]:
    """The header, and the data rows after it (see :func:`_data_rows`)."""
    stream = io.StringIO(file.text, newline="")
    for _ in range(header_index):
        stream.readline()
    reader = csv.reader(stream)
    try:
        header = [c.strip().lstrip("\ufeff").strip() for c in next(reader)]
    except (StopIteration, csv.Error):
        return [], iter(())
    return header, _data_rows(reader, header_index, len(header), file.name)


def _data_rows(reader: Any, header_index: int, width: int, name: str) -> Iterator[Row | RowError]:
    """Data rows with their physical line (as ``CsvLayout.rows``, leaner): each row has
    ``width`` cells (short rows padded with empty cells) plus one extra ``""`` for
    :func:`taxmargin.codec_fast.fast_row`. Blank rows are skipped; a row with more non-empty
    cells than the header, or a CSV-level error, is a RowError.
    """
    line_before = header_index + reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            source = SourceRef(name, line_before + 1)
            check_resync(exc, source, header_index + reader.line_num - line_before)
            yield RowError(source, "(row)", "", f"malformed CSV: {exc}")
            line_before = header_index + reader.line_num
            continue
        source = SourceRef(name, line_before + 1)
        line_before = header_index + reader.line_num
        if not cells or (not cells[0].strip() and not "".join(cells).strip()):
            continue
        if len(cells) != width:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                yield RowError(source, "(row)", "", f"has {len(cells)} cells but the header has {width}")
                continue
            cells = (cells + [""] * width)[:width]
        cells.append("")
        yield source, cells


class _ParseState:
    """Accumulates one file's events, errors and skipped rows."""

    __slots__ = ("at", "by_id", "errors", "events", "header", "seq_by_source", "skipped", "source_at")

    def __init__(self, header: list[str]) -> None:
        self.header = header
        self.at = positions(header)
        self.source_at = self.at[GENERIC_COLUMNS.index("source")]
        self.events: list[EventBase] = []
        self.errors: list[RowError] = []
        self.skipped: list[NonTaxableRow] = []
        #: (account, id) -> the first event with it and the physical line it was read from
        self.by_id: dict[tuple[str, str], tuple[EventBase, int]] = {}
        self.seq_by_source: dict[str, int] = {}

    def _seq(self, source: str) -> int:
        """Several exported rows sharing one ``source`` keep their order as ``seq``."""
        if not source:
            return 0
        seq = self.seq_by_source.get(source, 0)
        self.seq_by_source[source] = seq + 1
        return seq

    def add(self, source: SourceRef, row: list[str]) -> None:
        """One row: the fast path for plainly valid rows, else the full validator."""
        seq = self._seq(row[self.source_at])
        event = fast_row(row, self.at, source, seq) or validate_cells(
            dict(zip(self.header, row)), source, self.errors, seq=seq
        )
        if event is None:
            return
        if event.event_id:
            key = (event.account, event.event_id)
            first = self.by_id.get(key)
            if first is not None:
                self._repeated_id(source, event, *first)
                return
            self.by_id[key] = (event, source.line)
        self.events.append(event)

    def _repeated_id(self, source: SourceRef, event: EventBase, first: EventBase, line: int) -> None:
        if content_key(event) == content_key(first):
            self.skipped.append(NonTaxableRow(source, f"repeats line {line} (same id and content)"))
        else:
            self.errors.append(
                RowError(source, "id", event.event_id,
                         f"id already used on line {line} with different content")
            )


LAYOUTS: tuple[Layout, ...] = (GenericCsv(),)
