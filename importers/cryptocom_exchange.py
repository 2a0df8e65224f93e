"""Crypto.com Exchange 3.0 transaction journal ("OEX_TRANSACTION.csv").

Layout ``cryptocom-oex-transaction`` (exchange-formats.md §11): three preamble lines
(``You understand and agree that...``, ``Export contains maximum 65,000 data...``,
``Export Date: …``) then ``Journal ID,Time (UTC),Event Date,Journal Type,Instrument,Taker
Side,Side,Transaction Quantity,Transaction Cost,Realized PNL,Order ID,Trade ID,Trade
Match ID,Client Order Id``. Sources: public pytest code of a Spanish IRPF tool with this
preamble, header and rows, and its connector [pub-oex-tests] (header re-confirmed by a
code search for this issue); cryptoltruist/cryptoTax ``R/format_CDC_exchange*.R`` [CTX-R];
journal types of the Exchange API ``private/get-transactions`` [CDC-API].

Time zone: ``Time (UTC)`` (milliseconds) = UTC. ``Transaction Quantity`` is the signed
balance change of ``Instrument``; ``USD_Stable_Coin`` (the "USD bundle") is booked as USD
(as in the sample's EXPECTED entry; [CTX-R] books it as USDC).

Journal types: a trade is a double-entry group — ``TRADING`` rows (sold leg negative,
bought leg positive) and ``TRADE_FEE`` rows sharing ``Order ID`` and ``Trade ID``; one
fill (``Trade ID``) is one Trade event with id ``cryptocom:<Trade ID>``, fills of one order
at different milliseconds stay separate fills (the order id is in the note). Fees in both
traded assets: the received-asset fee is ``Trade.fee``, the sent-asset fee is added to the
amount sent (tax-rules.md §4.0(4)). ``ONCHAIN_DEPOSIT``, ``OFFCHAIN_DEPOSIT``,
``FIAT_OPENPAYD_DEPOSIT`` -> Deposit; ``ONCHAIN_WITHDRAWAL``, ``OFFCHAIN_WITHDRAWAL`` ->
Withdrawal; ``SOFT_STAKE_REWARD``, ``CORRECTION_REWARD`` -> Income;
``MARGIN_TRADE_INTEREST`` -> Interest (Form 4952, tax-rules.md §3.2, §4.4);
``LIQUIDATION_FEE`` -> Fee flagged as a liquidation fee; the forced sale itself is ordinary
``TRADING`` rows the file does not mark (§14): fills of the same millisecond as the fee
are booked as a Liquidation (a heuristic, unverified), and a diagnostic says so; ``FUNDING`` -> Funding,
``REALIZED_PNL``/``SESSION_SETTLE``/``SETTLEMENT_FEE`` -> RealizedPnl by the sign of the
quantity (perpetuals, §4.7; which column moves the balance for these is unverified, §11).
Rows with quantity 0 change nothing (non-taxable). There are no borrow or repay journal
types: spot-margin borrowing is only a negative balance (unverified, §11), so no Borrow
events are made. Unknown types are rejected; a repeated ``Journal ID`` is rejected.
Account name ``cryptocom``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from taxmargin.importers.base import (
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    RowContext,
)
from taxmargin.importers.bybit_shared import (
    Collector,
    assemble_trade,
    layouts,
    number,
    read_rows,
    row_time,
    trade_events,
    where,
)

from taxmargin.models import (
    Amount,
    Deposit,
    EventBase,
    Fee,
    Funding,
    Income,
    Interest,
    Liquidation,
    RealizedPnl,
    Trade,
    Withdrawal,
)

__all__ = ["LAYOUTS", "CryptocomOexTransaction"]

ACCOUNT = "cryptocom"
_TRADE_TYPES = frozenset({"TRADING", "TRADE_FEE"})
_DEPOSITS = frozenset({"ONCHAIN_DEPOSIT", "OFFCHAIN_DEPOSIT", "FIAT_OPENPAYD_DEPOSIT"})
_WITHDRAWALS = frozenset({"ONCHAIN_WITHDRAWAL", "OFFCHAIN_WITHDRAWAL"})
_INCOME = frozenset({"SOFT_STAKE_REWARD", "CORRECTION_REWARD"})
_PNL = frozenset({"REALIZED_PNL", "SESSION_SETTLE", "SETTLEMENT_FEE"})
_OTHER = frozenset({"MARGIN_TRADE_INTEREST", "LIQUIDATION_FEE", "FUNDING"})
_KNOWN = _TRADE_TYPES | _DEPOSITS | _WITHDRAWALS | _INCOME | _PNL | _OTHER
_ASSETS = {"USD_STABLE_COIN": "USD"}


@dataclass(frozen=True, slots=True)
class _Row:
    ctx: RowContext
    time: datetime
    kind: str
    asset: str
    qty: Decimal


def _asset(ctx: RowContext) -> str:
    raw = ctx.get("Instrument").upper()
    asset = _ASSETS.get(raw, raw)
    if not asset or "_" in asset or "-" in asset:
        ctx.fail("Instrument", "not a plain asset (derivative instruments' settlement asset is not stated)")
    return asset


def _single(row: _Row) -> EventBase | str:
    base = where(row.time, ACCOUNT, row.ctx.source)
    kind, amount = row.kind, Amount(abs(row.qty), row.asset)
    event_id = f"{ACCOUNT}:journal:{row.ctx.get('Journal ID')}"
    incoming = row.qty > 0
    if kind in _PNL:
        side = {"received": amount} if incoming else {"sent": amount}
        return RealizedPnl(**base, received=side.get("received"), sent=side.get("sent"),
                           note=kind.lower(), event_id=event_id)
    if kind == "FUNDING":
        return Funding(**base, received=amount if incoming else None, sent=None if incoming else amount,
                       note="funding", event_id=event_id)
    expects_in = kind in _DEPOSITS or kind in _INCOME
    if incoming != expects_in:
        return "the sign of Transaction Quantity does not fit this journal type"
    if kind in _DEPOSITS:
        return Deposit(**base, received=amount, note=kind.lower(), event_id=event_id)
    if kind in _INCOME:
        return Income(**base, received=amount, note=kind.lower(), event_id=event_id)
    if kind in _WITHDRAWALS:
        return Withdrawal(**base, sent=amount, note=kind.lower(), event_id=event_id)
    if kind == "MARGIN_TRADE_INTEREST":
        return Interest(**base, sent=amount, note="margin interest", event_id=event_id)
    return Fee(**base, sent=amount, note="liquidation fee", event_id=event_id)


def _fill(col: Collector, key: tuple[str, str], rows: list[_Row], liquidations: set[datetime]) -> None:
    """One fill: its TRADING legs and TRADE_FEE rows; a Liquidation when a
    ``LIQUIDATION_FEE`` row has the same millisecond."""
    flows: dict[str, Decimal] = defaultdict(Decimal)
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.kind == "TRADING":
            flows[row.asset] += row.qty
        else:
            fees[row.asset] -= row.qty
    shape = assemble_trade(flows, fees)
    sources = [r.ctx.source for r in rows]
    if isinstance(shape, str):
        col.fail(sources, "Journal Type", rows[0].kind, shape)
        return
    order, trade = key
    first = min(rows, key=lambda r: r.ctx.source)
    forced = any(r.time in liquidations for r in rows)
    cls = Liquidation if forced else Trade
    template = cls(time=min(r.time for r in rows), account=ACCOUNT, source=first.ctx.source,
                     event_id=f"{ACCOUNT}:trade:{trade}" if trade not in ("", "0") else f"{ACCOUNT}:order:{order}",
                     note=f"order {order}" + (" (forced: liquidation fee at the same time)" if forced else ""))
    trade_events(shape, template, col, sources)


class CryptocomOexTransaction(CsvLayout):
    name = "cryptocom-oex-transaction"
    description = "Crypto.com Exchange 3.0 transaction journal (OEX_TRANSACTION)"
    columns = ("Journal ID", "Time (UTC)", "Event Date", "Journal Type", "Instrument", "Taker Side", "Side",
               "Transaction Quantity", "Transaction Cost", "Realized PNL", "Order ID", "Trade ID",
               "Trade Match ID", "Client Order Id")

    def parse(self, file: FileText) -> ImportResult:
        col = Collector(self.name)
        fills: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        journal: dict[str, int] = {}
        liquidations: set[datetime] = set()
        for ctx in read_rows(self, file, col):
            row = self._row(ctx, journal)
            if row is None:
                col.reject(ctx.errors)
            elif row.kind in _TRADE_TYPES:
                fills[(ctx.get("Order ID"), ctx.get("Trade ID"))].append(row)
            elif row.qty == 0:
                col.skip(ctx.source, "no balance change")
            else:
                event = _single(row)
                if isinstance(event, str):
                    col.fail([ctx.source], "Transaction Quantity", ctx.get("Transaction Quantity"), event)
                    continue
                col.event(event, [ctx.source])
                if row.kind == "LIQUIDATION_FEE":
                    liquidations.add(row.time)
                    col.warn("liquidation", "liquidation fee: TRADING rows of the same millisecond are "
                             "booked as the forced sale; others are not marked in this file", ctx.source)
        for key, rows in fills.items():
            _fill(col, key, rows, liquidations)
        return col.result()

    @staticmethod
    def _row(ctx: RowContext, journal: dict[str, int]) -> _Row | None:
        when = row_time(ctx, "Time (UTC)", UTC)
        qty = number(ctx, "Transaction Quantity")
        kind = ctx.get("Journal Type").upper()
        if kind not in _KNOWN:
            ctx.fail("Journal Type", "unknown journal type")
        asset = _asset(ctx)
        journal_id = ctx.get("Journal ID")
        if not journal_id:
            ctx.fail("Journal ID", "is required")
        elif journal.setdefault(journal_id, ctx.source.line) != ctx.source.line:
            ctx.fail("Journal ID", f"repeats the Journal ID of line {journal[journal_id]}")
        if kind in _TRADE_TYPES and ctx.get("Order ID") in ("", "0"):
            ctx.fail("Order ID", "a trading row needs its order id")
        if when is None or qty is None or ctx.errors:
            return None
        return _Row(ctx, when, kind, asset, qty)


LAYOUTS: tuple[Layout, ...] = layouts(CryptocomOexTransaction())
