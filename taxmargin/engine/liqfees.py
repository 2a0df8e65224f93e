"""Stand-alone fees charged with a trade or a liquidation (tax-rules.md §4.2, §4.6).

Exchanges often book a fee as its own row: the liquidation (clearance) fee, or Binance's
``BNB Fee Deduction``. A ``Fee`` event in the same account within the same UTC second as
one or more ``Liquidation`` events is their fee: its USD value is a transaction cost of
the forced sale, divided over those liquidations pro rata to their gross value (§4.2:
"allocate ... pro rata to proceeds of each fill"). With no liquidation in that second but
one or more ``Trade`` events, the fee is those trades' transaction cost in the same way
(§4.6: "The USD value of the fee is a transaction cost of the trade it paid for"). The
fee units themselves are still disposed of by ``book_fee``. Found in one linear pass over
the sorted events (same-second events are adjacent), before booking, so the fee row may
come before or after the fills.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from taxmargin.engine.consume import split_amount
from taxmargin.models import USD, Amount, EventBase, Fee, Liquidation, Trade

__all__ = ["attached_fees"]

ZERO = Decimal(0)


def _usd(value: Decimal | None, side: Amount | None) -> Decimal:
    """Value used only to share a fee out; the booking itself flags missing prices."""
    if value is not None:
        return value
    if side is not None and side.asset == USD:
        return side.quantity
    return ZERO


def _gross(ev: EventBase) -> Decimal:
    if ev.received is not None and ev.received.asset == USD:
        return ev.received.quantity
    return _usd(ev.usd_value, ev.sent)


def _share_out(events: Sequence[EventBase], first: int, end: int,
               extra: dict[int, Decimal], fee_rows: dict[int, bool]) -> None:
    liquidations: dict[str, list[int]] = {}
    trades: dict[str, list[int]] = {}
    fees: dict[str, list[int]] = {}
    for index in range(first, end):
        ev = events[index]
        if isinstance(ev, Liquidation):
            liquidations.setdefault(ev.account, []).append(index)
        elif isinstance(ev, Trade):
            trades.setdefault(ev.account, []).append(index)
        elif isinstance(ev, Fee):
            fees.setdefault(ev.account, []).append(index)
    for account, fee_indexes in fees.items():
        forced = account in liquidations
        targets = liquidations.get(account) or trades.get(account)
        if not targets:
            continue
        total = sum((_usd(events[i].usd_value, events[i].sent) for i in fee_indexes), ZERO)
        weights = [_gross(events[i]) for i in targets]
        if sum(weights, ZERO) <= 0:
            weights = [Decimal(1)] * len(targets)
        for index, share in zip(targets, split_amount(total, weights)):
            extra[index] = extra.get(index, ZERO) + share
        fee_rows.update(dict.fromkeys(fee_indexes, forced))


def attached_fees(events: Sequence[EventBase]) -> tuple[dict[int, Decimal], dict[int, bool]]:
    """For events sorted by time: (extra fee USD per trade/liquidation index, and for each
    fee event that belongs to a trade its index -> True when that trade is a liquidation).
    Only the seconds around ``Fee`` events are examined, so the pass costs nothing for
    histories without stand-alone fees."""
    extra: dict[int, Decimal] = {}
    fee_rows: dict[int, bool] = {}
    done_until = 0
    for index, ev in enumerate(events):
        if index < done_until or not isinstance(ev, Fee):
            continue
        second = ev.time.replace(microsecond=0)
        start = index
        while start > 0 and events[start - 1].time.replace(microsecond=0) == second:
            start -= 1
        end = index + 1
        while end < len(events) and events[end].time.replace(microsecond=0) == second:
            end += 1
        _share_out(events, start, end, extra, fee_rows)
        done_until = end
    return extra, fee_rows
