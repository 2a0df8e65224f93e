"""KuCoin account history ledger ("Account History_<account>.csv"), including cross and
isolated margin accounts.

Layout ``kucoin-account-history`` (exchange-formats.md §6, §13): ``UID,Account Type,
Currency,Side,Amount,Fee,Time(UTC…),Remark,Type`` — header verified for the spot ledger by
[BT-kucoin]; the margin members share it in jal's synthetic fixture builder [JAL]. BOM and
CRLF line ends are read transparently (P1).

Semantics [JAL]: ``Side`` ``Deposit``/``Withdrawal`` gives the direction, ``Amount`` is
positive and already includes ``Fee``. A trade is one row per currency at the same second,
with no pair or order id (P13): rows of one trade type at one second are one trade when
they move exactly two currencies, otherwise adjacent rows are paired in file order; a row
left alone is rejected ("trade leg without its counter-leg").

``Type`` vocabulary. Spot [JAL] [BT-kucoin] [pub-kucoin-ts]: ``Spot``, ``Convert Dust to
KCS``, ``Convert Market`` (trades); ``Deposit``, ``Fiat Deposit``, ``Withdraw``; ``Transfer``
(between own KuCoin accounts: one pool, U6 -> non-taxable); ``KuCoin Earn Locked``/
``KuCoin Earn Redemptions`` (non-taxable); ``KuCoin Earn Profits``, ``Hold to Earn
Earnings``, ``Referral Bonus``, ``Earn Rate-Up Coupon``, ``Deduction Coupon Refund``, and
any deposit whose ``Remark`` says ``Distribution`` (income). Margin — **unverified
guesses** from KuCoin's API bizType names as mapped by ccxt [CCXT-kucoin], as in the
constructed sample: ``Borrowings`` -> Borrow; ``Margin Trade`` -> trade; ``Debt
Repayment`` -> Repay, with the part above the principal borrowed earlier in the file
booked as Interest (interest is folded into the repayment, §13; tax-rules.md §4.4);
``Liquidation Fees`` -> Fee (tax-rules.md §4.2), and the margin trades of that second
become a Liquidation. Unknown types are rejected.

Time zone: the header's offset (``Time(UTC+02:00)``) is honoured (P10). Placeholder rows
``No matching records found.`` (P16) are non-taxable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from taxmargin.importers.base import FileText, ImportResult, Layout, RowContext
from taxmargin.importers.bybit_shared import (
    Collector,
    OffsetHeaderLayout,
    assemble_trade,
    layouts,
    number,
    read_rows,
    row_time,
    trade_events,
    where,
)
from taxmargin.importers.kucoin_orders import is_placeholder

from taxmargin.models import (
    Amount,
    Borrow,
    Deposit,
    EventBase,
    Fee,
    Income,
    Interest,
    Liquidation,
    Repay,
    Trade,
    Withdrawal,
)
from taxmargin.money import ZERO

__all__ = ["LAYOUTS", "KucoinAccountHistory"]

ACCOUNT = "kucoin"
_TRADE_TYPES = {"spot": "trade", "margin trade": "trade", "convert dust to kcs": "dust",
                "convert market": "convert", "convert": "convert"}
_INCOME = frozenset({"kucoin earn profits", "hold to earn earnings", "referral bonus", "earn rate-up coupon",
                     "deduction coupon refund"})
_MOVES = frozenset({"transfer", "kucoin earn locked", "kucoin earn redemptions"})
_DEPOSITS = frozenset({"deposit", "fiat deposit"})
_ONE_ROW = frozenset({"withdraw", "borrowings", "debt repayment", "liquidation fees"})


@dataclass(frozen=True, slots=True)
class _Row:
    ctx: RowContext
    time: datetime
    currency: str
    incoming: bool
    amount: Decimal  # balance change magnitude, fee included
    fee: Decimal
    kind: str  # Type, lower case

    @property
    def flow(self) -> Decimal:
        """Gross signed flow before the fee (Deposit: Amount + Fee; Withdrawal: Amount - Fee)."""
        return self.amount + self.fee if self.incoming else -(self.amount - self.fee)


def _read(ctx: RowContext, time_col: str, zone: tzinfo) -> _Row | None:
    when = row_time(ctx, time_col, zone)
    currency = ctx.get("Currency").upper()
    if not currency:
        ctx.fail("Currency", "is required")
    side = ctx.get("Side").lower()
    if side not in ("deposit", "withdrawal"):
        ctx.fail("Side", "must be Deposit or Withdrawal")
    amount, fee = number(ctx, "Amount"), number(ctx, "Fee", required=False)
    for column, value in (("Amount", amount), ("Fee", fee)):
        if value is not None and value < 0:
            ctx.fail(column, "must not be negative (Side gives the direction)")
    kind = ctx.get("Type").lower()
    known = kind in _TRADE_TYPES or kind in _INCOME or kind in _MOVES or kind in _DEPOSITS or kind in _ONE_ROW
    airdrop = "distribution" in ctx.get("Remark").lower() and side == "deposit"
    if not known and not airdrop:
        ctx.fail("Type", "unknown transaction type")
    if ctx.errors or when is None or amount is None or fee is None:
        return None
    if fee > amount and side == "withdrawal":
        ctx.fail("Fee", "is larger than Amount, which includes it")
        return None
    return _Row(ctx, when, currency, side == "deposit", amount, fee, kind)


def _single(row: _Row, debt: dict[str, Decimal]) -> list[EventBase] | str | None:
    """Events of a one-row type; None = non-taxable move; str = what is wrong."""
    base = where(row.time, ACCOUNT, row.ctx.source)
    fee = Amount(row.fee, row.currency) if row.fee else None
    net = Amount(row.amount, row.currency)
    kind, expects_in = row.kind, row.kind not in ("withdraw", "debt repayment", "liquidation fees")
    if kind in _MOVES:
        return None
    if row.incoming != expects_in:
        return f"Side {'Deposit' if row.incoming else 'Withdrawal'} does not fit this type"
    if kind == "borrowings":
        debt[row.currency] = debt.get(row.currency, ZERO) + row.amount
        return [Borrow(**base, received=net)]
    if kind == "debt repayment":
        return _repay(row, debt)
    if kind == "liquidation fees":
        return [Fee(**base, sent=net, note="liquidation fee")]
    if kind == "withdraw":
        return [Withdrawal(**base, sent=Amount(row.amount - row.fee, row.currency), fee=fee)]
    gross = Amount(row.amount + row.fee, row.currency)
    if kind in _DEPOSITS:
        return [Deposit(**base, received=gross, fee=fee)]
    return [Income(**base, received=gross, fee=fee, note=row.ctx.get("Type") or row.ctx.get("Remark"))]


def _repay(row: _Row, debt: dict[str, Decimal]) -> list[EventBase]:
    """Principal up to what was borrowed in this file; the rest is interest (§13)."""
    base = where(row.time, ACCOUNT, row.ctx.source)
    owed = debt.get(row.currency, ZERO)
    if owed <= 0:
        return [Repay(**base, sent=Amount(row.amount, row.currency),
                      note="no borrowing in this file: any interest inside is not separated")]
    principal = min(row.amount, owed)
    debt[row.currency] = owed - principal
    events: list[EventBase] = [Repay(**base, sent=Amount(principal, row.currency))]
    if row.amount > principal:
        events.append(Interest(**base, sent=Amount(row.amount - principal, row.currency), seq=1,
                               note="interest inside the repayment (repaid - borrowed principal)"))
    return events


def _pairs(rows: Sequence[_Row]) -> list[list[_Row]]:
    """Trades among the rows of one type at one second (see module docstring)."""
    if len({r.currency for r in rows}) == 2 and len({r.incoming for r in rows}) == 2:
        by_currency = defaultdict(set)
        for r in rows:
            by_currency[r.currency].add(r.incoming)
        if all(len(sides) == 1 for sides in by_currency.values()):
            return [list(rows)]
    groups: list[list[_Row]] = []
    pending: list[_Row] = []
    for row in rows:
        if pending and pending[-1].incoming != row.incoming and pending[-1].currency != row.currency:
            groups.append([pending.pop(), row])
        else:
            pending.append(row)
    groups.extend([row] for row in pending)
    return groups


def _trade(col: Collector, rows: Sequence[_Row], liquidation: bool) -> None:
    flows: dict[str, Decimal] = defaultdict(Decimal)
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        flows[row.currency] += row.flow
        fees[row.currency] += row.fee
    shape = assemble_trade(flows, fees)
    sources = [r.ctx.source for r in rows]
    if isinstance(shape, str):
        col.fail(sources, "Type", rows[0].ctx.get("Type"), shape)
        return
    cls = Liquidation if liquidation else Trade
    note = rows[0].ctx.get("Type") + (" (forced, liquidation fees at this second)" if liquidation else "")
    template = cls(time=rows[0].time, account=ACCOUNT, source=min(sources), note=note)
    trade_events(shape, template, col, sources)
    if liquidation:
        col.warn("liquidation", "forced margin sale (a Liquidation Fees row at the same second)", min(sources))


class KucoinAccountHistory(OffsetHeaderLayout):
    name = "kucoin-account-history"
    description = "KuCoin Account History ledger (trading, funding, cross/isolated margin)"
    columns = ("UID", "Account Type", "Currency", "Side", "Amount", "Fee", "Remark", "Type")
    time_columns = ("Time",)

    def parse(self, file: FileText) -> ImportResult:
        col = Collector(self.name)
        time_col, zone = self.time_column(file, "Time")
        rows: list[_Row] = []
        for ctx in read_rows(self, file, col):
            if is_placeholder(ctx):
                col.skip(ctx.source, "placeholder row of an empty report")
                continue
            row = _read(ctx, time_col, zone)
            if row is None:
                col.reject(ctx.errors)
            else:
                rows.append(row)
        rows.sort(key=lambda r: (r.time, r.ctx.source))
        _book(col, rows)
        return col.result()


def _book(col: Collector, rows: list[_Row]) -> None:
    debt: dict[str, Decimal] = {}
    trades: dict[tuple[datetime, str], list[_Row]] = defaultdict(list)
    liquidated = {r.time for r in rows if r.kind == "liquidation fees"}
    for row in rows:
        if row.kind in _TRADE_TYPES:
            trades[(row.time, _TRADE_TYPES[row.kind])].append(row)
            continue
        result = _single(row, debt)
        if result is None:
            col.skip(row.ctx.source, f"move between own KuCoin accounts ({row.ctx.get('Type')})")
        elif isinstance(result, str):
            col.fail([row.ctx.source], "Side", row.ctx.get("Side"), result)
        else:
            for i, event in enumerate(result):
                col.event(event, [row.ctx.source] if i == 0 else [])
    for (when, family), group in trades.items():
        margin = any(r.kind == "margin trade" for r in group)
        for pair in _pairs(group):
            _trade(col, pair, liquidation=margin and when in liquidated)


LAYOUTS: tuple[Layout, ...] = layouts(KucoinAccountHistory())
