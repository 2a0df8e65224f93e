"""What the engine produces: frozen, slotted values (design.md §3–§4).

The engine (``taxmargin.engine``) turns priced events into a :class:`Booking`. Everything
here is exact (no rounding) and carries its sources; the tax *date*, term and box are
decided later by ``taxmargin.rules`` from these UTC times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from taxmargin.errors import Diagnostic
from taxmargin.models import SourceRef

__all__ = [
    "Purpose",
    "Term",
    "Disposal",
    "IncomeItem",
    "InterestPayment",
    "FundingPayment",
    "OpenLot",
    "OpenShort",
    "Liability",
    "Booking",
]


class Purpose(StrEnum):
    """Why units were disposed of; shapes the Form 8949 description (tax-rules.md §1.3)."""

    SALE = "sale"  # trade / liquidation
    INTEREST = "interest"  # margin interest paid in crypto (§4.4)
    FEE = "fee"  # fee paid in another asset or stand-alone fee (§4.6)
    TRANSFER_FEE = "transfer-fee"  # network fee of an own-account transfer (§4.0(5))
    SPEND = "spend"
    PNL = "pnl"  # perpetual / futures realized P&L row (§4.7)
    SHORT = "short"  # a short sale closed by delivery (§4.3)
    FUNDING = "funding"  # funding paid in crypto: disposal of the paid units


class Term(StrEnum):
    SHORT = "short"
    LONG = "long"


@dataclass(frozen=True, slots=True)
class Disposal:
    """One (disposal, lot consumed) pair: exactly one Form 8949 row before rounding.

    ``acquired`` is the lot's acquisition time (for a short sale: when the covering units
    were acquired, I8949 col (b)); ``disposed`` is the sale time (for a short: delivery,
    col (c)). ``proceeds_usd`` is net of selling costs; ``basis_usd`` includes purchase
    costs. A perpetual P&L gain has proceeds = gain and basis 0; a loss has proceeds 0
    and basis = loss (I8949 "sales price or basis isn't known"). ``term_override``
    is set only where a rule fixes the term regardless of dates (short against the box,
    U2). ``sources[0]`` is the disposal's row, the rest are the rows that acquired the lot.
    """

    account: str
    asset: str
    quantity: Decimal
    acquired: datetime
    disposed: datetime
    proceeds_usd: Decimal
    basis_usd: Decimal
    purpose: Purpose = Purpose.SALE
    short_sale: bool = False
    liquidation: bool = False
    missing_basis: bool = False
    term_override: Term | None = None
    sources: tuple[SourceRef, ...] = ()
    event_id: str = ""
    lot_id: str = ""

    @property
    def gain_usd(self) -> Decimal:
        return self.proceeds_usd - self.basis_usd


@dataclass(frozen=True, slots=True)
class IncomeItem:
    """Ordinary income at FMV when received (income events, funding received)."""

    time: datetime
    account: str
    asset: str
    quantity: Decimal
    usd_value: Decimal
    kind: str  # "income" | "funding"
    source: SourceRef


@dataclass(frozen=True, slots=True)
class InterestPayment:
    """Investment interest paid (Form 4952 line 1) at its USD value at ``time`` (§3.6).

    ``personal_use_flag`` marks interest on a loan whose proceeds left the account
    (§3.2 tracing: the user must allocate it).
    """

    time: datetime
    account: str
    asset: str
    quantity: Decimal
    usd_value: Decimal
    source: SourceRef
    personal_use_flag: bool = False


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """Perpetual funding paid: tracked, not deductible (§4.7, U3 default)."""

    time: datetime
    account: str
    asset: str
    quantity: Decimal
    usd_value: Decimal
    source: SourceRef


@dataclass(frozen=True, slots=True)
class OpenLot:
    account: str
    asset: str
    quantity: Decimal
    basis_usd: Decimal
    acquired: datetime
    source: SourceRef
    lot_id: str = ""


@dataclass(frozen=True, slots=True)
class OpenShort:
    """Units sold short and not yet delivered (reported nowhere until closed, §4.3)."""

    account: str
    asset: str
    quantity: Decimal
    proceeds_usd: Decimal
    opened: datetime
    source: SourceRef


@dataclass(frozen=True, slots=True)
class Liability:
    """Outstanding borrowed units of one asset in one account."""

    account: str
    asset: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Booking:
    """The engine's whole result for the events it was given (all years up to ``until``)."""

    disposals: tuple[Disposal, ...]
    income: tuple[IncomeItem, ...]
    interest: tuple[InterestPayment, ...]
    funding_paid: tuple[FundingPayment, ...]
    open_lots: tuple[OpenLot, ...]
    open_shorts: tuple[OpenShort, ...]
    liabilities: tuple[Liability, ...]
    diagnostics: tuple[Diagnostic, ...]
    options: tuple[tuple[str, str], ...] = ()  # (option name, value used) for the report
