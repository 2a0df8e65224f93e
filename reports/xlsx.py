"""The audit workbook ``taxmargin-YYYY.xlsx`` (``report --format xlsx``; issue 5 output 5).

Sheets, in order: Summary; one "8949 Box X" sheet per box used (every transaction row,
columns (a)-(h) and where it came from); Schedule D; Form 4952; Lots (every disposal row
with its disposal and acquisition FILE:LINE sources); Liquidations; Short sales;
Interest; Income; Open positions (and liabilities); Diagnostics; Options (the
uncertainty-register choices used, tax-rules.md §9).

- Amounts are numbers holding the exact Decimal the form holds, with a currency format
  (exact cents: the spreadsheet is never whole-dollar rounded unless the forms are).
- Totals are ``=SUM(...)`` formulas over the rows they total; the Schedule D and Form 4952
  sheets recompute their lines with formulas beside the printed values (``xlsx_forms``).
- Every header row is frozen and carries an auto-filter.
- Input-file text is always a string cell, never a formula (``xlsx_cells`` module doc).
- The workbook is written in openpyxl's write-only mode, row by row, so a million rows
  stream; a table longer than Excel's 1,048,575 data rows continues on "... (2)", "... (3)".
- Speed (issue 6): the tables are given as a kind per column and a tuple of values per row
  (``_KINDS_*``, ``_row_*``); with lxml present their rows are serialized in chunks as the
  exact XML openpyxl writes for the same cells (``xlsx_xml``, ``xlsx_fast``), ~15x faster
  than a ``WriteOnlyCell`` per cell (1M-event bench: 24 s CPU instead of 313 s), and the
  package is deflated at ``ZIP_LEVEL`` 1. The layout is unchanged: every sheet holds the
  same cells as before, byte for byte (``tests/test_perf_xlsx.py``).
- Written to a temporary file and renamed (``reports.atomic``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from taxmargin.money import fmt_quantity
from taxmargin.reports.atomic import atomic_path
from taxmargin.reports.forms import Form8949Row, LiquidationReview, TaxForms
from taxmargin.reports.xlsx_cells import (
    DATE,
    MONEY,
    PLAIN,
    TEXT,
    UTC_TIME,
    VARIOUS,
    amount,
    day,
    text,
    utc,
)
from taxmargin.reports.xlsx_fast import fast_sheets_supported
from taxmargin.reports.xlsx_forms import write_form_4952, write_schedule_d
from taxmargin.reports.xlsx_sheets import (
    MAX_DATA_ROWS,
    SheetStream,
    write_small_sheets,
    write_summary,
)
from taxmargin.reports.xlsx_xml import FastCells

__all__ = ["BOX_ORDER", "write", "write_workbook"]

#: zlib level of the package: openpyxl's default, 6, takes ~3x the CPU for a file ~22%
#: smaller (100k-event bench: 0.5 s and 19.1 MB at level 1, 1.6 s and 14.9 MB at 6)
ZIP_LEVEL = 1
#: Print order of the boxes (tax-rules.md §1.1 recommendation).
BOX_ORDER = "ABCGHIDEFJKL"
_HEAD_8949 = ("(a) Description of property", "(b) Date acquired", "(c) Date sold",
              "(d) Proceeds", "(e) Cost or other basis", "(f) Code(s)", "(g) Adjustment",
              "(h) Gain or (loss)", "Part", "Box", "Account", "Asset", "Quantity", "Term",
              "Short sale", "Liquidation", "Purpose", "Sources (FILE:LINE)")
_WIDTH_8949 = (40, 12, 12, 14, 14, 8, 12, 14, 6, 5, 14, 10, 18, 7, 9, 10, 12, 50)
_HEAD_LOTS = ("Disposed (UTC)", "Date sold", "Acquired (UTC)", "Date acquired", "Account",
              "Asset", "Quantity", "Description", "Proceeds", "Cost basis", "Adjustment",
              "Gain or (loss)", "Term", "Box", "Purpose", "Short sale", "Liquidation",
              "Disposal source (FILE:LINE)", "Acquisition sources (FILE:LINE)")
_WIDTH_LOTS = (20, 12, 20, 12, 14, 10, 18, 36, 14, 14, 12, 14, 7, 5, 12, 9, 10, 28, 50)
_HEAD_LIQ = ("Liquidation", "Row", "Time (UTC)", "Account", "Source (FILE:LINE)",
             "Lot consumed", "Date acquired", "Proceeds", "Cost basis", "Gain or (loss)",
             "Term", "Short-term gain", "Long-term gain", "Explanation")
_WIDTH_LIQ = (11, 11, 20, 14, 28, 30, 12, 14, 14, 14, 7, 14, 14, 80)
_HEAD_SHORT = ("Description", "Date acquired (units delivered)", "Date sold (short sale)",
               "Proceeds", "Cost basis", "Adjustment", "Gain or (loss)", "Term", "Box",
               "Account", "Asset", "Quantity", "Sources (FILE:LINE)")
_WIDTH_SHORT = (40, 14, 14, 14, 14, 12, 14, 7, 5, 14, 10, 18, 50)


#: column kinds (``xlsx_cells``) of the three tables of Form 8949 rows
_KINDS_8949 = (TEXT, VARIOUS, DATE, MONEY, MONEY, TEXT, MONEY, MONEY, TEXT, TEXT, TEXT, TEXT,
               TEXT, TEXT, PLAIN, PLAIN, TEXT, TEXT)
_KINDS_LOTS = (UTC_TIME, DATE, UTC_TIME, VARIOUS, TEXT, TEXT, TEXT, TEXT, MONEY, MONEY, MONEY,
               MONEY, TEXT, TEXT, TEXT, PLAIN, PLAIN, TEXT, TEXT)
_KINDS_SHORT = (TEXT, VARIOUS, DATE, MONEY, MONEY, MONEY, MONEY, TEXT, TEXT, TEXT, TEXT, TEXT,
                TEXT)


def _row_8949(r: Form8949Row) -> tuple[Any, ...]:
    return (r.description, r.date_acquired, r.date_sold, r.proceeds, r.cost_basis, r.code,
            r.adjustment, r.gain, r.part, r.box, r.account, r.asset, fmt_quantity(r.quantity),
            r.term, r.short_sale, r.liquidation, r.purpose, "; ".join(r.sources))


def _row_lot(r: Form8949Row) -> tuple[Any, ...]:
    sources = r.sources
    return (r.disposed_utc, r.date_sold, r.acquired_utc, r.date_acquired, r.account, r.asset,
            fmt_quantity(r.quantity), r.description, r.proceeds, r.cost_basis, r.adjustment,
            r.gain, r.term, r.box, r.purpose, r.short_sale, r.liquidation,
            sources[0] if sources else "", "; ".join(sources[1:]))


def _row_short(r: Form8949Row) -> tuple[Any, ...]:
    return (r.description, r.date_acquired, r.date_sold, r.proceeds, r.cost_basis,
            r.adjustment, r.gain, r.term, r.box, r.account, r.asset, fmt_quantity(r.quantity),
            "; ".join(r.sources))


def _stream(wb: Any, title: str, head: Sequence[str], widths: Sequence[float],
            rows: Iterable[Form8949Row], values: Callable[[Form8949Row], tuple[Any, ...]],
            kinds: Sequence[str], max_rows: int, fast: FastCells | None) -> SheetStream:
    stream = SheetStream(wb, title, head, widths, max_rows, fast)
    stream.extend(rows, values, kinds)
    return stream


def _form_8949_sheets(wb: Any, forms: TaxForms, max_rows: int,
                      fast: FastCells | None) -> dict[str, tuple[str, int]]:
    """One sheet per box used; returns box -> (sheet, row) of its totals row, whose
    D, E, G, H cells are the box's =SUM totals."""
    rows = forms.form_8949.rows
    used = {r.box for r in rows}
    totals: dict[str, tuple[str, int]] = {}
    for box in (b for b in BOX_ORDER if b in used):
        stream = _stream(wb, f"8949 Box {box}", _HEAD_8949, _WIDTH_8949,
                         (r for r in rows if r.box == box), _row_8949, _KINDS_8949, max_rows,
                         fast)
        where = stream.close([4, 5, 7, 8], f"Totals, box {box} (Form 8949 line 2, all pages)")
        if where is not None:
            totals[box] = where
    return totals


