"""The importer protocol and the CSV helpers every layout shares (design.md §5).

One class per export layout (versions are separate classes). A CSV layout declares its
columns once (:class:`CsvLayout`); header detection is derived from that declaration, so
the two cannot drift apart. Detection reads content (BOM, preamble, header), never file
names. Bad rows are values (:class:`~taxmargin.errors.RowError`); good rows still import.
No network and no pricing inside importers.

Every name a layout needs is importable from here: reading and decoding a file
(:mod:`~taxmargin.importers.files`), the result and its row accounting
(:mod:`~taxmargin.importers.result`), cell readers (:mod:`~taxmargin.importers.cells`) and
balance checkpoints (:mod:`~taxmargin.importers.accounting`) are re-exported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import ClassVar, Protocol, runtime_checkable

from taxmargin.errors import AmbiguousFormat, InputError, RowError, UnknownFormat
from taxmargin.importers.accounting import BalanceCheckpoint, BalanceRow, accounting_gap, balance_checkpoints
from taxmargin.importers.cells import EARLIEST, LATEST, RowContext, amount, fixed_offset, parse_utc
from taxmargin.importers.files import MAX_FILE_BYTES, FileText, decode_bytes, load_file
from taxmargin.importers.result import (
    AUTHORITY_CROSS_CHECK,
    AUTHORITY_DEFAULT,
    AUTHORITY_LEDGER,
    ImportResult,
    NonTaxableRow,
    StoredTexts,
)
from taxmargin.models import SourceRef

__all__ = [
    "FileText",
    "ImportResult",
    "StoredTexts",
    "NonTaxableRow",
    "Layout",
    "CsvLayout",
    "RowContext",
    "decode_bytes",
    "load_file",
    "detect_layout",
    "parse_utc",
    "fixed_offset",
    "amount",
    "EARLIEST",
    "LATEST",
    "MAX_FILE_BYTES",
    "BalanceCheckpoint",
    "BalanceRow",
    "accounting_gap",
    "balance_checkpoints",
    "check_resync",
    "redact_ids",
    "AUTHORITY_CROSS_CHECK",
    "AUTHORITY_DEFAULT",
    "AUTHORITY_LEDGER",
]

#: Longest single CSV field accepted; a longer one is a row error, not a crash.
MAX_FIELD_CHARS = 1_000_000
#: Most columns a header may have before the file is refused as malformed.
MAX_COLUMNS = 1000

csv.field_size_limit(MAX_FIELD_CHARS)

#: Set by the command line around ``Layout.parse`` of a large file (a progress bar, issue 5):
#: called with (characters read so far, characters in the file). Layouts report through
#: :func:`report_parse_progress`; nothing happens when no one listens.
PARSE_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar("taxmargin_parse_progress", default=None)


def report_parse_progress(done: int, total: int) -> None:
    """Tell the listener of :data:`PARSE_PROGRESS`, if any, how far the parse has come."""
    callback = PARSE_PROGRESS.get()
    if callback is not None:
        callback(done, total)


@runtime_checkable
class Layout(Protocol):
    """One export layout of one exchange."""

    @property
    def name(self) -> str:
        """Stable identifier, e.g. ``binance-statement-v2``."""
        ...

    @property
    def description(self) -> str:
        """One line for ``import`` output and error messages."""
        ...

    def detect(self, file: FileText) -> bool:
        """True when the file's content is this layout."""
        ...

    def header_cells(self, file: FileText) -> Sequence[str]:
        """Declared header cells (for 'closest known layout' messages)."""
        ...

    def parse(self, file: FileText) -> ImportResult:
        """Turn the file into events; bad rows become ``RowError`` values."""
        ...


