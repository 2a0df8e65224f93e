"""Per-tax-year numbers as data: one frozen record per year, never code copied per year
(design.md §6; tax-rules.md §8 item 8 "Year-aware constants table").

Sources per field are given beside each value; secondary sources are marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from taxmargin.errors import NotSupported

__all__ = ["PARAMS", "SUPPORTED_YEARS", "BoxLetters", "YearParams", "params_for"]

_FILING_STATUSES = ("single", "mfj", "mfs", "hoh", "qss")


@dataclass(frozen=True, slots=True)
class BoxLetters:
    """The Form 8949 checkbox letters for one reporting situation: (short-term, long-term)."""

    short: str
    long: str


@dataclass(frozen=True, slots=True)
class YearParams:
    """Everything about one tax year that the rules look up instead of hard-coding.

    Amounts are whole US dollars. Per-filing-status tables are tuples of
    ``(filing_status, amount)`` pairs over single, mfj, mfs, hoh, qss (read with
    :meth:`by_status`).
    """

    year: int
    #: Form 8949 rows per part per page (tax-rules.md §1.5 [MAP8949]).
    rows_per_page: int
    #: False while the year's fillable form is a draft and the count must be re-measured (§1.8).
    rows_per_page_final: bool
    #: Capital-loss deduction limit, single/other and MFS (§2.3 [IRC1211(b)]).
    loss_limit: Decimal
    loss_limit_mfs: Decimal
    #: Digital asset not reported on a 1099 (§1.2): I/L from 2025; C/F on the 2024 form.
    boxes_not_reported: BoxLetters
    #: Reported on Form 1099-DA (1099-B before 2025) with / without basis reported (§1.2).
    boxes_basis_reported: BoxLetters
    boxes_basis_not_reported: BoxLetters
    #: Top of the 0% and 15% long-term capital gain brackets (§2.4 [I1040; RP2025-32]).
    zero_rate_max: tuple[tuple[str, Decimal], ...]
    fifteen_rate_max: tuple[tuple[str, Decimal], ...]
    #: Standard deduction (§3.7 [OBBBA-SUM; RP2025-32]).
    standard_deduction: tuple[tuple[str, Decimal], ...]
    #: Acquisitions/dispositions on or after this date follow REG1012 (h) fee allocation (§4.0(4)).
    fee_rule_switch: date = date(2025, 1, 1)
    #: Form 4952 line 5 is 0: §67(g) (2018-2025) and OBBBA (2026+) disallow the
    #: miscellaneous itemized deductions that would go there (§3.5).
    line_5_zero: bool = True
    #: Wash-sale rule for (non-security) crypto: off, not law as of mid-2026 (§4.8, U12).
    wash_sale_crypto: bool = False
    #: Basis pools per wallet/account are mandatory for dispositions in this year (§5.1).
    per_account_pools_required: bool = True
    #: §68 "2/37" itemized-deduction limitation applies (TY2026+, §3.7 [IRC68]).
    itemized_2_37_limit: bool = False

    def by_status(self, table: tuple[tuple[str, Decimal], ...], filing_status: str) -> Decimal:
        """Look ``filing_status`` up in one of the per-status tables."""
        for status, amount in table:
            if status == filing_status:
                return amount
        raise NotSupported(f"filing status {filing_status!r} has no {self.year} value")

    def loss_limit_for(self, filing_status: str) -> Decimal:
        """$3,000, or $1,500 when married filing separately [IRC1211(b); ISD "Capital Losses"]."""
        return self.loss_limit_mfs if filing_status == "mfs" else self.loss_limit

    def boxes(self, *, reported: bool, basis_reported: bool) -> BoxLetters:
        """Box letters for the reporting situation (§1.2 algorithm)."""
        if not reported:
            return self.boxes_not_reported
        return self.boxes_basis_reported if basis_reported else self.boxes_basis_not_reported


def _table(single: str, mfj: str, mfs: str, hoh: str) -> tuple[tuple[str, Decimal], ...]:
    """A per-status table; a qualifying surviving spouse uses the MFJ amounts."""
    values = (single, mfj, mfs, hoh, mfj)
    return tuple((status, Decimal(v)) for status, v in zip(_FILING_STATUSES, values, strict=True))


_LIMIT = Decimal(3000)
_LIMIT_MFS = Decimal(1500)
_DIGITAL = BoxLetters("I", "L")
_DA_BASIS = BoxLetters("G", "J")
_DA_NO_BASIS = BoxLetters("H", "K")

PARAMS: dict[int, YearParams] = {
    # 2024 Form 8949 has boxes A-F only: unreported digital assets go in C/F; 14 rows per
    # part [MAP8949 2024 map]. Brackets/standard deduction: Rev. Proc. 2023-34.
    2024: YearParams(
        year=2024,
        rows_per_page=14,
        rows_per_page_final=True,
        loss_limit=_LIMIT,
        loss_limit_mfs=_LIMIT_MFS,
        boxes_not_reported=BoxLetters("C", "F"),
        boxes_basis_reported=BoxLetters("A", "D"),
        boxes_basis_not_reported=BoxLetters("B", "E"),
        zero_rate_max=_table("47025", "94050", "47025", "63000"),
        fifteen_rate_max=_table("518900", "583750", "291850", "551350"),
        standard_deduction=_table("14600", "29200", "14600", "21900"),
        per_account_pools_required=False,
    ),
    # 2025: boxes G-L [F8949; I8949 "What's New"], 11 rows [MAP8949]; breakpoints §2.4
    # [I1040]; standard deduction after OBBBA §3.7 [OBBBA-SUM].
    2025: YearParams(
        year=2025,
        rows_per_page=11,
        rows_per_page_final=True,
        loss_limit=_LIMIT,
        loss_limit_mfs=_LIMIT_MFS,
        boxes_not_reported=_DIGITAL,
        boxes_basis_reported=_DA_BASIS,
        boxes_basis_not_reported=_DA_NO_BASIS,
        zero_rate_max=_table("48350", "96700", "48350", "64750"),
        fifteen_rate_max=_table("533400", "600050", "300000", "566700"),
        standard_deduction=_table("15750", "31500", "15750", "23625"),
    ),
    # 2026: same boxes as 2025 [F8949-26D]; rows per page pending the final PDF (§1.8).
    # Single/MFS/MFJ 0% tops and standard deduction from §2.4 [RP2025-32, secondary];
    # HOH and the 15% tops from Rev. Proc. 2025-32 §4.03 (re-verify before relying on them).
    2026: YearParams(
        year=2026,
        rows_per_page=11,
        rows_per_page_final=False,
        loss_limit=_LIMIT,
        loss_limit_mfs=_LIMIT_MFS,
        boxes_not_reported=_DIGITAL,
        boxes_basis_reported=_DA_BASIS,
        boxes_basis_not_reported=_DA_NO_BASIS,
        zero_rate_max=_table("49450", "98900", "49450", "66200"),
        fifteen_rate_max=_table("545500", "613700", "306850", "579600"),
        standard_deduction=_table("16100", "32200", "16100", "24150"),
        itemized_2_37_limit=True,
    ),
}

SUPPORTED_YEARS: tuple[int, ...] = tuple(sorted(PARAMS))


def params_for(year: int) -> YearParams:
    """The record for ``year``; :class:`NotSupported` for any year without one."""
    try:
        return PARAMS[year]
    except KeyError:
        years = ", ".join(str(y) for y in SUPPORTED_YEARS)
        raise NotSupported(f"tax year {year} is not supported (supported: {years})") from None
