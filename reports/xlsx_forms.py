"""The workbook's Schedule D and Form 4952 sheets: the printed line values, and beside them
formulas that recompute each line from the Form 8949 sheets' totals or from the lines it
combines, so a preparer sees at a glance that the form foots (tax-rules.md §1.5, §2.1,
§2.2, §3.1 invariants). The printed values come from ``TaxForms``; the formulas are
Excel's own arithmetic, not taxmargin's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from taxmargin.reports.forms import ScheduleD, TaxForms, Totals
from taxmargin.reports.xlsx_cells import Cell, amount, formula, text
from taxmargin.reports.xlsx_sheets import SheetStream

__all__ = ["LINE_BOXES", "write_form_4952", "write_schedule_d"]

#: Schedule D total lines and the Form 8949 boxes that feed them (tax-rules.md §1.2).
LINE_BOXES = (("1b", "AG"), ("2", "BH"), ("3", "CI"), ("8b", "DJ"), ("9", "EK"), ("10", "FL"))
_SD_HEAD = ("Line", "Description", "(d) Proceeds", "(e) Cost or other basis",
            "(g) Adjustments", "(h) Gain or (loss)", "(d) from Form 8949 sheets",
            "(e) from Form 8949 sheets", "(g) from Form 8949 sheets",
            "(h) recomputed (formula)")
_SD_WIDTH = (8, 70, 14, 14, 14, 14, 16, 16, 16, 18)
#: column of the (d), (e), (g), (h) totals on a "8949 Box X" sheet
_8949_COLS = ("D", "E", "G", "H")


def _from_boxes(ws: Any, boxes: str, col: str, box_totals: Mapping[str, tuple[str, int]]) -> Any:
    refs = [f"'{box_totals[b][0]}'!{col}{box_totals[b][1]}" for b in boxes if b in box_totals]
    return formula(ws, "=" + ("+".join(refs) if refs else "0"))


def _total_line(stream: SheetStream, line: str, boxes: str, totals: Totals,
                box_totals: Mapping[str, tuple[str, int]]) -> int:
    ws = stream.sheet()
    desc = f"Totals for all transactions on Form(s) 8949 with Box {boxes[0]} or {boxes[1]}"
    return stream.add([text(ws, line), text(ws, desc), amount(ws, totals.proceeds),
                       amount(ws, totals.cost_basis), amount(ws, totals.adjustment),
                       amount(ws, totals.gain),
                       *(_from_boxes(ws, boxes, c, box_totals) for c in _8949_COLS)])


def _h_line(stream: SheetStream, line: str, desc: str, value: Decimal | str,
            check: str | None = None) -> int:
    ws = stream.sheet()
    shown: Cell = text(ws, value) if isinstance(value, str) else amount(ws, value)
    return stream.add([text(ws, line), text(ws, desc), None, None, None, shown, None, None,
                       None, None if check is None else formula(ws, check)])


def write_schedule_d(wb: Any, forms: TaxForms,
                     box_totals: Mapping[str, tuple[str, int]]) -> None:
    """The "Schedule D" sheet; ``box_totals`` maps a box to its 8949 sheet's totals row."""
    sd = forms.schedule_d
    stream = SheetStream(wb, "Schedule D", _SD_HEAD, _SD_WIDTH)
    row = {line: _total_line(stream, line, boxes, getattr(sd, f"line_{line}"), box_totals)
           for line, boxes in LINE_BOXES[:3]}
    row["6"] = _h_line(stream, "6", "Short-term capital loss carryover", sd.line_6)
    row["7"] = _h_line(stream, "7", "Net short-term capital gain or (loss)", sd.line_7,
                       f"=F{row['1b']}+F{row['2']}+F{row['3']}+F{row['6']}")
    row |= {line: _total_line(stream, line, boxes, getattr(sd, f"line_{line}"), box_totals)
            for line, boxes in LINE_BOXES[3:]}
    row["14"] = _h_line(stream, "14", "Long-term capital loss carryover", sd.line_14)
    row["15"] = _h_line(stream, "15", "Net long-term capital gain or (loss)", sd.line_15,
                        f"=F{row['8b']}+F{row['9']}+F{row['10']}+F{row['14']}")
    row["16"] = _h_line(stream, "16", "Combine lines 7 and 15", sd.line_16,
                        f"=F{row['7']}+F{row['15']}")
    _h_line(stream, "17", "Are lines 15 and 16 both gains?",
            "yes" if sd.line_17_both_gains else "no")
    _h_line(stream, "21", f"Capital loss allowed this year (limit {sd.loss_limit})",
            sd.line_21, f"=IF(F{row['16']}<0,MAX(F{row['16']},-{sd.loss_limit}),0)")
    _worksheet(stream, sd)
    stream.close()


