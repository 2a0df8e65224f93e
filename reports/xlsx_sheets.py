"""Workbook building blocks: a streaming sheet that splits at Excel's row limit and takes
rows either as openpyxl cells or, for long tables, as kinds and values it serializes
itself (``SheetStream.extend``, issue 6); and the small sheets (Summary, Interest, Income,
Open positions, Diagnostics, Options). Cells, and why input text is always text:
``xlsx_cells``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar

from openpyxl.utils import get_column_letter

from taxmargin.money import fmt_quantity
from taxmargin.reports.forms import TaxForms
from taxmargin.reports.xlsx_cells import (
    MONEY,
    MONEY_FORMAT,
    MONEY_IF,
    PLAIN,
    TEXT,
    UTC_TIME,
    Cell,
    amount,
    cell,
    day,
    formula,
    text,
    utc,
)
from taxmargin.reports.xlsx_fast import add_sheet
from taxmargin.reports.xlsx_xml import FastCells, RowEncoder

T = TypeVar("T")

__all__ = [
    "MAX_DATA_ROWS",
    "MONEY_FORMAT",
    "Cell",
    "SheetStream",
    "amount",
    "day",
    "formula",
    "text",
    "utc",
    "write_small_sheets",
    "write_summary",
]

#: Excel's 1,048,576 rows less the header row.
MAX_DATA_ROWS = 1_048_575
#: rows serialized and handed to the sheet at a time
_CHUNK = 2_000


@dataclass(slots=True)
class Segment:
    """One worksheet of a table: its title and how many data rows it holds so far."""

    title: str
    rows: int = 0


class SheetStream:
    """One logical table written row by row over as many sheets as it needs ("Lots",
    "Lots (2)", ...), each with the header row, frozen header and an auto-filter over its
    data. Call ``sheet()`` for the worksheet the next row goes to, then ``add(row)``; or
    ``extend(items, values, kinds)`` for many rows. With ``fast`` (lxml present), sheets
    are ``xlsx_fast.FastSheet``s and ``extend`` serializes its rows itself."""

    def __init__(self, wb: Any, title: str, headers: Sequence[str],
                 widths: Sequence[float] = (), max_rows: int = MAX_DATA_ROWS,
                 fast: FastCells | None = None) -> None:
        self.wb, self.title, self.headers = wb, title, tuple(headers)
        self.widths, self.max_rows, self.fast = tuple(widths), max_rows, fast
        self.segments: list[Segment] = []
        self._ws: Any = None

    def _open(self) -> Any:
        self._filter()
        n = len(self.segments) + 1
        title = self.title if n == 1 else f"{self.title} ({n})"
        ws = self.wb.create_sheet(title) if self.fast is None else add_sheet(self.wb, title)
        ws.freeze_panes = "A2"  # before the first row: write-only sheets write views first
        for i, width in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.append([text(ws, h, bold=True) for h in self.headers])
        self.segments.append(Segment(ws.title))
        self._ws = ws
        return ws

    def sheet(self) -> Any:
        """The worksheet the next row goes to (a new one when the current one is full)."""
        if self._ws is None or self.segments[-1].rows >= self.max_rows:
            return self._open()
        return self._ws

    def add(self, row: Sequence[Cell]) -> int:
        """Append a data row; returns its 1-based row number in its sheet."""
        self.sheet().append(list(row))
        self.segments[-1].rows += 1
        return self.segments[-1].rows + 1

    def extend(self, items: Iterable[T], values: Callable[[T], Sequence[Any]],
               kinds: Sequence[str]) -> None:
        """Append a row per item: ``values(item)`` in columns of ``kinds``
        (``xlsx_cells``), as the cells ``add`` would write."""
        if self.fast is None:
            for item in items:
                ws = self.sheet()
                self.add([cell(ws, kind, value) for kind, value in zip(kinds, values(item),
                                                                        strict=True)])
            return
        encode = RowEncoder(self.fast, kinds)
        rest = iter(items)
        while True:
            full = self._ws is None or self.segments[-1].rows >= self.max_rows
            room = self.max_rows - (0 if full else self.segments[-1].rows)
            chunk = list(islice(rest, min(room, _CHUNK)))
            if not chunk:
                return
            ws = self.sheet()
            segment = self.segments[-1]
            ws.append_xml(encode.rows(chunk, values, segment.rows + 2), len(chunk))
            segment.rows += len(chunk)

    def _filter(self) -> None:
        if self._ws is not None:
            last = get_column_letter(len(self.headers))
            self._ws.auto_filter.ref = f"A1:{last}{self.segments[-1].rows + 1}"

    def ranges(self, column: str, here: str) -> list[str]:
        """``column``'s data cells on every sheet, as references valid on sheet ``here``."""
        refs = []
        for seg in self.segments:
            if seg.rows:
                area = f"{column}2:{column}{seg.rows + 1}"
                refs.append(area if seg.title == here else f"'{seg.title}'!{area}")
        return refs

    def close(self, totals: Sequence[int] = (), label: str = "Totals",
              where: tuple[int, str] | None = None) -> tuple[str, int] | None:
        """Set the auto-filter (over the data only, so sorting never moves the totals) and,
        when there are rows, append a totals row: ``=SUM(...)`` over every sheet of the
        table for the 1-based money columns ``totals``, or ``SUMIF`` over the rows whose
        column ``where[0]`` equals ``where[1]``. Returns (sheet title, row) of the totals."""
        self.sheet()
        self._filter()
        if not totals or not any(seg.rows for seg in self.segments):
            return None
        ws = self._open() if self.segments[-1].rows >= self.max_rows else self._ws
        here = self.segments[-1].title
        cells: list[Cell] = [text(ws, label, bold=True)] + [None] * (len(self.headers) - 1)
        for col in totals:
            refs = self.ranges(get_column_letter(col), here)
            if where is None:
                expression = f"=SUM({','.join(refs)})"
            else:
                keys = self.ranges(get_column_letter(where[0]), here)
                expression = "=" + "+".join(f'SUMIF({k},"{where[1]}",{r})'
                                            for k, r in zip(keys, refs, strict=True))
            cells[col - 1] = formula(ws, expression)
        ws.append(cells)
        return here, self.segments[-1].rows + 2


