"""The domain model: frozen events, each with a :class:`SourceRef`.

Every ``type`` of the taxmargin CSV (interfaces.md §2) is one class of the closed union
:data:`Event`; the engine matches on the class, never on a string. All amounts are exact
``Decimal``; every time is timezone-aware UTC (the tax *date* is derived later, in
``taxmargin.rules``, from the profile's time zone, tax-rules.md §6.3).

Importers build these values after validating each row (bad rows become
``taxmargin.errors.RowError`` values); the ledger stores them as generic-CSV rows
(``taxmargin.codec``) and loads them back.

Sides (interfaces.md §2):

============== ========= ========== =============================================
class          sent      received   notes
============== ========= ========== =============================================
Trade          required  required   disposal of sent, acquisition of received
Liquidation    required  required   a trade forced by the exchange
Deposit        —         required   ``basis_usd`` / ``acquired`` carried in
Withdrawal     required  —          leaves to an untracked own place
Transfer       required  —          to ``to_account`` (own); basis travels
Borrow         —         required   liability opened; no basis event
Repay          required  —          delivers borrowed units back
Interest       required  —          Form 4952 line 1; crypto paid = disposal
Fee            required  —          stand-alone fee; crypto = disposal
Income         —         required   ordinary income at FMV; opens a lot
Spend          required  —          disposal at FMV
RealizedPnl    loss      gain       exactly one side; ``acquired`` = position open
Funding        paid      received   exactly one side
WriteOff       required  —          exchange cancels part of a liability (U4)
============== ========= ========== =============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

__all__ = [
    "SourceRef",
    "Amount",
    "EventBase",
    "Trade",
    "Liquidation",
    "Deposit",
    "Withdrawal",
    "Transfer",
    "Borrow",
    "Repay",
    "Interest",
    "Fee",
    "Income",
    "Spend",
    "RealizedPnl",
    "Funding",
    "WriteOff",
    "Event",
    "FIAT",
    "EVENT_TYPES",
    "SIDES",
    "USD",
    "STABLECOINS",
]

USD = "USD"
#: Stablecoins priced at $1.00 as an explicit, reported assumption (issue 4, pricing).
STABLECOINS: frozenset[str] = frozenset({"USDT", "USDC", "BUSD", "DAI", "FDUSD", "TUSD", "USDP", "PYUSD"})


#: Government currencies: cash, not capital assets. No lots and no Form 8949 rows; a trade
#: that gives fiat is a cash purchase (fees add to basis), one that receives fiat is a cash
#: sale (fees reduce proceeds), tax-rules.md §4.0(4). Non-USD fiat still needs a USD price.
FIAT: frozenset[str] = frozenset(
    {"USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "NZD", "SGD", "HKD", "KRW", "TRY", "BRL",
     "MXN", "INR", "ZAR", "SEK", "NOK", "DKK", "PLN", "CZK", "RUB", "UAH", "NGN", "ARS", "IDR"}
)


@dataclass(frozen=True, slots=True, order=True)
class SourceRef:
    """Where a value came from: the input file's name and its 1-based physical line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Amount:
    """A positive quantity of one asset (``USD`` is an asset like any other)."""

    quantity: Decimal
    asset: str

    def __str__(self) -> str:
        return f"{self.quantity} {self.asset}"


@dataclass(frozen=True, slots=True, kw_only=True)
class EventBase:
    """Fields every event has.

    ``time`` is aware UTC. ``usd_value`` is the fair market value in USD at ``time`` of the
    event's main units (interfaces.md §2: what was received for trade / liquidation /
    deposit / income / realized_pnl gain / funding received, otherwise what was sent);
    ``None`` until the pricing stage fills it. ``fee_usd`` is the FMV of ``fee``.
    ``lots`` names acquiring events' ``event_id`` for specific identification.
    ``seq`` is a tie-breaker within one source line (several events from one row).
    """

    type_name: ClassVar[str] = ""

    time: datetime
    account: str
    source: SourceRef
    event_id: str = ""
    sent: Amount | None = None
    received: Amount | None = None
    fee: Amount | None = None
    fee_usd: Decimal | None = None
    usd_value: Decimal | None = None
    lots: tuple[str, ...] = ()
    note: str = ""
    seq: int = 0

    @property
    def sort_key(self) -> tuple[datetime, str, int, int]:
        """Deterministic booking order: (time, source path, line, seq) (design.md §4)."""
        return (self.time, self.source.path, self.source.line, self.seq)


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade(EventBase):
    """Disposal of ``sent`` and acquisition of ``received`` (USD sides are neither)."""

    type_name: ClassVar[str] = "trade"