def _liquidations(wb: Any, liquidations: Sequence[LiquidationReview], max_rows: int) -> None:
    stream = SheetStream(wb, "Liquidations", _HEAD_LIQ, _WIDTH_LIQ, max_rows)
    for n, liq in enumerate(liquidations, start=1):
        ws = stream.sheet()
        stream.add([n, text(ws, "liquidation"), utc(ws, liq.time), text(ws, liq.account),
                    text(ws, liq.source), None, None, amount(ws, liq.proceeds),
                    amount(ws, liq.cost_basis), amount(ws, liq.gain), None,
                    amount(ws, liq.short_term_gain), amount(ws, liq.long_term_gain),
                    text(ws, liq.explanation)])
        for lot in liq.lots:
            ws = stream.sheet()
            stream.add([n, text(ws, "lot"), None, text(ws, liq.account),
                        text(ws, "; ".join(lot.sources)), text(ws, lot.description),
                        day(ws, lot.date_acquired, "VARIOUS"), amount(ws, lot.proceeds),
                        amount(ws, lot.cost_basis), amount(ws, lot.gain), text(ws, lot.term),
                        None, None, None])
    stream.close([8, 9, 10, 12, 13], "Totals of the liquidation rows", where=(2, "liquidation"))


def _save(wb: Any, path: Path) -> None:
    """``Workbook.save`` (openpyxl's ``save_workbook``) at zlib level ``ZIP_LEVEL``."""
    wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL) as archive:
        ExcelWriter(wb, archive).save()


