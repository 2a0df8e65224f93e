"""Bybit Funding account log ("AssetChangeDetails_fund_<uid>_…csv").

Layouts (exchange-formats.md §5):

* ``bybit-fund`` — ``UID: …`` preamble, then ``Uid,Date & Time(UTC),Coin,QTY,Type,Account
  Balance,Description`` (real sample [ET-files]; a public test suite with fixtures in the
  real layout: ``Earn`` rows "Easy Earn | Flexible Interest Distribution / Redemption",
  ``Convert`` "Small Balance Conversion" legs one second apart, ``Withdraw``).
* ``bybit-fund-v1`` — the same without ``Uid`` [BT-bybit].

Time zone: ``Date & Time(UTC)`` = UTC. ``QTY`` is signed (P17).

Type vocabulary: ``Deposit`` -> Deposit; ``Withdraw``/``Withdrawal`` -> Withdrawal;
``Transfer in``/``Transfer out`` (to/from the Unified Trading or Derivatives account) ->
non-taxable (one pool, tax-rules.md §5.1, U6); ``Earn`` interest/reward distributions ->
Income, subscriptions/redemptions -> non-taxable; ``Airdrop``/``Rewards``/``Bonus`` ->
Income (§4.5 lending interest, airdrops: ordinary income at FMV); ``Fiat`` ("Buy Crypto
with Card") -> Deposit (the card payment is outside the file: basis unknown) or
Withdrawal; ``Convert`` -> one Trade per group of legs within one second (P13 straddling a
second). Unknown types are rejected.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
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
    where,
)

from taxmargin.models import Amount, Deposit, EventBase, Income, Trade, Withdrawal

__all__ = ["LAYOUTS", "BybitFund", "BybitFundV1"]

ACCOUNT = "bybit"
_TIME = "Date & Time(UTC)"
_INCOME_TYPES = frozenset({"airdrop", "rewards", "bonus"})
_EARN_INCOME = ("interest", "reward", "yield")
_EARN_MOVES = ("subscription", "redemption", "auto-earn")


def _event(ctx: RowContext, when: datetime, qty: Decimal, coin: str) -> EventBase | str | None:
    """The event of one row; None = non-taxable; str = what is wrong (column 'Type')."""
    kind = ctx.get("Type").lower()
    desc = ctx.get("Description")
    base = where(when, ACCOUNT, ctx.source)
    note = desc
    if kind in ("transfer in", "transfer out"):
        return None
    if kind == "earn":
        low = desc.lower()
        if any(word in low for word in _EARN_MOVES):
            return None
        if not any(word in low for word in _EARN_INCOME):
            return "Earn row that is neither a distribution nor a subscription/redemption"
        kind = "rewards"
    if kind in ("deposit", "fiat") and qty > 0:
        return Deposit(**base, received=Amount(qty, coin), note=note)
    if kind in ("withdraw", "withdrawal", "fiat") and qty < 0:
        return Withdrawal(**base, sent=Amount(-qty, coin), note=note)
    if kind in _INCOME_TYPES and qty > 0:
        return Income(**base, received=Amount(qty, coin), note=note)
    if kind in ("deposit", "withdraw", "withdrawal", "fiat", *_INCOME_TYPES):
        return "amount has the wrong sign for this type"
    return "unknown transaction type"


class _FundLog(CsvLayout):
    def parse(self, file: FileText) -> ImportResult:
        col = Collector(self.name)
        converts: list[tuple[datetime, RowContext, Decimal]] = []
        for ctx in read_rows(self, file, col):
            when = row_time(ctx, _TIME, UTC)
            qty, coin = number(ctx, "QTY"), ctx.get("Coin").upper()
            if not coin:
                ctx.fail("Coin", "is required")
            if when is None or qty is None or ctx.errors:
                col.reject(ctx.errors)
            elif ctx.get("Type").lower() == "convert":
                converts.append((when, ctx, qty))
            else:
                self._single(col, ctx, when, qty, coin)
        _converts(col, converts)
        return col.result()

    @staticmethod
    def _single(col: Collector, ctx: RowContext, when: datetime, qty: Decimal, coin: str) -> None:
        event = _event(ctx, when, qty, coin)
        if event is None:
            col.skip(ctx.source, f"move between own Bybit accounts ({ctx.get('Description')})")
        elif isinstance(event, str):
            col.fail([ctx.source], "Type", ctx.get("Type"), event)
        else:
            col.event(event, [ctx.source])


def _converts(col: Collector, rows: list[tuple[datetime, RowContext, Decimal]]) -> None:
    """Group conversion legs whose times are at most one second apart."""
    groups: list[list[tuple[datetime, RowContext, Decimal]]] = []
    last: datetime | None = None
    for item in sorted(rows, key=lambda t: (t[0], t[1].source)):
        if last is None or item[0] - last > timedelta(seconds=1):
            groups.append([])
        groups[-1].append(item)
        last = item[0]
    for group in groups:
        flows: dict[str, Decimal] = defaultdict(Decimal)
        for _, ctx, qty in group:
            flows[ctx.get("Coin").upper()] += qty
        shape = assemble_trade(flows, {})
        sources = [ctx.source for _, ctx, _ in group]
        if isinstance(shape, str):
            col.fail(sources, "Type", "Convert", shape)
            continue
        when, first, _ = group[0]
        trade = Trade(time=when, account=ACCOUNT, source=min(sources), sent=shape.sent,
                      received=shape.received, note=first.get("Description") or "conversion")
        col.event(trade, sources)


class BybitFund(_FundLog):
    name = "bybit-fund"
    description = "Bybit Funding account log (UID preamble, Uid column)"
    columns = ("Uid", _TIME, "Coin", "QTY", "Type", "Account Balance", "Description")


class BybitFundV1(_FundLog):
    name = "bybit-fund-v1"
    description = "Bybit Funding account log, older version without Uid"
    columns = (_TIME, "Coin", "QTY", "Type", "Account Balance", "Description")
    strict_columns = True


LAYOUTS: tuple[Layout, ...] = layouts(BybitFund(), BybitFundV1())
