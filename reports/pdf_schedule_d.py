"""Schedule D (Form 1040) 2025, Parts I-III, and the Capital Loss Carryover Worksheet.

Prints exactly the lines ``TaxForms.schedule_d`` carries (tax-rules.md §2.1-§2.3): the
Form 8949 total lines 1b, 2, 3, 8b, 9, 10 with columns (d), (e), (g), (h); the carryovers on
lines 6 and 14; net lines 7, 15, 16; the line 17 answer; line 21 with its limit ($3,000,
$1,500 MFS [IRC1211(b)]). Lines taxmargin does not fill (1a, 4, 5, 8a, 11-13, 18-20, 22)
are printed blank, as on a form the preparer completes. The box-to-line routing (§1.2)
is printed under each part. Page 2 ends with the carryover worksheet figured from this
return, which next year's lines 6 and 14 come from (§2.3 [ISD]).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from taxmargin.reports.forms import ScheduleD, TaxForms, Totals
from taxmargin.reports.pdf_common import (
    BOLD,
    MARGIN,
    PAGE_W,
    Column,
    column_heads,
    draw_identity,
    form_title,
    line_row,
    money,
    note,
    page_footer,
    part_band,
    pdf_canvas,
)

__all__ = ["WORKSHEET_LINES", "write_schedule_d"]

LABEL_W = 260.0
AMOUNTS = tuple(Column(MARGIN + LABEL_W + 70 * i, 70, "r") for i in range(4))
HEADS = ("(d) Proceeds (sales price)", "(e) Cost (or other basis)",
         "(g) Adjustments to gain or loss from Form(s) 8949, Part I/II, line 2, column (g)",
         "(h) Gain or (loss) Subtract column (e) from column (d) and combine the result "
         "with column (g)")
_BLANK4: list[str | None] = ["", "", "", ""]
_H_ONLY_BLANK: list[str | None] = [None, None, None, ""]

#: Capital Loss Carryover Worksheet wording by line ([ISD]; tax-rules.md §2.3), written
#: for the worksheet next year's return uses, figured from this year's return.
WORKSHEET_LINES = {
    "1": "Taxable income (Form 1040, line 15) of this return; negative if it would be "
         "less than zero",
    "2": "Loss from Schedule D, line 21, as a positive amount",
    "3": "Combine lines 1 and 2. If zero or less, enter -0-",
    "4": "Smaller of line 2 or line 3",
    "5": "Loss from Schedule D, line 7, as a positive amount",
    "6": "Gain, if any, from Schedule D, line 15 (if a loss, -0-)",
    "7": "Add lines 4 and 6",
    "8": "Short-term capital loss carryover: line 5 minus line 7 (if zero or less, -0-)",
    "9": "Loss from Schedule D, line 15, as a positive amount",
    "10": "Gain, if any, from Schedule D, line 7 (if a loss, -0-)",
    "11": "Line 4 minus line 5 (if zero or less, -0-)",
    "12": "Add lines 10 and 11",
    "13": "Long-term capital loss carryover: line 9 minus line 12 (if zero or less, -0-)",
}


def _totals(t: Totals, whole: bool) -> list[str | None]:
    return [money(t.proceeds, whole), money(t.cost_basis, whole),
            money(t.adjustment, whole), money(t.gain, whole)]


def _h(value: Decimal, whole: bool) -> list[str | None]:
    return [None, None, None, money(value, whole)]


def _rows(c: Canvas, y: float, rows: Sequence[tuple[str, str, list[str | None]]]) -> float:
    for number, text, amounts in rows:
        y = line_row(c, y, number, text, LABEL_W, amounts, AMOUNTS)
    return y


def _part_1(c: Canvas, sd: ScheduleD, y: float, whole: bool) -> float:
    y = part_band(c, "I", "Short-Term Capital Gains and Losses—Generally Assets Held One "
                  "Year or Less (see instructions)", y)
    y = column_heads(c, y, HEADS, AMOUNTS, 40)
    box = "Totals for all transactions reported on Form(s) 8949 with"
    y = _rows(c, y, [
        ("1a", "Totals for all short-term transactions reported on Form 1099-B or 1099-DA "
               "for which basis was reported to the IRS and for which you have no "
               "adjustments (see instructions)", _BLANK4),
        ("1b", f"{box} Box A or G checked", _totals(sd.line_1b, whole)),
        ("2", f"{box} Box B or H checked", _totals(sd.line_2, whole)),
        ("3", f"{box} Box C or I checked", _totals(sd.line_3, whole)),
        ("4", "Short-term gain from Form 6252 and short-term gain or (loss) from Forms "
              "4684, 6781, and 8824", _H_ONLY_BLANK),
        ("5", "Net short-term gain or (loss) from partnerships, S corporations, estates, "
              "and trusts from Schedule(s) K-1", _H_ONLY_BLANK),
        ("6", "Short-term capital loss carryover. Enter the amount, if any, from line 8 of "
              "your Capital Loss Carryover Worksheet in the instructions", _h(sd.line_6, whole)),
        ("7", "Net short-term capital gain or (loss). Combine lines 1a through 6 in column "
              "(h). If you have any long-term capital gains or losses, go to Part II below. "
              "Otherwise, go to Part III on the back", _h(sd.line_7, whole)),
    ])
    return note(c, y, "Form 8949 box routing (Part I): Box A or G → line 1b; Box B or H → "
                "line 2; Box C or I → line 3.", 6.5)


def _part_2(c: Canvas, sd: ScheduleD, y: float, whole: bool) -> float:
    y = part_band(c, "II", "Long-Term Capital Gains and Losses—Generally Assets Held More "
                  "Than One Year (see instructions)", y - 4)
    y = column_heads(c, y, HEADS, AMOUNTS, 40)
    box = "Totals for all transactions reported on Form(s) 8949 with"
    y = _rows(c, y, [
        ("8a", "Totals for all long-term transactions reported on Form 1099-B or 1099-DA "
               "for which basis was reported to the IRS and for which you have no "
               "adjustments (see instructions)", _BLANK4),
        ("8b", f"{box} Box D or J checked", _totals(sd.line_8b, whole)),
        ("9", f"{box} Box E or K checked", _totals(sd.line_9, whole)),
        ("10", f"{box} Box F or L checked", _totals(sd.line_10, whole)),
        ("11", "Gain from Form 4797, Part I; long-term gain from Forms 2439 and 6252; and "
               "long-term gain or (loss) from Forms 4684, 6781, and 8824", _H_ONLY_BLANK),
        ("12", "Net long-term gain or (loss) from partnerships, S corporations, estates, and "
               "trusts from Schedule(s) K-1", _H_ONLY_BLANK),
        ("13", "Capital gain distributions. See the instructions", _H_ONLY_BLANK),
        ("14", "Long-term capital loss carryover. Enter the amount, if any, from line 13 of "
               "your Capital Loss Carryover Worksheet in the instructions",
         _h(sd.line_14, whole)),
        ("15", "Net long-term capital gain or (loss). Combine lines 8a through 14 in column "
               "(h). Then, go to Part III on the back", _h(sd.line_15, whole)),
    ])
    return note(c, y, "Form 8949 box routing (Part II): Box D or J → line 8b; Box E or K → "
                "line 9; Box F or L → line 10.", 6.5)


def _line_17(sd: ScheduleD) -> str:
    if sd.line_16 <= 0:
        return "skip (16 not a gain)"
    return "Yes" if sd.line_17_both_gains else "No"


def _part_3(c: Canvas, sd: ScheduleD, y: float, whole: bool) -> float:
    one = (Column(MARGIN + 430, 110, "r"),)
    limit = f"({money(sd.loss_limit, whole)})"
    y = part_band(c, "III", "Summary", y)
    rows: list[tuple[str, str, str | None]] = [
        ("16", "Combine lines 7 and 15 and enter the result. If a gain, enter it on Form "
               "1040, line 7a and go to line 17. If a loss, skip lines 17 through 20 and go "
               "to line 21. If zero, skip lines 17 through 21 and enter -0- on Form 1040, "
               "line 7a.", money(sd.line_16, whole)),
        ("17", "Are lines 15 and 16 both gains?", _line_17(sd)),
        ("18", "28% Rate Gain Worksheet, line 7 (if required; not figured by taxmargin)", ""),
        ("19", "Unrecaptured Section 1250 Gain Worksheet, line 18 (if required; not figured "
               "by taxmargin)", ""),
        ("20", "Are lines 18 and 19 both zero or blank and you are not filing Form 4952? "
               "(answer from the instructions)", ""),
        ("21", "If line 16 is a loss, enter here and on Form 1040, line 7a, the smaller of: "
               "the loss on line 16; or ($3,000), or if married filing separately, ($1,500). "
               f"Limit for this return: {limit}", money(sd.line_21, whole)),
        ("22", "Do you have qualified dividends on Form 1040, line 3a? (answer from the "
               "instructions)", ""),
    ]
    for number, text, amount in rows:
        y = line_row(c, y, number, text, 430, [amount], one)
    return y


def _worksheet(c: Canvas, forms: TaxForms, y: float) -> float:
    ws = forms.schedule_d.carryover_worksheet
    whole, nxt = forms.round_whole_dollars, forms.tax_year + 1
    y = note(c, y - 8, f"Capital Loss Carryover Worksheet — for your {nxt} Schedule D, "
             f"lines 6 and 14 (figured from this {forms.tax_year} return; keep it with your "
             "records)", 8.5, BOLD)
    c.line(MARGIN, y, PAGE_W - MARGIN, y)
    one = (Column(MARGIN + 430, 110, "r"),)
    for key, value in ws.lines:
        text = WORKSHEET_LINES.get(key, f"Worksheet line {key}")
        y = line_row(c, y, key, text, 430, [money(value, whole)], one)
    y = line_row(c, y, "", f"Short-term capital loss carryover to {nxt} (Schedule D, line 6)",
                 430, [money(ws.short_term_carryover, whole)], one)
    y = line_row(c, y, "", f"Long-term capital loss carryover to {nxt} (Schedule D, line 14)",
                 430, [money(ws.long_term_carryover, whole)], one)
    if ws.taxable_income_assumed:
        y = note(c, y, "Line 1 is an assumption: the profile gave no taxable income. Replace "
                 "it with Form 1040, line 15 of this return and refigure.", 7)
    return y


def write_schedule_d(forms: TaxForms, target: Path) -> Path:
    """Write ``schedule_d.pdf`` (two pages) to ``target``."""
    sd, whole = forms.schedule_d, forms.round_whole_dollars
    with pdf_canvas(target, "Schedule D (Form 1040)", forms) as c:
        left = ("SCHEDULE D", "(Form 1040)")
        sub = ("Attach to Form 1040, 1040-SR, or 1040-NR. Use Form 8949 to list your "
               "transactions for lines 1b, 2, 3, 8b, 9, and 10.")
        y = form_title(c, left, "Capital Gains and Losses", sub, forms.tax_year, "12")
        y = _part_2(c, sd, _part_1(c, sd, draw_identity(c, forms, y) - 4, whole), whole)
        page_footer(c, f"Schedule D (Form 1040) {forms.tax_year}", "page 1 of 2")
        c.showPage()
        y = form_title(c, left, "Capital Gains and Losses", "Page 2", forms.tax_year, "12")
        _worksheet(c, forms, _part_3(c, sd, draw_identity(c, forms, y) - 4, whole))
        page_footer(c, f"Schedule D (Form 1040) {forms.tax_year}", "page 2 of 2")
        c.showPage()
    return target

