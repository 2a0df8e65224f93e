"""Form data: every number a renderer prints, already computed and rounded.

``reports.build`` fills these from a ``taxmargin.rules.us.TaxYear``; the renderers (JSON,
CSV, PDF, XLSX, TXF, review) lay them out and compute nothing (issue 5: "Rendering code
computes nothing"). Amounts are ``Decimal`` quantized to cents (or whole dollars with
``round_whole_dollars``, tax-rules.md §1.7). Signs: gains positive, losses negative;
Schedule D lines 6, 14 and 21 are losses and so are ``<= 0`` (interfaces.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from taxmargin.errors import Diagnostic

__all__ = [
    "Totals",
    "Form8949Row",
    "Form8949Page",
    "StatementGroup",
    "Form8949",
    "ScheduleD",
    "CarryoverWorksheet",
    "Form4952",
    "Carryforward",
    "OpenPosition",
    "LiquidationLot",
    "LiquidationReview",
    "MonthGain",
    "AccountGain",
    "Review",
    "IncomeLine",
    "InterestLine",
    "TaxForms",
    "BOX_TEXT",
]

#: Exact 2025 wording of the twelve Form 8949 boxes (tax-rules.md §1.2 [F8949]).
BOX_TEXT: dict[str, str] = {
    "A": "Short-term transactions reported on Form(s) 1099-B showing basis was reported to the IRS",
    "B": "Short-term transactions reported on Form(s) 1099-B showing basis was not reported to the IRS",
    "C": "Short-term transactions, other than digital asset transactions, not reported to you on Form 1099-B or Form 1099-DA",
    "G": "Short-term transactions reported on Form(s) 1099-DA showing basis was reported to the IRS",
    "H": "Short-term transactions reported on Form(s) 1099-DA showing basis was not reported to the IRS",
    "I": "Short-term digital asset transactions not reported to you on Form 1099-DA or Form 1099-B",
    "D": "Long-term transactions reported on Form(s) 1099-B showing basis was reported to the IRS",
    "E": "Long-term transactions reported on Form(s) 1099-B showing basis was not reported to the IRS",
    "F": "Long-term transactions, other than digital asset transactions, not reported to you on Form 1099-B or Form 1099-DA",
    "J": "Long-term transactions reported on Form(s) 1099-DA showing basis was reported to the IRS",
    "K": "Long-term transactions reported on Form(s) 1099-DA showing basis was not reported to the IRS",
    "L": "Long-term digital asset transactions not reported to you on Form 1099-DA or Form 1099-B",
}


@dataclass(frozen=True, slots=True)
class Totals:
    """Columns (d), (e), (g), (h) of a total line (Form 8949 line 2; Schedule D lines)."""

    proceeds: Decimal
    cost_basis: Decimal
    adjustment: Decimal
    gain: Decimal


@dataclass(frozen=True, slots=True)
class Form8949Row:
    """One Form 8949 row, columns (a)–(h), plus what it came from.

    ``date_acquired`` None prints "VARIOUS" (Exception 2 summary rows print blank (b)/(c):
    see ``summary``). ``term`` is "short" or "long"; ``part`` "I" or "II".
    """

    part: str
    box: str
    description: str
    date_acquired: date | None
    date_sold: date | None
    proceeds: Decimal
    cost_basis: Decimal
    code: str
    adjustment: Decimal
    gain: Decimal
    account: str
    asset: str
    quantity: Decimal
    term: str
    short_sale: bool = False
    liquidation: bool = False
    purpose: str = "sale"
    sources: tuple[str, ...] = ()
    #: UTC times behind the dates (for the workbook and review)
    acquired_utc: datetime | None = None
    disposed_utc: datetime | None = None
    summary: bool = False  # an Exception 2 summary row (code M)


@dataclass(frozen=True, slots=True)
class Form8949Page:
    """One printed page-part: one box, at most ``rows_per_page`` rows, with its line 2."""

    part: str
    box: str
    page_number: int  # 1-based within this box
    page_count: int  # pages for this box
    rows: tuple[Form8949Row, ...]
    totals: Totals


@dataclass(frozen=True, slots=True)
class StatementGroup:
    """Exception 2 attached statement: every row of one (part, box, account) with totals
    that equal the summary row's (tax-rules.md §1.6)."""

    part: str
    box: str
    account: str
    rows: tuple[Form8949Row, ...]
    totals: Totals


@dataclass(frozen=True, slots=True)
class Form8949:
    rows: tuple[Form8949Row, ...]  # every transaction row (the detail), in print order
    pages: tuple[Form8949Page, ...]  # what is printed (summary rows under Exception 2)
    statement: tuple[StatementGroup, ...]  # empty unless Exception 2 is used for a box
    exception2_boxes: tuple[str, ...] = ()
    rows_per_page: int = 11