def write_workbook(forms: TaxForms, target: Path, max_rows: int = MAX_DATA_ROWS,
                   fast: bool | None = None) -> Path:
    """Write the workbook to ``target``; ``max_rows`` (data rows per sheet) exists so tests
    can exercise the sheet split without a million rows, ``fast=False`` so they can compare
    the serialized rows (``xlsx_fast``, the default when lxml is present) with openpyxl's
    own cells."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "taxmargin"
    wb.properties.title = f"taxmargin {forms.tax_year}"
    cells = FastCells(wb) if (fast_sheets_supported() if fast is None else fast) else None
    write_summary(wb, forms)
    box_totals = _form_8949_sheets(wb, forms, max_rows, cells)
    write_schedule_d(wb, forms, box_totals)
    write_form_4952(wb, forms)
    rows = forms.form_8949.rows
    _stream(wb, "Lots", _HEAD_LOTS, _WIDTH_LOTS, rows, _row_lot, _KINDS_LOTS, max_rows,
            cells).close([9, 10, 11, 12])
    _liquidations(wb, forms.review.liquidations, max_rows)
    _stream(wb, "Short sales", _HEAD_SHORT, _WIDTH_SHORT, (r for r in rows if r.short_sale),
            _row_short, _KINDS_SHORT, max_rows, cells).close([4, 5, 6, 7])
    write_small_sheets(wb, forms, cells)
    with atomic_path(target) as tmp:
        _save(wb, tmp)
    return target


def write(forms: TaxForms, out_dir: Path) -> list[Path]:
    """Write ``taxmargin-YYYY.xlsx`` into ``out_dir``."""
    target = Path(out_dir) / f"taxmargin-{forms.tax_year}.xlsx"
    return [write_workbook(forms, target)]
