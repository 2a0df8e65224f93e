"""Schedule D (Form 1040) lines 1b-21 and the Capital Loss Carryover Worksheet
(tax-rules.md §2.1-§2.3). Pure functions of the Form 8949 box totals and the profile.

Lines taxmargin does not fill (1a, 4, 5, 8a, 11, 12, 13: Exception-1 totals, other forms,
K-1s, capital gain distributions) count as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from taxmargin.money import ZERO, to_cents, to_whole_dollars
from taxmargin.profile import Carryover
from taxmargin.reports.forms import CarryoverWorksheet, ScheduleD, Totals
from taxmargin.rules.params import YearParams

__all__ = ["BOX_LINE", "ZERO_TOTALS", "add_totals", "capital_loss_carryover", "line_totals", "schedule_d"]

#: Form 8949 box -> Schedule D line (tax-rules.md §1.2 table; [FSD] lines 1b-10).
BOX_LINE: dict[str, str] = {
    "A": "1b", "G": "1b", "B": "2", "H": "2", "C": "3", "I": "3",
    "D": "8b", "J": "8b", "E": "9", "K": "9", "F": "10", "L": "10",
}
ZERO_TOTALS = Totals(ZERO, ZERO, ZERO, ZERO)


def add_totals(a: Totals, b: Totals) -> Totals:
    """Column-wise sum of (d), (e), (g), (h)."""
    return Totals(
        a.proceeds + b.proceeds, a.cost_basis + b.cost_basis, a.adjustment + b.adjustment, a.gain + b.gain
    )


def line_totals(box_totals: Mapping[str, Totals]) -> dict[str, Totals]:
    """Schedule D lines 1b, 2, 3, 8b, 9, 10 = sums of the boxes routed to them [FSD; ISD]:
    A/G -> 1b, B/H -> 2, C/I -> 3, D/J -> 8b, E/K -> 9, F/L -> 10 (tax-rules.md §2.1)."""
    lines = {line: ZERO_TOTALS for line in ("1b", "2", "3", "8b", "9", "10")}
    for box, totals in box_totals.items():
        if box not in BOX_LINE:
            raise ValueError(f"unknown Form 8949 box {box!r}")
        lines[BOX_LINE[box]] = add_totals(lines[BOX_LINE[box]], totals)
    return lines


def _amount(value: Decimal, whole_dollars: bool) -> Decimal:
    """Cents, or whole dollars when the return is rounded (§1.7: round all amounts)."""
    cents = to_cents(value)
    return to_whole_dollars(cents) if whole_dollars else cents


def capital_loss_carryover(
    *, line_7: Decimal, line_15: Decimal, line_21: Decimal, taxable_income: Decimal | None
) -> CarryoverWorksheet:
    """Capital Loss Carryover Worksheet [ISD "Lines 6 and 14"; IRC1212(b)] computed from
    *this* year's Schedule D, giving next year's lines 6 and 14 (tax-rules.md §2.3).

    Line 1 is this year's taxable income (Form 1040 line 15, negative if it would have
    been below zero). When the profile leaves it empty, interfaces.md §3 says to assume it
    is not negative; any non-negative line 1 gives line 3 >= line 2, so line 4 = line 2
    (the full line-21 deduction was used). taxmargin then enters 0 on line 1 and sets
    ``taxable_income_assumed``.
    """
    assumed = taxable_income is None
    l1 = ZERO if taxable_income is None else taxable_income
    l2 = -line_21  # line 21 is <= 0; the worksheet wants it as a positive amount
    l3 = max(ZERO, l1 + l2)
    l4 = min(l2, l3)
    l5 = -line_7 if line_7 < 0 else ZERO  # "If line 7 of Schedule D is a loss"
    l6 = line_15 if line_15 > 0 else ZERO
    l7 = l4 + l6
    l8 = max(ZERO, l5 - l7)  # short-term carryover -> next year's line 6
    l9 = -line_15 if line_15 < 0 else ZERO  # "If line 15 of Schedule D is a loss"
    l10 = line_7 if line_7 > 0 else ZERO
    l11 = max(ZERO, l4 - l5)
    l12 = l10 + l11
    l13 = max(ZERO, l9 - l12)  # long-term carryover -> next year's line 14
    values = (l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13)
    lines = tuple((str(n), v) for n, v in enumerate(values, start=1))
    return CarryoverWorksheet(lines, l8, l13, assumed)


def schedule_d(
    box_totals: Mapping[str, Totals],
    *,
    carryover: Carryover,
    filing_status: str,
    params: YearParams,
    taxable_income: Decimal | None,
    whole_dollars: bool = False,
) -> ScheduleD:
    """Schedule D lines (tax-rules.md §2.1-§2.3) from the Form 8949 box totals.

    Line 6 = -(short-term carryover) and line 14 = -(long-term carryover) from the profile
    (shown as losses, <= 0); line 7 = 1b + 2 + 3 + 6 and line 15 = 8b + 9 + 10 + 14 (column
    (h)); line 16 = 7 + 15; line 21 = -min(|16|, $3,000 or $1,500 MFS) when line 16 < 0,
    else 0 [FSD Part III; IRC1211(b)]. ``box_totals`` are already rounded row sums (§1.7:
    "round off only the total" is satisfied because rows are the rounded amounts).
    """
    lines = line_totals(box_totals)
    line_6 = -_amount(carryover.short_term_loss, whole_dollars)
    line_14 = -_amount(carryover.long_term_loss, whole_dollars)
    line_7 = lines["1b"].gain + lines["2"].gain + lines["3"].gain + line_6
    line_15 = lines["8b"].gain + lines["9"].gain + lines["10"].gain + line_14
    line_16 = line_7 + line_15
    limit = params.loss_limit_for(filing_status)
    line_21 = -min(-line_16, limit) if line_16 < 0 else ZERO
    worksheet = capital_loss_carryover(
        line_7=line_7, line_15=line_15, line_21=line_21, taxable_income=taxable_income
    )
    return ScheduleD(
        line_1b=lines["1b"],
        line_2=lines["2"],
        line_3=lines["3"],
        line_8b=lines["8b"],
        line_9=lines["9"],
        line_10=lines["10"],
        line_6=line_6 + ZERO,  # + ZERO turns -0 into 0
        line_7=line_7,
        line_14=line_14 + ZERO,
        line_15=line_15,
        line_16=line_16,
        line_21=line_21 + ZERO,
        line_17_both_gains=line_15 > 0 and line_16 > 0,
        carryover_worksheet=worksheet,
        loss_limit=limit,
    )