def _table(wb: Any, title: str, headers: Sequence[str], widths: Sequence[float],
           items: Iterable[T], values: Callable[[T], Sequence[Any]], kinds: Sequence[str],
           fast: FastCells | None) -> SheetStream:
    stream = SheetStream(wb, title, headers, widths, fast=fast)
    stream.extend(items, values, kinds)
    return stream


def write_summary(wb: Any, forms: TaxForms) -> None:
    sd, f4952, cf = forms.schedule_d, forms.form_4952, forms.carryforward
    facts: list[tuple[str, object]] = [
        ("Tax year", forms.tax_year), ("Taxpayer", forms.taxpayer_name),
        ("Identifying number", forms.taxpayer_id), ("Filing status", forms.filing_status),
        ("Cost-basis method", forms.method), ("Time zone for tax dates", forms.timezone),
        ("Rounded to whole dollars", forms.round_whole_dollars),
        ("Generated (UTC)", forms.generated),
        ("Net short-term gain or (loss) (Schedule D line 7)", sd.line_7),
        ("Net long-term gain or (loss) (Schedule D line 15)", sd.line_15),
        ("Schedule D line 16", sd.line_16), ("Schedule D line 21", sd.line_21),
        ("Form 4952 line 8 (deduction)", f4952.line_8),
        ("Form 4952 line 7 (carried forward)", f4952.line_7),
        ("Carryforward: short-term capital loss", cf.short_term_loss),
        ("Carryforward: long-term capital loss", cf.long_term_loss),
        ("Carryforward: investment interest", cf.investment_interest),
        ("Ordinary income (income, funding received)", forms.income_ordinary),
        ("Funding paid (not deductible)", forms.funding_paid_nondeductible),
        ("Form 8949 rows", len(forms.form_8949.rows)),
        ("Exception 2 boxes", ", ".join(forms.form_8949.exception2_boxes)),
    ]
    stream = SheetStream(wb, "Summary", ("Item", "Value"), (52, 30))
    for label, value in facts:
        ws = stream.sheet()
        stream.add([text(ws, label), _value(ws, value)])
    stream.close()


def _value(ws: Any, value: object) -> Cell:
    if isinstance(value, Decimal):
        return amount(ws, value)
    if isinstance(value, datetime):
        return utc(ws, value)
    if isinstance(value, bool | int):
        return value
    return text(ws, "" if value is None else str(value))


def write_small_sheets(wb: Any, forms: TaxForms, fast: FastCells | None = None) -> None:
    """Interest, Income, Open positions, Diagnostics and Options, in that order."""
    _table(wb, "Interest", ("Time (UTC)", "Account", "Asset", "Quantity", "Kind",
                            "Investment interest USD (Form 4952 line 1)",
                            "Funding paid USD (not deductible)", "Tracing flag", "Source"),
           (20, 14, 10, 18, 14, 20, 20, 12, 28), forms.interest_lines,
           lambda i: (i.time, i.account, i.asset, fmt_quantity(i.quantity), i.kind,
                      i.usd if i.kind == "interest" else None,
                      None if i.kind == "interest" else i.usd, i.flagged, i.source),
           (UTC_TIME, TEXT, TEXT, TEXT, TEXT, MONEY_IF, MONEY_IF, PLAIN, TEXT), fast).close([6, 7])
    _table(wb, "Income", ("Time (UTC)", "Account", "Asset", "Quantity", "USD", "Kind",
                          "Source"), (20, 14, 10, 18, 14, 10, 28), forms.income_lines,
           lambda i: (i.time, i.account, i.asset, fmt_quantity(i.quantity), i.usd, i.kind,
                      i.source),
           (UTC_TIME, TEXT, TEXT, TEXT, MONEY, TEXT, TEXT), fast).close([5])
    _table(wb, "Open positions", ("Kind", "Account", "Asset", "Quantity",
                                  "USD (short: proceeds; lot: basis)", "Since (UTC)",
                                  "Source"), (10, 14, 10, 18, 18, 20, 28),
           forms.open_positions,
           lambda p: (p.kind, p.account, p.asset, fmt_quantity(p.quantity), p.usd, p.since,
                      p.source),
           (TEXT, TEXT, TEXT, TEXT, MONEY, UTC_TIME, TEXT), fast).close()
    _table(wb, "Diagnostics", ("Severity", "Code", "Message", "Source"), (10, 20, 80, 28),
           forms.diagnostics,
           lambda d: (str(d.severity), d.code, d.message,
                      "" if d.source is None else str(d.source)), (TEXT,) * 4, fast).close()
    _table(wb, "Options", ("Option", "Value"), (30, 40), forms.options_used,
           lambda o: (o[0], o[1]), (TEXT, TEXT), fast).close()
