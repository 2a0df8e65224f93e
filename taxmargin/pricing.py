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
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from taxmargin.errors import Diagnostic, InputError, RowError, Severity
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

if TYPE_CHECKING:  # the file reader below needs them; the pricing stage itself does not
    from taxmargin.importers.base import CsvLayout, FileText, RowContext

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
]

#: (time UTC, asset, USD per unit, where it came from: ``FILE:LINE``)
PricePoint = tuple[datetime, str, Decimal, str]

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


class PriceIndex:
    """USD unit prices per asset, sorted by time: nearest-point lookup in O(log n)."""

    def __init__(self, points: Iterable[PricePoint]) -> None:
        rows: dict[str, list[tuple[datetime, Decimal, str]]] = {}
        for time, asset, usd, label in points:
            rows.setdefault(asset.upper(), []).append((time, usd, label))
        self._rows = {asset: sorted(found, key=lambda r: (r[0], r[2])) for asset, found in rows.items()}
        self._times = {asset: [r[0] for r in found] for asset, found in self._rows.items()}

    def __len__(self) -> int:
        return sum(len(found) for found in self._rows.values())

    def nearest(self, asset: str, time: datetime, window: timedelta) -> Decimal | None:
        """The price of the point nearest ``time`` within ``window`` (ties: the earlier)."""
        times = self._times.get(asset)
        if not times:
            return None
        at = bisect.bisect_left(times, time)
        best: tuple[timedelta, int] | None = None
        for index in (at - 1, at):
            if 0 <= index < len(times):
                gap = abs(times[index] - time)
                if gap <= window and (best is None or gap < best[0]):
                    best = (gap, index)
        return None if best is None else self._rows[asset][best[1]][1]


def _usd_like(asset: str) -> bool:
    return asset == USD or asset in STABLECOINS


def implied_points(events: Iterable[EventBase]) -> list[PricePoint]:
    """Unit prices implied by trades: against USD or a stablecoin (at $1.00), or by a
    USD value the file stated for the trade (which prices both sides, an exchange being an
    arm's-length swap of equal values, tax-rules.md §4.0(2))."""
    points: list[PricePoint] = []
    for event in events:
        if not isinstance(event, Trade) or event.sent is None or event.received is None:
            continue
        label = str(event.source)
        sent, received = event.sent, event.received
        if event.usd_value is not None and event.usd_value > 0:
            for side in (sent, received):
                if side.asset != USD and side.quantity > 0:
                    points.append((event.time, side.asset, event.usd_value / side.quantity, label))
            continue
        for cash, other in ((sent, received), (received, sent)):
            if _usd_like(cash.asset) and not _usd_like(other.asset) and other.quantity > 0:
                points.append((event.time, other.asset, cash.quantity / other.quantity, label))
    return points


def _implied_points_of(asset: str, events: Iterable[EventBase]) -> list[PricePoint]:
    """``[p for p in implied_points(events) if p[1].upper() == asset]``, without dividing
    for the points of other assets: the same conditions in the same order, plus the
    asset test before each division."""
    points: list[PricePoint] = []
    for event in events:
        if not isinstance(event, Trade) or event.sent is None or event.received is None:
            continue
        sent, received = event.sent, event.received
        usd_value = event.usd_value
        if usd_value is not None and usd_value > 0:
            for side in (sent, received):
                if side.asset != USD and side.quantity > 0 and side.asset.upper() == asset:
                    points.append((event.time, side.asset, usd_value / side.quantity, str(event.source)))
            continue
        for cash, other in ((sent, received), (received, sent)):
            if (_usd_like(cash.asset) and not _usd_like(other.asset) and other.quantity > 0
                    and other.asset.upper() == asset):
                points.append((event.time, other.asset, cash.quantity / other.quantity, str(event.source)))
    return points