def _split_header(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    return [c.strip().lstrip("\ufeff").strip('"').strip() for c in cells]


class CsvLayout:
    """Base for CSV layouts: declare ``columns`` (all must be in the header, in any order);
    detection and row reading derive from that declaration.

    Subclasses set ``name``, ``description``, ``columns`` and implement :meth:`parse_rows`
    (or override :meth:`parse`). ``extra_columns`` may appear but are not required;
    ``strict_columns`` = True rejects a header with columns outside both lists.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    columns: ClassVar[tuple[str, ...]] = ()
    extra_columns: ClassVar[tuple[str, ...]] = ()
    strict_columns: ClassVar[bool] = False
    delimiter: ClassVar[str] = ","
    #: how many leading lines may be preamble before the header
    header_search_lines: ClassVar[int] = 12

    # ---- detection -------------------------------------------------------------
    def header_cells(self, file: FileText) -> Sequence[str]:
        return self.columns

    def find_header(self, file: FileText) -> int | None:
        """0-based index of the header line, or None when this layout does not match."""
        wanted = set(self.columns)
        allowed = wanted | set(self.extra_columns)
        for index, line in enumerate(file.head_lines(self.header_search_lines)):
            cells = _split_header(line, self.delimiter)
            present = {c for c in cells if c}
            if not wanted <= present:
                continue
            if self.strict_columns and not present <= allowed:
                continue
            if self.accepts_header(cells):
                return index
        return None

    def accepts_header(self, cells: list[str]) -> bool:
        """Hook for layouts that must also check something beyond the column set."""
        return True

    def detect(self, file: FileText) -> bool:
        return self.find_header(file) is not None

    # ---- reading ---------------------------------------------------------------
    def rows(self, file: FileText) -> Iterator[RowContext | RowError]:
        """Yield every data row after the header with its physical line number.

        Blank lines are skipped (not rows). A row with more cells than the header is a
        ``RowError``; a row with fewer gets the missing cells as empty strings (real
        exports drop trailing empty cells). A CSV-level error becomes a RowError too.
        """
        header_index = self.find_header(file)
        if header_index is None:
            raise UnknownFormat(f"{file.name}: header of {self.name} not found")
        stream = io.StringIO(file.text, newline="")
        for _ in range(header_index):
            stream.readline()
        reader = csv.reader(stream, delimiter=self.delimiter)
        line_before = header_index
        try:
            header_row = next(reader)
        except (StopIteration, csv.Error):
            return
        header = [c.strip().lstrip("\ufeff").strip() for c in header_row]
        line_before = header_index + reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                source = SourceRef(file.name, line_before + 1)
                check_resync(exc, source, header_index + reader.line_num - line_before)
                line_before = header_index + reader.line_num
                yield RowError(source, "(row)", "", f"malformed CSV: {exc}")
                continue
            source = SourceRef(file.name, line_before + 1)
            line_before = header_index + reader.line_num
            if line_before % 20000 == 0:
                report_parse_progress(stream.tell(), len(file.text))
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                extra = [c for c in cells[len(header) :] if c.strip()]
                if extra:
                    yield RowError(source, "(row)", "", f"has {len(cells)} cells but the header has {len(header)}")
                    continue
            values = dict(zip(header, cells + [""] * (len(header) - len(cells))))
            yield RowContext(source, values)

    def parse(self, file: FileText) -> ImportResult:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.parse")


def _closeness(seen: Sequence[str], declared: Sequence[str]) -> float:
    a = {c.lower() for c in seen if c}
    b = {c.lower() for c in declared if c}
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def detect_layout(file: FileText, layouts: Sequence[Layout]) -> Layout:
    """The one layout whose detection accepts ``file``.

    No match -> :class:`UnknownFormat` with the headers seen and the closest known layout;
    two matches -> :class:`AmbiguousFormat` naming both.
    """
    matches = [layout for layout in layouts if layout.detect(file)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(m.name for m in matches)
        raise AmbiguousFormat(f"{file.name}: content matches more than one format: {names}")
    head = file.head_lines(12)
    best: tuple[float, str, list[str]] = (0.0, "", [])
    for line in head:
        for delim in (",", ";", "\t"):
            cells = _split_header(line, delim)
            if len(cells) < 2:
                continue
            for layout in layouts:
                score = _closeness(cells, layout.header_cells(file))
                if score > best[0]:
                    best = (score, layout.name, cells)
    seen_line = next((line for line in head if line.strip()), "")
    seen = best[2] if best[2] else _split_header(seen_line, ",")
    shown = ", ".join(repr(redact_ids(c[:40])) for c in seen[:20]) + (" ..." if len(seen) > 20 else "")
    shown = shown or "(no readable header row)"
    closest = f"; closest known layout: {best[1]} ({best[0]:.0%} of columns in common)" if best[1] else ""
    raise UnknownFormat(f"{file.name}: unknown format; header seen: {shown}{closest}")


def check_resync(exc: csv.Error, source: SourceRef, lines: int) -> None:
    """After a CSV error on a record that spanned ``lines`` physical lines: a quoted field
    over :data:`MAX_FIELD_CHARS` that runs over several lines leaves the reader inside the
    field, so every later "row" would be a piece of it (a 50 MB field of short lines would
    become millions of junk rows). That stops the file (:class:`InputError`, nothing
    stored); a too-long field on one line is just a rejected row."""
    if lines > 1 and "field larger than field limit" in str(exc):
        raise InputError(
            f"{source}: a quoted field is longer than {MAX_FIELD_CHARS:,} characters and runs over "
            f"{lines:,} lines: the rest of the file cannot be read as CSV (nothing was imported)"
        )


#: Tokens that look like account ids, keys or hashes: 6+ word characters with a digit.
_ID_TOKEN = re.compile(r"(?<![\w-])(?=[\w-]*[0-9])[\w-]{6,}")


def redact_ids(text: str) -> str:
    """``text`` with id-like tokens (``UID: 70011122`` -> ``UID: …``) replaced: messages
    show the header of an unknown file, which may be an exchange's account preamble
    (issue 7: "logs print no more of a row than needed")."""
    return _ID_TOKEN.sub("…", text)
