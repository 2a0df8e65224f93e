"""Events from Bybit UTA transaction-log rows (see :mod:`taxmargin.importers.bybit_uta`).

One parsed row is a :class:`UtaRow`. Builders here turn rows or groups of rows into events:

* spot fills (two rows, one per currency, P13) -> one ``Trade`` (``Liquidation`` for the
  ``LIQUIDATION`` type), fee on the received leg kept as ``Trade.fee``;
* derivative rows (``Action`` ``OPEN``/``CLOSE``, ``SETTLEMENT``, ``DELIVERY``) ->
  ``RealizedPnl`` for ``Cash Flow`` (gain received / loss sent in the settlement
  currency, tax-rules.md §4.7(1), (5)) with the trading fee as its ``fee`` (§4.7(4)); a
  fill with no P&L (an opening fee) is a ``RealizedPnl`` loss of the fee; ``Funding``
  -> ``Funding`` (received / paid, §4.7(2)-(3));
* spot-margin borrowing: Bybit writes no borrow or repay rows (exchange-formats.md §5,
  §8); a row that takes a coin's ``Wallet Balance`` below zero implies a ``Borrow`` of the
  new liability before the row's event, and a row that reduces it implies a ``Repay``
  after it (tax-rules.md §4.1, §4.5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from taxmargin.importers.bybit_shared import (
    Collector,
    assemble_trade,
    trade_events,
    where,
)

from taxmargin.models import (
    Amount,
    Borrow,
    EventBase,
    Funding,
    Liquidation,
    RealizedPnl,
    Repay,
    SourceRef,
    Trade,
)
from taxmargin.money import ZERO

ACCOUNT = "bybit"


@dataclass(frozen=True, slots=True)
class UtaRow:
    """One validated log row; amounts signed from the account's view."""

    source: SourceRef
    time: datetime
    currency: str
    contract: str
    kind: str  # Type, upper case, old names mapped to new ones
    direction: str
    action: str
    price: str
    funding: Decimal
    fee_paid: Decimal  # negative = paid, positive = rebate
    cash_flow: Decimal
    change: Decimal
    balance: Decimal | None
    trade_id: str


def debt_changes(rows: Sequence[UtaRow]) -> dict[SourceRef, Decimal]:
    """Per row: increase (> 0) or decrease (< 0) of the coin's liability, read from the
    row's own ``Wallet Balance`` (balance before = balance after - Change)."""
    changes: dict[SourceRef, Decimal] = {}
    for row in rows:
        if row.balance is None:
            continue
        before = max(ZERO, -(row.balance - row.change))
        after = max(ZERO, -row.balance)
        if after != before:
            changes[row.source] = after - before
    return changes


def _debt_events(
    rows: Sequence[UtaRow], debt: dict[SourceRef, Decimal], time: datetime, source: SourceRef
) -> tuple[list[EventBase], list[EventBase]]:
    borrows: list[EventBase] = []
    repays: list[EventBase] = []
    for row in rows:
        delta = debt.get(row.source, ZERO)
        if delta > 0:
            note = "implied borrow: the wallet balance went below zero"
            borrows.append(Borrow(time=time, account=ACCOUNT, source=source,
                                  received=Amount(delta, row.currency), note=note))
        elif delta < 0:
            note = "implied repayment: the negative wallet balance was reduced"
            repays.append(Repay(time=time, account=ACCOUNT, source=source,
                                sent=Amount(-delta, row.currency), note=note))
    return borrows, repays


def record(
    col: Collector,
    rows: Sequence[UtaRow],
    debt: dict[SourceRef, Decimal],
    main: Sequence[EventBase],
) -> None:
    """Record ``main`` (built from ``rows``) between its implied borrows and repays, all
    with the group's source and consecutive ``seq`` so they book in that order."""
    source = min(r.source for r in rows)
    borrows, repays = _debt_events(rows, debt, rows[0].time, source)
    for seq, event in enumerate((*borrows, *main, *repays)):
        col.event(replace(event, source=source, seq=seq), [r.source for r in rows] if seq == 0 else [])


