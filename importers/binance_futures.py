"""binance.com USDⓈ-M / COIN-M futures transaction history (exchange-formats.md §1.2).

Header ``Date(UTC),type,Amount,Asset,Symbol,Transaction ID`` [BT-binance]; ``type`` values
``REALIZED_PNL``, ``COMMISSION``, ``FUNDING_FEE``, ``COIN_SWAP_DEPOSIT``,
``COIN_SWAP_WITHDRAW``, ``DEPOSIT``, ``WITHDRAW``, ``TRANSFER`` [BT-binance], and from the
API ``INSURANCE_CLEAR``, ``REFERRAL_KICKBACK``, ``COMMISSION_REBATE`` [pub-go-binance].
``Amount`` is signed. Time zone: ``Date(UTC)`` states UTC.

Events (tax-rules.md §4.7): REALIZED_PNL -> RealizedPnl (gain received / loss sent);
COMMISSION -> RealizedPnl loss (perp trading fees are part of the position's P&L, §4.7(4));
FUNDING_FEE -> Funding (received / paid); INSURANCE_CLEAR -> RealizedPnl by sign (the
liquidation clearance fee is a loss of the liquidated position); rebates -> Income;
COIN_SWAP_DEPOSIT + COIN_SWAP_WITHDRAW rows sharing a Transaction ID -> one Trade;
DEPOSIT / WITHDRAW / TRANSFER are moves between the futures and spot wallets of the same
exchange account: non-taxable (one pool, U6).

``event_id`` = ``binance-futures:<Transaction ID>:<type>``. The same id and type twice in
one file is a RowError on the later row (column ``Transaction ID``); coin swaps are the only
type whose rows share an id.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from taxmargin.errors import RowError
from taxmargin.importers.base import CsvLayout, FileText, ImportResult, Layout, RowContext
from taxmargin.importers.binance_common import as_layouts, Collector, parse_exchange_time, valid_asset
from taxmargin.importers.binance_groups import Leg, group_events
from taxmargin.models import Amount, EventBase, Funding, Income, RealizedPnl, SourceRef

__all__ = ["FuturesTransactions", "LAYOUTS"]

ACCOUNT = "binance"
_SWAP = ("COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW")
_INTERNAL = ("DEPOSIT", "WITHDRAW", "TRANSFER", "CROSS_COLLATERAL_TRANSFER")
_INCOME = ("REFERRAL_KICKBACK", "COMMISSION_REBATE", "API_REBATE", "WELCOME_BONUS", "CONTEST_REWARD")
_SIGNED = ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE", "INSURANCE_CLEAR")
KNOWN_TYPES = frozenset((*_SWAP, *_INTERNAL, *_INCOME, *_SIGNED))


def _event(ctx: RowContext, kind: str, quantity: Decimal, asset: str) -> EventBase:
    """The event of one non-swap row: side by sign (module doc)."""
    cls: type[EventBase] = Funding if kind == "FUNDING_FEE" else RealizedPnl
    if kind in _INCOME or (kind == "COMMISSION" and quantity > 0):
        cls = Income
    amount = Amount(abs(quantity), asset)
    txid = ctx.get("Transaction ID")
    return cls(time=parse_exchange_time(ctx.get("Date(UTC)")), account=ACCOUNT, source=ctx.source,
               event_id=f"binance-futures:{txid}:{kind}", note=f"futures {kind} {ctx.get('Symbol')}".strip(),
               sent=None if quantity > 0 else amount, received=amount if quantity > 0 else None)


class FuturesTransactions(CsvLayout):
    name = "binance-futures-transactions"
    description = "binance.com futures transaction history (Date(UTC),type,Amount,Asset,Symbol,Transaction ID)"
    columns = ("Date(UTC)", "type", "Amount", "Asset", "Symbol", "Transaction ID")
    strict_columns = True

    def _read(self, ctx: RowContext) -> tuple[str, Decimal, str] | None:
        raw_time = ctx.get("Date(UTC)")
        try:
            parse_exchange_time(raw_time)
        except ValueError as exc:
            ctx.fail("Date(UTC)", "is required" if not raw_time else str(exc))
        kind = ctx.get("type").upper()
        if kind not in KNOWN_TYPES:
            ctx.fail("type", "is required" if not kind else "unknown futures transaction type")
        quantity = ctx.decimal("Amount", signed=True)
        asset = ctx.get("Asset")
        if not valid_asset(asset):
            ctx.fail("Asset", "is required" if not asset else "not an asset code")
        if not ctx.get("Transaction ID"):
            ctx.fail("Transaction ID", "is required")
        if ctx.errors or quantity is None:
            return None
        return kind, quantity, asset

    def parse(self, file: FileText) -> ImportResult:
        out = Collector(self.name)
        seen: dict[tuple[str, str], SourceRef] = {}
        swaps: dict[str, list[tuple[RowContext, Leg]]] = {}
        for item in self.rows(file):
            out.rows_read += 1
            if isinstance(item, RowError):
                out.reject([item])
                continue
            read = self._read(item)
            if read is None:
                out.reject(item.errors)
                continue
            kind, quantity, asset = read
            txid = item.get("Transaction ID")
            if kind not in _SWAP and (txid, kind) in seen:
                out.fail(item.source, "Transaction ID", txid, f"repeats the id and type of line {seen[(txid, kind)].line}")
                continue
            seen[(txid, kind)] = item.source
            self._row(item, kind, quantity, asset, out, swaps)
        self._swaps(swaps, out)
        return out.result()

    def _row(self, ctx: RowContext, kind: str, quantity: Decimal, asset: str, out: Collector,
             swaps: dict[str, list[tuple[RowContext, Leg]]]) -> None:
        time = parse_exchange_time(ctx.get("Date(UTC)"))
        txid = ctx.get("Transaction ID")
        if quantity == 0:
            out.skip(ctx.source, "Amount is zero: no balance effect")
        elif kind in _SWAP:
            swaps.setdefault(txid, []).append((ctx, Leg(time, ctx.source, asset, quantity, False)))
        elif kind in _INTERNAL:
            out.skip(ctx.source, f"{kind}: move between the futures and spot wallets of one account (U6)")
        elif kind in _INCOME and quantity < 0:
            out.fail(ctx.source, "Amount", ctx.get("Amount"), f"must be positive for type '{kind}'")
        else:
            out.event(_event(ctx, kind, quantity, asset))

    def _swaps(self, swaps: dict[str, list[tuple[RowContext, Leg]]], out: Collector) -> None:
        for txid, rows in swaps.items():
            legs = [leg for _, leg in rows]
            outcome = group_events(legs, account=ACCOUNT, note=f"futures coin swap {txid}")
            for event, count in outcome.events:
                out.event(_with_id(event, f"binance-futures:{txid}:COIN_SWAP"), count)
            out.reject(outcome.errors)
            out.diagnostics.extend(outcome.diagnostics)


def _with_id(event: EventBase, event_id: str) -> EventBase:
    return dataclasses.replace(event, event_id=event_id if event.seq == 0 else f"{event_id}:{event.seq}")


LAYOUTS: tuple[Layout, ...] = as_layouts(FuturesTransactions())