def _worksheet(stream: SheetStream, sd: ScheduleD) -> None:
    ws = sd.carryover_worksheet
    for key, value in ws.lines:
        _h_line(stream, f"CLCW {key}", "Capital Loss Carryover Worksheet (for next year), "
                f"line {key}", value)
    _h_line(stream, "ST carry", "Short-term capital loss carryover to next year's line 6",
            ws.short_term_carryover)
    _h_line(stream, "LT carry", "Long-term capital loss carryover to next year's line 14",
            ws.long_term_carryover)
    if ws.taxable_income_assumed:
        _h_line(stream, "CLCW 1", "Taxable income was assumed (no taxable_income in the "
                "profile)", "assumed")


_LINE_REF = re.compile(r"\{(\w+)\}")

#: (line, short wording [F4952], attribute, recomputing formula over column C by line)
_4952 = (
    ("1", "Investment interest expense paid or accrued", "line_1", None),
    ("2", "Disallowed investment interest expense from last year's line 7", "line_2", None),
    ("3", "Total investment interest expense (1 + 2)", "line_3", "={1}+{2}"),
    ("4a", "Gross income from property held for investment", "line_4a", None),
    ("4b", "Qualified dividends included on line 4a", "line_4b", None),
    ("4c", "Line 4a minus line 4b", "line_4c", "={4a}-{4b}"),
    ("4d", "Net gain from the disposition of property held for investment", "line_4d", None),
    ("4e", "Smaller of line 4d or net capital gain from investment property", "line_4e",
     None),
    ("4f", "Line 4d minus line 4e", "line_4f", "={4d}-{4e}"),
    ("4g", "Amount of lines 4b and 4e elected into investment income", "line_4g", None),
    ("4h", "Investment income (4c + 4f + 4g)", "line_4h", "={4c}+{4f}+{4g}"),
    ("5", "Investment expenses", "line_5", None),
    ("6", "Net investment income (4h - 5, not below zero)", "line_6", "=MAX(0,{4h}-{5})"),
    ("7", "Disallowed investment interest carried forward (3 - 6, not below zero)",
     "line_7", "=MAX(0,{3}-{6})"),
    ("8", "Investment interest expense deduction (smaller of 3 or 6)", "line_8",
     "=MIN({3},{6})"),
)


def write_form_4952(wb: Any, forms: TaxForms) -> None:
    """The "Form 4952" sheet: lines 1-8, a recomputing formula beside each computed line,
    then the required flag, its reason and the amount lost without itemizing (§3.4)."""
    f = forms.form_4952
    stream = SheetStream(wb, "Form 4952", ("Line", "Description", "Amount",
                                           "Recomputed (formula)"), (6, 70, 14, 20))
    cells = {line: f"C{2 + i}" for i, (line, *_rest) in enumerate(_4952)}  # row 1: header
    for line, desc, attr, check in _4952:
        ws = stream.sheet()
        recompute = None if check is None else formula(
            ws, _LINE_REF.sub(lambda m: cells[m.group(1)], check))
        stream.add([text(ws, line), text(ws, desc), amount(ws, getattr(f, attr)), recompute])
    ws = stream.sheet()
    stream.add([text(ws, "required"), text(ws, f.required_reason), f.required, None])
    ws = stream.sheet()
    stream.add([text(ws, "lost"), text(ws, "Allowable interest lost when not itemizing "
                                       "(does not carry forward)"),
                amount(ws, f.lost_if_not_itemizing), None])
    stream.close()
