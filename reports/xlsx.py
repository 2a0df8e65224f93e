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
- Input-file text is always a string cell, never a formula (``xlsx_sheets`` module doc).
- The workbook is written in openpyxl's write-only mode, row by row, so a million rows
  stream; a table longer than Excel's 1,048,575 data rows continues on "... (2)", "... (3)".
- Written to a temporary file and renamed (``reports.atomic``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from taxmargin.money import fmt_quantity
from taxmargin.reports.atomic import atomic_path
from taxmargin.reports.forms import Form8949Row, LiquidationReview, TaxForms
from taxmargin.reports.xlsx_forms import write_form_4952, write_schedule_d
from taxmargin.reports.xlsx_sheets import (
    MAX_DATA_ROWS,
    Cell,
    SheetStream,
    amount,
    day,
    text,
    utc,
    write_small_sheets,
    write_summary,
)

__all__ = ["BOX_ORDER", "write", "write_workbook"]

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


def _row_8949(ws: Any, r: Form8949Row) -> list[Cell]:
    return [text(ws, r.description), day(ws, r.date_acquired, "VARIOUS"),
            day(ws, r.date_sold), amount(ws, r.proceeds), amount(ws, r.cost_basis),
            text(ws, r.code), amount(ws, r.adjustment), amount(ws, r.gain), text(ws, r.part),
            text(ws, r.box), text(ws, r.account), text(ws, r.asset),
            text(ws, fmt_quantity(r.quantity)), text(ws, r.term), r.short_sale,
            r.liquidation, text(ws, r.purpose), text(ws, "; ".join(r.sources))]


def _row_lot(ws: Any, r: Form8949Row) -> list[Cell]:
    disposal = r.sources[0] if r.sources else ""
    return [utc(ws, r.disposed_utc), day(ws, r.date_sold), utc(ws, r.acquired_utc),
            day(ws, r.date_acquired, "VARIOUS"), text(ws, r.account), text(ws, r.asset),
            text(ws, fmt_quantity(r.quantity)), text(ws, r.description),
            amount(ws, r.proceeds), amount(ws, r.cost_basis), amount(ws, r.adjustment),
            amount(ws, r.gain), text(ws, r.term), text(ws, r.box), text(ws, r.purpose),
            r.short_sale, r.liquidation, text(ws, disposal), text(ws, "; ".join(r.sources[1:]))]


def _row_short(ws: Any, r: Form8949Row) -> list[Cell]:
    return [text(ws, r.description), day(ws, r.date_acquired, "VARIOUS"),
            day(ws, r.date_sold), amount(ws, r.proceeds), amount(ws, r.cost_basis),
            amount(ws, r.adjustment), amount(ws, r.gain), text(ws, r.term), text(ws, r.box),
            text(ws, r.account), text(ws, r.asset), text(ws, fmt_quantity(r.quantity)),
            text(ws, "; ".join(r.sources))]


def _stream(wb: Any, title: str, head: Sequence[str], widths: Sequence[float],
            rows: Iterable[Form8949Row], build: Callable[[Any, Form8949Row], list[Cell]],
            max_rows: int) -> SheetStream:
    stream = SheetStream(wb, title, head, widths, max_rows)
    for row in rows:
        stream.add(build(stream.sheet(), row))
    return stream


def _form_8949_sheets(wb: Any, forms: TaxForms, max_rows: int) -> dict[str, tuple[str, int]]:
    """One sheet per box used; returns box -> (sheet, row) of its totals row, whose
    D, E, G, H cells are the box's =SUM totals."""
    rows = forms.form_8949.rows
    used = {r.box for r in rows}
    totals: dict[str, tuple[str, int]] = {}
    for box in (b for b in BOX_ORDER if b in used):
        stream = _stream(wb, f"8949 Box {box}", _HEAD_8949, _WIDTH_8949,
                         (r for r in rows if r.box == box), _row_8949, max_rows)
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


def write_workbook(forms: TaxForms, target: Path, max_rows: int = MAX_DATA_ROWS) -> Path:
    """Write the workbook to ``target``; ``max_rows`` (data rows per sheet) exists so tests
    can exercise the sheet split without a million rows."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "taxmargin"
    wb.properties.title = f"taxmargin {forms.tax_year}"
    write_summary(wb, forms)
    box_totals = _form_8949_sheets(wb, forms, max_rows)
    write_schedule_d(wb, forms, box_totals)
    write_form_4952(wb, forms)
    rows = forms.form_8949.rows
    _stream(wb, "Lots", _HEAD_LOTS, _WIDTH_LOTS, rows, _row_lot, max_rows).close(
        [9, 10, 11, 12])
    _liquidations(wb, forms.review.liquidations, max_rows)
    _stream(wb, "Short sales", _HEAD_SHORT, _WIDTH_SHORT, (r for r in rows if r.short_sale),
            _row_short, max_rows).close([4, 5, 6, 7])
    write_small_sheets(wb, forms)
    with atomic_path(target) as tmp:
        wb.save(str(tmp))
    return target


def write(forms: TaxForms, out_dir: Path) -> list[Path]:
    """Write ``taxmargin-YYYY.xlsx`` into ``out_dir``."""
    target = Path(out_dir) / f"taxmargin-{forms.tax_year}.xlsx"
    return [write_workbook(forms, target)]
