"""Form 4952 (2025), Investment Interest Expense Deduction, lines 1-8 (tax-rules.md §3.1).

Beside the lines: whether the form is required and why (§3.7), the line 4g election as
made (§3.3: default none, irrevocable in practice), the carryforward of line 7 to next
year's line 2 (§3.4), where line 8 goes (Schedule A, line 9), and, when the profile takes
the standard deduction, the allowable amount that is lost rather than carried (§3.4).
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from taxmargin.reports.forms import Form4952, TaxForms
from taxmargin.reports.pdf_common import (
    BOLD,
    MARGIN,
    Column,
    draw_identity,
    form_title,
    line_row,
    money,
    note,
    page_footer,
    part_band,
    pdf_canvas,
)

__all__ = ["LINES", "write_form_4952"]

#: (line, 2025 wording [F4952], attribute) in print order, grouped by part.
LINES: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Total Investment Interest Expense", (
        ("1", "Investment interest expense paid or accrued in {year} (see instructions)",
         "line_1"),
        ("2", "Disallowed investment interest expense from {prior} Form 4952, line 7",
         "line_2"),
        ("3", "Total investment interest expense. Add lines 1 and 2", "line_3"),
    )),
    ("Net Investment Income", (
        ("4a", "Gross income from property held for investment (excluding any net gain from "
               "the disposition of property held for investment)", "line_4a"),
        ("4b", "Qualified dividends included on line 4a", "line_4b"),
        ("4c", "Subtract line 4b from line 4a", "line_4c"),
        ("4d", "Net gain from the disposition of property held for investment", "line_4d"),
        ("4e", "Enter the smaller of line 4d or your net capital gain from the disposition "
               "of property held for investment (see instructions)", "line_4e"),
        ("4f", "Subtract line 4e from line 4d", "line_4f"),
        ("4g", "Enter the amount from lines 4b and 4e that you elect to include in "
               "investment income (see instructions)", "line_4g"),
        ("4h", "Investment income. Add lines 4c, 4f, and 4g", "line_4h"),
        ("5", "Investment expenses (see instructions)", "line_5"),
        ("6", "Net investment income. Subtract line 5 from line 4h. If zero or less, "
              "enter -0-", "line_6"),
    )),
    ("Investment Interest Expense Deduction", (
        ("7", "Disallowed investment interest expense to be carried forward to {next}. "
              "Subtract line 6 from line 3. If zero or less, enter -0-", "line_7"),
        ("8", "Investment interest expense deduction. Enter the smaller of line 3 or 6. "
              "See instructions", "line_8"),
    )),
)
_AMOUNT = (Column(MARGIN + 430, 110, "r"),)


def _lines(c: Canvas, forms: TaxForms, y: float) -> float:
    f, whole = forms.form_4952, forms.round_whole_dollars
    year = forms.tax_year
    for part, (title, lines) in zip(("I", "II", "III"), LINES, strict=True):
        y = part_band(c, part, title, y - 4)
        for line, text, attr in lines:
            wording = text.format(year=year, prior=year - 1, next=year + 1)
            value = getattr(f, attr)
            y = line_row(c, y, line, wording, 430, [money(value, whole)], _AMOUNT)
    return y


def _status(c: Canvas, forms: TaxForms, y: float) -> float:
    f, whole, nxt = forms.form_4952, forms.round_whole_dollars, forms.tax_year + 1
    required = "required" if f.required else "not required"
    y = note(c, y - 6, f"Form 4952 is {required}: {f.required_reason}", 8, BOLD)
    y = note(c, y, _election(f, whole), 7.5)
    y = note(c, y, f"Carryforward: line 7, {money(f.line_7, whole)}, is disallowed investment "
             f"interest expense carried forward to {nxt}; enter it on your {nxt} Form 4952, "
             "line 2 (no expiry, IRC 163(d)(2)).", 7.5)
    y = note(c, y, f"Line 8, {money(f.line_8, whole)}, goes to Schedule A (Form 1040), line 9 "
             "(only if you itemize deductions).", 7.5)
    if f.lost_if_not_itemizing != 0:
        y = note(c, y, f"With the standard deduction, {money(f.lost_if_not_itemizing, whole)} "
                 "of allowable investment interest is not deducted and does not carry "
                 "forward: only line 7 carries forward.", 7.5)
    return y


def _election(f: Form4952, whole: bool) -> str:
    if f.line_4g == 0:
        return ("Line 4g election: none. Qualified dividends and net capital gain keep their "
                "lower tax rates (the default).")
    return (f"Line 4g election: {money(f.line_4g, whole)} of qualified dividends and net "
            "capital gain (lines 4b and 4e) is elected into investment income. The elected "
            "amount loses the lower capital-gain rates; revoking the election needs IRS "
            "consent.")


def write_form_4952(forms: TaxForms, target: Path) -> Path:
    """Write ``form4952.pdf`` (one page) to ``target``."""
    with pdf_canvas(target, "Form 4952", forms) as c:
        y = form_title(c, ("Form 4952", ""), "Investment Interest Expense Deduction",
                       "Attach to your tax return. Go to www.irs.gov/Form4952 for the latest "
                       "information.", forms.tax_year, "51")
        _status(c, forms, _lines(c, forms, draw_identity(c, forms, y)))
        page_footer(c, f"Form 4952 ({forms.tax_year})", "page 1 of 1")
        c.showPage()
    return target