@dataclass(frozen=True, slots=True, kw_only=True)
class Liquidation(Trade):
    """A trade forced by the exchange: taxed exactly like a trade (tax-rules.md §4.2),
    flagged ``liquidation`` on every Form 8949 row it produces."""

    type_name: ClassVar[str] = "liquidation"


@dataclass(frozen=True, slots=True, kw_only=True)
class Deposit(EventBase):
    """Units entering from outside the tracked accounts, with carried-in basis if known."""

    type_name: ClassVar[str] = "deposit"
    basis_usd: Decimal | None = None
    acquired: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdrawal(EventBase):
    """Units leaving to an untracked place of the owner's: not a disposal."""

    type_name: ClassVar[str] = "withdrawal"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(EventBase):
    """A move to ``to_account`` (own): basis and dates travel with the units; a crypto
    fee is a disposal of the fee units (tax-rules.md §4.0(5))."""

    type_name: ClassVar[str] = "transfer"
    to_account: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Borrow(EventBase):
    """Loan proceeds: not income, no basis event; opens a liability (tax-rules.md §4.5)."""

    type_name: ClassVar[str] = "borrow"


@dataclass(frozen=True, slots=True, kw_only=True)
class Repay(EventBase):
    """Repays principal: delivers borrowed units back (closes a short, §4.3)."""

    type_name: ClassVar[str] = "repay"


@dataclass(frozen=True, slots=True, kw_only=True)
class Interest(EventBase):
    """Margin/borrow interest paid: Form 4952 line 1; paid in crypto = also a disposal (§4.4)."""

    type_name: ClassVar[str] = "interest"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fee(EventBase):
    """A stand-alone fee; paying it in crypto is a disposal of the fee units (§4.6)."""

    type_name: ClassVar[str] = "fee"


@dataclass(frozen=True, slots=True, kw_only=True)
class Income(EventBase):
    """Ordinary income at FMV (lending interest, staking, airdrop); opens a lot at that value."""

    type_name: ClassVar[str] = "income"


@dataclass(frozen=True, slots=True, kw_only=True)
class Spend(EventBase):
    """Disposal at FMV for goods or services."""

    type_name: ClassVar[str] = "spend"


@dataclass(frozen=True, slots=True, kw_only=True)
class RealizedPnl(EventBase):
    """Derivatives P&L settled by the exchange (§4.7): ``received`` = gain, ``sent`` = loss.
    ``acquired`` is when the position was opened (holding period start)."""

    type_name: ClassVar[str] = "realized_pnl"
    acquired: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Funding(EventBase):
    """Perpetual funding: ``received`` is ordinary income; ``sent`` is nondeductible (§4.7)."""

    type_name: ClassVar[str] = "funding"


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteOff(EventBase):
    """The exchange absorbs a liquidation deficit: ``sent`` units of a liability are
    cancelled without delivery (tax-rules.md §4.2, §9 U4). Default: the written-off USD
    value is added to the amount realized of the account's latest liquidation, flagged;
    option ``liquidation_deficit = "cod_income"`` makes it ordinary income instead.
    (Extension of interfaces.md §2: generic type ``writeoff``.)"""

    type_name: ClassVar[str] = "writeoff"


Event = (
    Trade
    | Liquidation
    | Deposit
    | Withdrawal
    | Transfer
    | Borrow
    | Repay
    | Interest
    | Fee
    | Income
    | Spend
    | RealizedPnl
    | Funding
    | WriteOff
)

#: Explicit registry: generic-CSV ``type`` -> event class.
EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.type_name: cls
    for cls in (
        Trade,
        Liquidation,
        Deposit,
        Withdrawal,
        Transfer,
        Borrow,
        Repay,
        Interest,
        Fee,
        Income,
        Spend,
        RealizedPnl,
        Funding,
        WriteOff,
    )
}

#: Which sides each type needs: (sent, received) with "req" required, "no" forbidden,
#: "one" meaning exactly one of the two sides must be given (interfaces.md §2 table).
SIDES: dict[str, tuple[str, str]] = {
    "trade": ("req", "req"),
    "liquidation": ("req", "req"),
    "deposit": ("no", "req"),
    "withdrawal": ("req", "no"),
    "transfer": ("req", "no"),
    "borrow": ("no", "req"),
    "repay": ("req", "no"),
    "interest": ("req", "no"),
    "fee": ("req", "no"),
    "income": ("no", "req"),
    "spend": ("req", "no"),
    "realized_pnl": ("one", "one"),
    "funding": ("one", "one"),
    "writeoff": ("req", "no"),
}
