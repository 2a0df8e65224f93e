"""The pricing stage: every event valued in USD, or a ``missing-price`` diagnostic.

Input: events from the ledger (after transfer matching) and the user's price table;
output: the same events with ``usd_value`` and ``fee_usd`` filled where they were ``None``
(interfaces.md §2 semantics: ``usd_value`` is the FMV of the *received* side for trade /
liquidation / deposit / income / realized_pnl gain / funding received, of the *sent* side
otherwise). FMV is taken at the date and time of the event [tax-rules.md §4.0(3);
N2014-21 A-5], from the first source that knows it, in this order:

1. the value the file gave (kept as is);
2. USD amounts: a USD side is its own value, a USD fee its quantity;
3. stablecoins (``models.STABLECOINS``) at $1.00, an explicit assumption listed in
   ``Priced.assumptions`` (tax-rules.md §4.9: they are still property, valued at par);
4. the event's own exchange rate for a fee paid in one of the traded assets;
5. the price implied by a trade of the same asset against USD or a stablecoin (or a trade
   whose file gave a USD value) within ``window`` of the event, the nearest in time;
6. the user price table (``taxmargin prices import``): the nearest point within 24 hours.

Nothing found: the value stays ``None`` and a ``missing-price`` warning names the row; the
engine then uses 0 with its own diagnostic, so a gap is never silent. A deposit's carried-in
*basis* is never priced here (it is the user's number, tax-rules.md §5.1). Pure: no I/O.

The price indexes (user table and trade-implied) are in :mod:`taxmargin.pricing_index`,
the price-table file reader in :mod:`taxmargin.pricing_table`; both re-exported here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from taxmargin.errors import Diagnostic, Severity
from taxmargin.gcpause import gc_paused
from taxmargin.models import (
    FIAT,
    STABLECOINS,
    USD,
    Amount,
    Borrow,
    Deposit,
    EventBase,
    Fee,
    Funding,
    Income,
    Interest,
    RealizedPnl,
    Spend,
    Trade,
    WriteOff,
)
from taxmargin.pricing_index import ImpliedIndex, PriceIndex, PricePoint, implied_points
from taxmargin.pricing_table import PriceTable, read_price_table

__all__ = [
    "PricePoint",
    "Priced",
    "PriceIndex",
    "price_events",
    "main_side",
    "PriceTable",
    "read_price_table",
    "TRADE_WINDOW",
    "TABLE_WINDOW",
    "implied_points",
]


TRADE_WINDOW = timedelta(hours=1)
TABLE_WINDOW = timedelta(hours=24)
ONE = Decimal(1)

#: Events whose main value enters a form (proceeds, basis, income or interest); a missing
#: value on the others (deposit, withdrawal, transfer, borrow, repay) changes no number.
_VALUE_NEEDED: tuple[type[EventBase], ...] = (
    Trade, Income, Interest, Fee, Spend, RealizedPnl, Funding, WriteOff,
)
#: Events valued by what was received (interfaces.md §2); ``Borrow`` has no sent side.
_RECEIVED_MAIN: tuple[type[EventBase], ...] = (Trade, Deposit, Income, Borrow, RealizedPnl, Funding)


@dataclass(frozen=True, slots=True)
class Priced:
    """The pricing stage's result: valued events, gaps as diagnostics, assumptions used."""

    events: tuple[EventBase, ...]
    diagnostics: tuple[Diagnostic, ...]
    assumptions: tuple[str, ...]


def main_side(event: EventBase) -> Amount | None:
    """The units ``usd_value`` measures (interfaces.md §2): received for trade, liquidation,
    deposit, income, borrow and the gain / received leg of realized_pnl and funding; sent
    otherwise."""
    if isinstance(event, _RECEIVED_MAIN):
        return event.received or event.sent
    return event.sent or event.received


@dataclass
class _Pricer:
    """Looks up USD values through the precedence chain and counts what it used."""

    implied: ImpliedIndex
    table: PriceIndex
    window: timedelta
    used: Counter[str]
    stablecoins: set[str]

    def unit_price(self, asset: str, time: datetime, level: str) -> Decimal | None:
        if level == "usd":
            return ONE if asset == USD else None
        if level == "stablecoin":
            return ONE if asset in STABLECOINS else None
        if level == "implied":
            return self.implied.nearest(asset, time, self.window)
        return self.table.nearest(asset, time, TABLE_WINDOW)

    def value(self, sides: Sequence[Amount], time: datetime, own_rate: dict[str, Decimal]) -> Decimal | None:
        """USD value of the first side any source can price, sources in precedence order."""
        for level in ("usd", "stablecoin", "own", "implied", "table"):
            for side in sides:
                price = own_rate.get(side.asset) if level == "own" else self.unit_price(side.asset, time, level)
                if price is not None:
                    self.used[level] += 1
                    if level == "stablecoin":
                        self.stablecoins.add(side.asset)
                    return side.quantity * price
        return None