class _ImpliedIndex:
    """``PriceIndex(implied_points(events))``, built asset by asset on first lookup: a
    ledger whose files state its USD values asks for few assets, or none. The trades are
    grouped by the (upper-case) assets they involve in one pass; an asset's points are
    then those ``implied_points`` gives for its trades, in the same order."""

    def __init__(self, events: Sequence[EventBase]) -> None:
        self._events = events
        self._trades: dict[str, list[EventBase]] | None = None
        self._indexes: dict[str, PriceIndex] = {}

    def _group(self) -> dict[str, list[EventBase]]:
        """Each (upper-case) asset's trades, in event order: a trade goes to the list of
        each of its (one or two) assets once."""
        trades: dict[str, list[EventBase]] = {}
        get = trades.get
        for event in self._events:
            if isinstance(event, Trade):
                sent, received = event.sent, event.received
                if sent is None or received is None:
                    continue
                first, second = sent.asset.upper(), received.asset.upper()
                found = get(first)
                if found is None:
                    trades[first] = [event]
                else:
                    found.append(event)
                if second != first:
                    found = get(second)
                    if found is None:
                        trades[second] = [event]
                    else:
                        found.append(event)
        return trades

    def nearest(self, asset: str, time: datetime, window: timedelta) -> Decimal | None:
        index = self._indexes.get(asset)
        if index is None:
            if self._trades is None:
                self._trades = self._group()
            points = _implied_points_of(asset, self._trades.get(asset, ()))
            index = self._indexes[asset] = PriceIndex(points)
        return index.nearest(asset, time, window)


@dataclass
class _Pricer:
    """Looks up USD values through the precedence chain and counts what it used."""

    implied: _ImpliedIndex
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
    pricer = _Pricer(_ImpliedIndex(events), PriceIndex(table), window, Counter(), set())
    diagnostics: list[Diagnostic] = []
    priced = tuple([
        event if event.usd_value is not None and (event.fee_usd is not None or event.fee is None)
        else _price_one(event, pricer, diagnostics)  # the test above is its first line
        for event in events
    ])
    return Priced(priced, tuple(diagnostics), _assumptions(pricer, window))


# ---- the price-table file (``taxmargin prices import FILE.csv``) ------------------------


@dataclass(frozen=True, slots=True)
class PriceTable:
    """What a price-table CSV held: good points, rejected rows, rows read."""

    points: tuple[PricePoint, ...]
    errors: tuple[RowError, ...]
    rows_read: int


def _price_table_layout() -> CsvLayout:
    """The price-table CSV, declared once and read with the importers' row reader
    (imported here so that the pricing stage itself never loads the importers)."""
    from taxmargin.importers.base import CsvLayout

    class PriceTableLayout(CsvLayout):
        name = "price-table"
        description = "taxmargin price table (time, asset, usd)"
        columns = ("time", "asset", "usd")
        extra_columns = ("note",)
        strict_columns = True

    return PriceTableLayout()


def read_price_table(file: FileText) -> PriceTable:
    """Read a user price table: columns ``time`` (ISO 8601, no offset = UTC), ``asset``
    and ``usd`` (USD per unit, > 0), optional ``note``; any other column is an error (as
    in the generic CSV, it catches typos). Bad rows become ``RowError`` values."""
    layout = _price_table_layout()
    if not layout.detect(file):
        head = file.head_lines(1)
        raise InputError(
            f"{file.name}: not a price table: the header must be time, asset, usd "
            f"(optionally note); header seen: {head[0][:200] if head else '(nothing)'}"
        )
    points: list[PricePoint] = []
    errors: list[RowError] = []
    rows_read = 0
    for row in layout.rows(file):
        rows_read += 1
        if isinstance(row, RowError):
            errors.append(row)
            continue
        point = _price_row(row)
        errors.extend(row.errors)
        if point is not None and not row.errors:
            points.append(point)
    return PriceTable(tuple(points), tuple(errors), rows_read)


def _price_row(row: RowContext) -> PricePoint | None:
    time = row.time("time")
    asset = row.get("asset").upper()
    if not asset:
        row.fail("asset", "is required")
    elif not asset.replace(".", "").replace("-", "").isalnum() or len(asset) > 20:
        row.fail("asset", "is not an asset symbol")
    usd = row.decimal("usd")
    if usd is not None and usd <= 0:
        row.fail("usd", "must be a positive USD price per unit")
    if time is None or usd is None or row.errors:
        return None
    return (time, asset, usd, str(row.source))
