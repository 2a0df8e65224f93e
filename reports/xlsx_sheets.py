"""Workbook building blocks: safe cells, a streaming sheet that splits at Excel's row
limit, and the small sheets (Summary, Interest, Income, Open positions, Diagnostics,
Options).

Text from input files (descriptions, accounts, assets, sources, notes, diagnostics, the
taxpayer name) can never become a formula (CSV/formula injection, OWASP): every such cell
is written with ``data_type = "s"`` (an inline string: Excel stores and shows it as text,
whatever its first character), and a value starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return is also prefixed with a single quote ``'``, so the text stays inert
even after the sheet is exported to CSV and reopened. The quote is then part of the
visible text; that is the documented price of the second guard. Control characters
Excel refuses are dropped and text is cut at Excel's 32,767-character cell limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from taxmargin.money import fmt_quantity
from taxmargin.reports.forms import TaxForms

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
MONEY_FORMAT = '#,##0.00_);(#,##0.00)'
DATE_FORMAT = "mm/dd/yyyy"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)
_MAX_TEXT = 32_767

Cell = Any  # a WriteOnlyCell, a plain int/bool, or None for an empty cell


def text(ws: Any, value: str, bold: bool = False) -> Any:
    """A cell that holds ``value`` as text and can never run as a formula (module doc)."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(_FORMULA_START):
        value = "'" + value
    cell = WriteOnlyCell(ws, value=value[:_MAX_TEXT])
    cell.data_type = "s"
    if bold:
        cell.font = _BOLD
    return cell


def amount(ws: Any, value: Decimal | None, bold: bool = False) -> Any:
    """A money cell holding the Decimal the form holds (openpyxl writes it with 16
    significant digits: exact for any amount below $100 trillion), currency-formatted."""
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = MONEY_FORMAT
    if bold:
        cell.font = _BOLD
    return cell


def day(ws: Any, value: date | None, missing: str = "") -> Any:
    """A date cell (MM/DD/YYYY), or ``missing`` as text ("VARIOUS")."""
    if value is None:
        return text(ws, missing)
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def utc(ws: Any, value: datetime | None) -> Any:
    """A UTC time (Excel has no time zones: the header says UTC)."""
    if value is None:
        return text(ws, "")
    cell = WriteOnlyCell(ws, value=value.astimezone(UTC).replace(tzinfo=None))
    cell.number_format = TIME_FORMAT
    return cell


def formula(ws: Any, expression: str, money: bool = True) -> Any:
    """A formula cell we wrote ourselves (never built from input text)."""
    cell = WriteOnlyCell(ws, value=expression)
    cell.font = _BOLD
    if money:
        cell.number_format = MONEY_FORMAT
    return cell


@dataclass(slots=True)
class Segment:
    """One worksheet of a table: its title and how many data rows it holds so far."""

    title: str
    rows: int = 0


class SheetStream:
    """One logical table written row by row over as many sheets as it needs ("Lots",
    "Lots (2)", ...), each with the header row, frozen header and an auto-filter over its
    data. Call ``sheet()`` for the worksheet the next row goes to, then ``add(row)``."""

    def __init__(self, wb: Any, title: str, headers: Sequence[str],
                 widths: Sequence[float] = (), max_rows: int = MAX_DATA_ROWS) -> None:
        self.wb, self.title, self.headers = wb, title, tuple(headers)
        self.widths, self.max_rows = tuple(widths), max_rows
        self.segments: list[Segment] = []
        self._ws: Any = None

    def _open(self) -> Any:
        self._filter()
        n = len(self.segments) + 1
        ws = self.wb.create_sheet(self.title if n == 1 else f"{self.title} ({n})")
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
           items: Iterable[T], build: Callable[[Any, T], list[Cell]]) -> SheetStream:
    stream = SheetStream(wb, title, headers, widths)
    for item in items:
        stream.add(build(stream.sheet(), item))
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


def write_small_sheets(wb: Any, forms: TaxForms) -> None:
    """Interest, Income, Open positions, Diagnostics and Options, in that order."""
    _table(wb, "Interest", ("Time (UTC)", "Account", "Asset", "Quantity", "Kind",
                            "Investment interest USD (Form 4952 line 1)",
                            "Funding paid USD (not deductible)", "Tracing flag", "Source"),
           (20, 14, 10, 18, 14, 20, 20, 12, 28), forms.interest_lines,
           lambda ws, i: [utc(ws, i.time), text(ws, i.account), text(ws, i.asset),
                          text(ws, fmt_quantity(i.quantity)), text(ws, i.kind),
                          amount(ws, i.usd) if i.kind == "interest" else None,
                          None if i.kind == "interest" else amount(ws, i.usd), i.flagged,
                          text(ws, i.source)]).close([6, 7])
    _table(wb, "Income", ("Time (UTC)", "Account", "Asset", "Quantity", "USD", "Kind",
                          "Source"), (20, 14, 10, 18, 14, 10, 28), forms.income_lines,
           lambda ws, i: [utc(ws, i.time), text(ws, i.account), text(ws, i.asset),
                          text(ws, fmt_quantity(i.quantity)), amount(ws, i.usd), text(ws, i.kind),
                          text(ws, i.source)]).close([5])
    _table(wb, "Open positions", ("Kind", "Account", "Asset", "Quantity",
                                  "USD (short: proceeds; lot: basis)", "Since (UTC)",
                                  "Source"), (10, 14, 10, 18, 18, 20, 28),
           forms.open_positions,
           lambda ws, p: [text(ws, p.kind), text(ws, p.account), text(ws, p.asset),
                          text(ws, fmt_quantity(p.quantity)), amount(ws, p.usd), utc(ws, p.since),
                          text(ws, p.source)]).close()
    _table(wb, "Diagnostics", ("Severity", "Code", "Message", "Source"), (10, 20, 80, 28),
           forms.diagnostics,
           lambda ws, d: [text(ws, str(d.severity)), text(ws, d.code), text(ws, d.message),
                          text(ws, "" if d.source is None else str(d.source))]).close()
    _table(wb, "Options", ("Option", "Value"), (30, 40), forms.options_used,
           lambda ws, o: [text(ws, o[0]), text(ws, o[1])]).close()