def _value_sides(event: EventBase) -> list[Amount]:
    """Sides whose value equals ``usd_value``: a trade's two sides are worth the same
    (either prices it, received first); other events only their main side."""
    if isinstance(event, Trade):
        return [side for side in (event.received, event.sent) if side is not None]
    side = main_side(event)
    return [] if side is None else [side]


def _fee_matters(event: EventBase, fee: Amount) -> bool:
    """A crypto fee is a disposal (tax-rules.md §4.6) and a fee on a valued event is a
    cost of it (§4.0(4)); a cash fee on a deposit, withdrawal, transfer or loan changes no
    number (cash has no lots), so its missing price is no gap."""
    return fee.asset not in FIAT or isinstance(event, _VALUE_NEEDED)


def _missing(event: EventBase, what: Amount, role: str) -> Diagnostic:
    return Diagnostic(
        Severity.WARNING,
        "missing-price",
        f"no USD price for {what} ({event.type_name} {role}) at {event.time.isoformat()}: "
        "the engine uses $0; give the row a usd value or add a price with "
        "'taxmargin prices import'",
        event.source,
    )


def _price_one(event: EventBase, pricer: _Pricer, diagnostics: list[Diagnostic]) -> EventBase:
    usd_value, fee_usd = event.usd_value, event.fee_usd
    if usd_value is not None and (fee_usd is not None or event.fee is None):
        return event  # nothing to fill (the file stated every value)
    sides = _value_sides(event)
    if usd_value is None and sides:
        usd_value = pricer.value(sides, event.time, {})
        if usd_value is None and isinstance(event, _VALUE_NEEDED):
            diagnostics.append(_missing(event, sides[0], "value"))
    if event.fee is not None and fee_usd is None:
        own = {s.asset: usd_value / s.quantity for s in sides if usd_value is not None and s.quantity > 0}
        fee_usd = pricer.value([event.fee], event.time, own)
        if fee_usd is None and _fee_matters(event, event.fee):
            diagnostics.append(_missing(event, event.fee, "fee"))
    if usd_value is event.usd_value and fee_usd is event.fee_usd:
        return event
    return replace(event, usd_value=usd_value, fee_usd=fee_usd)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _assumptions(pricer: _Pricer, window: timedelta) -> tuple[str, ...]:
    used = pricer.used
    notes: list[str] = []
    if pricer.stablecoins:
        names = ", ".join(sorted(pricer.stablecoins))
        notes.append(
            f"stablecoins valued at $1.00 per unit: {names} ({_count(used['stablecoin'], 'value')}; tax-rules.md §4.9)"
        )
    if used["own"]:
        notes.append(f"{_count(used['own'], 'fee')} valued at the exchange rate of the trade paying it")
    if used["implied"]:
        minutes = int(window.total_seconds() // 60)
        notes.append(
            f"{_count(used['implied'], 'value')} from the nearest trade against USD or a stablecoin "
            f"within {minutes} minutes"
        )
    if used["table"]:
        notes.append(f"{_count(used['table'], 'value')} from the user price table (nearest point within 24 hours)")
    return tuple(notes)


@gc_paused()  # one new event per priced event, no reference cycles (taxmargin.gcpause)
def price_events(
    events: Sequence[EventBase],
    table: Sequence[PricePoint] = (),
    *,
    window: timedelta = TRADE_WINDOW,
) -> Priced:
    """Fill ``usd_value`` and ``fee_usd`` where ``None`` (module docstring for the order).

    ``table`` is the user's price table: ``(time, asset, usd_per_unit, source)``.
    Events keep their order; an event with nothing to fill is returned unchanged.
    """
    pricer = _Pricer(ImpliedIndex(events), PriceIndex(table), window, Counter(), set())
    diagnostics: list[Diagnostic] = []
    priced = tuple([
        event if event.usd_value is not None and (event.fee_usd is not None or event.fee is None)
        else _price_one(event, pricer, diagnostics)  # the test above is its first line
        for event in events
    ])
    return Priced(priced, tuple(diagnostics), _assumptions(pricer, window))