def spot_fill(col: Collector, rows: Sequence[UtaRow], debt: dict[SourceRef, Decimal]) -> None:
    """One spot fill (all legs of one second, contract, direction and price)."""
    flows: dict[str, Decimal] = defaultdict(Decimal)
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        flows[row.currency] += row.cash_flow
        fees[row.currency] -= row.fee_paid
    shape = assemble_trade(flows, fees)
    sources = [r.source for r in rows]
    if isinstance(shape, str):
        col.fail(sources, "Currency", rows[0].contract, shape)
        return
    first = rows[0]
    liquidation = first.kind == "LIQUIDATION"
    cls = Liquidation if liquidation else Trade
    ids = sorted({r.trade_id for r in rows if r.trade_id})
    event_id = f"{ACCOUNT}:{ids[0]}" if len(ids) == 1 else ""
    template = cls(time=first.time, account=ACCOUNT, source=min(sources), event_id=event_id,
                   note=f"spot {first.contract}")
    scratch = Collector(col.layout)
    trade_events(shape, template, scratch, ())
    record(col, rows, debt, [event for event, _ in scratch.events])
    if liquidation:
        col.warn("liquidation", f"forced spot sale on {first.contract}", template.source)


def derivative(col: Collector, row: UtaRow, debt: dict[SourceRef, Decimal]) -> None:
    """A perpetual/futures/option row: realized P&L with its fee, and funding."""
    pnl, fee = row.cash_flow, -row.fee_paid
    if fee < 0:  # a maker rebate is a credit: part of the P&L (§4.7(4))
        pnl, fee = pnl - fee, ZERO
    base = where(row.time, ACCOUNT, row.source)
    label = f"{row.contract} {row.action.lower()}".strip() if row.action not in ("", "--") else row.contract
    liquidation = row.kind == "LIQUIDATION"
    if liquidation:
        label += " liquidation"
    events: list[EventBase] = []
    fee_amount = Amount(fee, row.currency) if fee else None
    if pnl > 0:
        events.append(RealizedPnl(**base, received=Amount(pnl, row.currency), fee=fee_amount, note=label))
    elif pnl < 0:
        events.append(RealizedPnl(**base, sent=Amount(-pnl, row.currency), fee=fee_amount, note=label))
    elif fee:
        events.append(RealizedPnl(**base, sent=Amount(fee, row.currency), note=f"{label} trading fee"))
    if row.funding > 0:
        events.append(Funding(**base, received=Amount(row.funding, row.currency), note=f"{row.contract} funding"))
    elif row.funding < 0:
        events.append(Funding(**base, sent=Amount(-row.funding, row.currency), note=f"{row.contract} funding"))
    if row.trade_id:
        events = [replace(e, event_id=f"{ACCOUNT}:{row.trade_id}" + (":funding" if isinstance(e, Funding) else ""))
                  for e in events]
    if not events and row.source not in debt:
        col.skip(row.source, "no balance change")
        return
    record(col, [row], debt, events)
    if liquidation:
        col.warn("liquidation", f"{row.contract} position liquidated: realized P&L recorded", row.source)


def conversion(col: Collector, rows: Sequence[UtaRow], debt: dict[SourceRef, Decimal]) -> None:
    """Rows of one second of type ``--`` or ``CURRENCY_BUY/SELL``: a conversion when they
    move in both directions; lone ``--`` rows are Earn subscriptions/redemptions (own
    sub-account, not taxable)."""
    signs = {r.change > 0 for r in rows}
    if len(signs) == 1:
        for row in rows:
            if row.kind != "--":
                col.fail([row.source], "Type", row.kind, "conversion leg without its counter-leg")
            elif row.source in debt:
                record(col, [row], debt, [])
            else:
                col.skip(row.source, "move to or from Bybit Earn (own sub-account, not taxable)")
        return
    flows: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        flows[row.currency] += row.change
    shape = assemble_trade(flows, {})
    if isinstance(shape, str):
        col.fail([r.source for r in rows], "Currency", rows[0].currency, shape)
        return
    note = "small-balance conversion" if rows[0].kind == "--" else "currency conversion"
    trade = Trade(time=rows[0].time, account=ACCOUNT, source=rows[0].source,
                  sent=shape.sent, received=shape.received, note=note)
    record(col, rows, debt, [trade])


def single(col: Collector, row: UtaRow, debt: dict[SourceRef, Decimal], event: EventBase | None) -> None:
    """A one-row event (interest, bonus, deposit, ...), or a skipped transfer (None)."""
    if event is None:
        if row.source in debt:
            record(col, [row], debt, [])
        else:
            col.skip(row.source, "transfer between own Bybit accounts (one pool, U6)")
        return
    record(col, [row], debt, [event])