@dataclass(frozen=True, slots=True)
class CarryoverWorksheet:
    """Capital Loss Carryover Worksheet (ISD; tax-rules.md §2.3) computed from *this* year's
    Schedule D, feeding next year's lines 6 and 14. Keys are worksheet line numbers."""

    lines: tuple[tuple[str, Decimal], ...]
    short_term_carryover: Decimal
    long_term_carryover: Decimal
    taxable_income_assumed: bool  # True when the profile gave no taxable_income


@dataclass(frozen=True, slots=True)
class ScheduleD:
    """Schedule D (Form 1040) lines taxmargin fills (tax-rules.md §2)."""

    line_1b: Totals
    line_2: Totals
    line_3: Totals
    line_8b: Totals
    line_9: Totals
    line_10: Totals
    line_6: Decimal  # <= 0
    line_7: Decimal
    line_14: Decimal  # <= 0
    line_15: Decimal
    line_16: Decimal
    line_21: Decimal  # <= 0; 0 when line 16 >= 0
    line_17_both_gains: bool
    carryover_worksheet: CarryoverWorksheet
    loss_limit: Decimal  # 3000 or 1500 (MFS)


@dataclass(frozen=True, slots=True)
class Form4952:
    """Form 4952 lines 1–8 (tax-rules.md §3.1)."""

    line_1: Decimal
    line_2: Decimal
    line_3: Decimal
    line_4a: Decimal
    line_4b: Decimal
    line_4c: Decimal
    line_4d: Decimal
    line_4e: Decimal
    line_4f: Decimal
    line_4g: Decimal
    line_4h: Decimal
    line_5: Decimal
    line_6: Decimal
    line_7: Decimal
    line_8: Decimal
    required: bool
    required_reason: str
    lost_if_not_itemizing: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Carryforward:
    short_term_loss: Decimal
    long_term_loss: Decimal
    investment_interest: Decimal


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """Year-end schedule: an open short, an outstanding liability, or an open lot."""

    kind: str  # "short" | "liability" | "lot"
    account: str
    asset: str
    quantity: Decimal
    usd: Decimal | None  # short: proceeds; lot: basis; liability: None
    since: datetime | None
    source: str


@dataclass(frozen=True, slots=True)
class LiquidationLot:
    description: str
    date_acquired: date | None
    proceeds: Decimal
    cost_basis: Decimal
    gain: Decimal
    term: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LiquidationReview:
    """One liquidation: the lots it consumed and what it did to the return."""

    time: datetime
    account: str
    source: str
    lots: tuple[LiquidationLot, ...]
    proceeds: Decimal
    cost_basis: Decimal
    gain: Decimal
    short_term_gain: Decimal
    long_term_gain: Decimal
    explanation: str  # non-empty when a taxable gain arose despite an economic loss


@dataclass(frozen=True, slots=True)
class MonthGain:
    month: int  # 1..12
    short_term: Decimal
    long_term: Decimal
    liquidation_count: int


@dataclass(frozen=True, slots=True)
class AccountGain:
    account: str
    short_term: Decimal
    long_term: Decimal


@dataclass(frozen=True, slots=True)
class Review:
    by_month: tuple[MonthGain, ...]
    by_account: tuple[AccountGain, ...]
    liquidations: tuple[LiquidationReview, ...]


@dataclass(frozen=True, slots=True)
class IncomeLine:
    """One ordinary-income receipt of the year (income events, funding received)."""

    time: datetime
    account: str
    asset: str
    quantity: Decimal
    usd: Decimal  # exact cents
    kind: str  # "income" | "funding"
    source: str


@dataclass(frozen=True, slots=True)
class InterestLine:
    """One interest payment of the year (Form 4952 line 1 detail) or nondeductible funding."""

    time: datetime
    account: str
    asset: str
    quantity: Decimal
    usd: Decimal
    source: str
    kind: str = "interest"  # "interest" | "funding-paid"
    flagged: bool = False  # §3.2 tracing: loan proceeds left the account


@dataclass(frozen=True, slots=True)
class TaxForms:
    """Everything ``report`` writes, as data (forms.json is its direct image)."""

    tax_year: int
    method: str
    timezone: str
    taxpayer_name: str
    taxpayer_id: str  # already masked unless the profile asked for the full number
    filing_status: str
    round_whole_dollars: bool
    form_8949: Form8949
    schedule_d: ScheduleD
    form_4952: Form4952
    carryforward: Carryforward
    income_ordinary: Decimal
    funding_paid_nondeductible: Decimal
    open_positions: tuple[OpenPosition, ...]
    diagnostics: tuple[Diagnostic, ...]
    review: Review
    income_lines: tuple[IncomeLine, ...]
    interest_lines: tuple[InterestLine, ...]
    options_used: tuple[tuple[str, str], ...]  # uncertainty-register choices (§9) and others
    generated: datetime | None = None
