"""``book``: priced events in, a :class:`taxmargin.booking.Booking` out (design.md §4).

Events are booked one by one in the deterministic order (time, source path, line, seq)
(ties then by type and id), each by the handler of its class. The whole run is one pure
function: same events (in any input order), plan and options -> the same Booking.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from taxmargin.booking import Booking, Liability, OpenLot, OpenShort
from taxmargin.engine.liqfees import attached_fees
from taxmargin.engine.margin import (
    book_borrow,
    book_interest,
    book_repay,
    book_writeoff,
)
from taxmargin.engine.options import EngineOptions
from taxmargin.engine.perps import book_funding, book_pnl
from taxmargin.engine.spot import (
    book_deposit,
    book_fee,
    book_income,
    book_spend,
    book_transfer,
    book_withdrawal,
)
from taxmargin.engine.state import ZERO, State
from taxmargin.engine.trade import FEE_RULE, book_trade
from taxmargin.errors import Diagnostic, Severity
from taxmargin.gcpause import gc_paused
from taxmargin.models import (
    Borrow,
    Deposit,
    EventBase,
    Fee,
    Funding,
    Income,
    Interest,
    RealizedPnl,
    Repay,
    Spend,
    Trade,
    Transfer,
    Withdrawal,
    WriteOff,
)
from taxmargin.policies import MethodPlan

__all__ = ["PROGRESS_EVERY", "book", "book_stages", "book_until"]

#: ``progress(n)`` is called after every this many events.
PROGRESS_EVERY = 10_000
#: Universal pooling is not allowed for dispositions from this time [REG1012 (j)(6)].
ACCOUNT_POOLS_FROM = datetime(2025, 1, 1, tzinfo=UTC)


def _order(ev: EventBase) -> tuple[datetime, str, int, int, str, str]:
    """``(*ev.sort_key, type_name, event_id)``, built in one step."""
    source = ev.source
    return (ev.time, source.path, source.line, ev.seq, ev.type_name, ev.event_id)


#: The handler of each event class taking only (state, event); trades and stand-alone
#: fees take one more argument and are dispatched by ``book`` itself.
_HANDLERS: dict[type[EventBase], Callable[[State, Any], None]] = {
    Deposit: book_deposit,
    Withdrawal: book_withdrawal,
    Transfer: book_transfer,
    Borrow: book_borrow,
    Repay: book_repay,
    Interest: book_interest,
    Income: book_income,
    Spend: book_spend,
    RealizedPnl: book_pnl,
    Funding: book_funding,
    WriteOff: book_writeoff,
}


def _dispatch(st: State, ev: EventBase, extra_fee: Decimal, fee_of: bool | None) -> None:
    """``fee_of``: for a stand-alone fee tied to a trade, whether that trade is a liquidation.

    The class is looked up in :data:`_HANDLERS` (exact class; a subclass of an event
    class falls back to the ``isinstance`` chain, like the ``match`` it replaces)."""
    handler = _HANDLERS.get(type(ev))
    if handler is not None:
        handler(st, ev)
        return
    match ev:
        case Trade():  # Liquidation included
            book_trade(st, ev, extra_fee)
        case Fee():
            book_fee(st, ev, fee_of)
        case _:
            _dispatch_subclass(st, ev)


def _dispatch_subclass(st: State, ev: EventBase) -> None:
    """An instance of a subclass of an event class (none in taxmargin itself)."""
    for cls, handler in _HANDLERS.items():
        if isinstance(ev, cls):
            handler(st, ev)
            return
    st.diag(Severity.ERROR, "bad-event", f"unknown event type {type(ev).__name__}", ev.source)


@gc_paused()  # many long-lived values, no reference cycles (taxmargin.gcpause)
def book(
    events: Iterable[EventBase],
    plan: MethodPlan = MethodPlan(),
    options: EngineOptions = EngineOptions(),
    *,
    until: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Booking:
    """Book ``events`` (already priced) lot by lot.

    Only events with ``time < until`` are booked when ``until`` is given (e.g. the first
    instant of the next tax year: open positions are then as of the year end).
    ``progress(n)`` is called every :data:`PROGRESS_EVERY` events.
    """
    return book_until(events, plan, options, (until,), progress=progress)[0]


@gc_paused()
def book_until(
    events: Iterable[EventBase],
    plan: MethodPlan,
    options: EngineOptions,
    ends: Sequence[datetime | None],
    *,
    progress: Callable[[int], None] | None = None,
) -> list[Booking]:
    """One pass over ``events`` giving, for each of the ascending ``ends``, the booking
    :func:`book` gives with ``until=end`` (a ``None`` end, only last: no limit).

    This holds because the engine is causal: booking an event reads only the state left by
    the events before it in booking order, which starts with the time, so the events
    before ``end`` are a prefix of the order and the state after that prefix is the state
    ``book(until=end)`` ends with. Each booking is taken from that state without changing
    it (:func:`_result`). The fees attached to a trade (``liqfees.attached_fees``) are
    grouped by whole second, and an end is a whole second (a year's first instant), so no
    group straddles an end. ``taxmargin report`` with several ``--year`` books once this
    way; a property test checks each result against :func:`book`.
    """
    return list(book_stages(events, plan, options, ends, progress=progress))


def book_stages(
    events: Iterable[EventBase],
    plan: MethodPlan,
    options: EngineOptions,
    ends: Sequence[datetime | None],
    *,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Booking]:
    """:func:`book_until`, one booking at a time: each is handed out as soon as the pass
    reaches its end, so an earlier year's forms can be built while later events are still
    being booked (``taxmargin.yearfork``). The pass runs while the caller iterates (pause
    the garbage collector around it, as :func:`book_until` does); it lets go of the events
    before it hands out the last booking."""
    if any(end is None for end in ends[:-1]) or any(
        a is not None and b is not None and b < a for a, b in zip(ends, ends[1:])
    ):
        raise ValueError("book_until: the ends must ascend, with None only last")
    if any(end is not None and end.microsecond for end in ends):
        raise ValueError("book_until: an end must be a whole second (fees are grouped by second)")
    last = ends[-1] if ends else None
    chosen = [ev for ev in events if last is None or ev.time < last]
    return _stages(chosen, State(plan, options), ends, progress)


def _stages(chosen: list[EventBase], st: State, ends: Sequence[datetime | None],
            progress: Callable[[int], None] | None) -> Iterator[Booking]:
    chosen.sort(key=_order)
    extra, fee_rows = attached_fees(chosen)
    handlers = _HANDLERS
    start = 0
    for number, end in enumerate(ends, start=1):
        stop = len(chosen) if end is None else bisect_left(chosen, end, lo=start, key=_time)
        for index in range(start, stop):
            ev = chosen[index]
            cls = type(ev)
            if cls is Trade:
                book_trade(st, ev, extra.get(index, ZERO) if extra else ZERO)  # type: ignore[arg-type]
            else:
                handler = handlers.get(cls)
                if handler is not None:
                    handler(st, ev)
                else:
                    _dispatch(st, ev, extra.get(index, ZERO), fee_rows.get(index))
            if progress is not None and (index + 1) % PROGRESS_EVERY == 0:
                progress(index + 1)
        result = [_result(st)]
        if number == len(ends):
            del chosen, st, extra, fee_rows  # the events can go while the last booking is used
        yield result.pop()  # (a local would keep the booking alive while this pass waits)
        start = stop


def _time(ev: EventBase) -> datetime:
    return ev.time


def _options(st: State) -> tuple[tuple[str, str], ...]:
    methods = sorted(st.methods_used) or [st.plan.default]
    return (
        ("pool_by", st.options.pool_by),
        ("trade_fee_allocation", FEE_RULE),
        *(("method", name) for name in methods),
        *sorted(st.used.items()),
    )


def _result(st: State) -> Booking:
    """The booking of the state so far; ``st`` is not changed (:func:`book_until` goes on
    booking after it)."""
    diagnostics = list(st.diagnostics)
    if st.options.pool_by == "universal":
        late = [d for d in st.disposals if d.disposed >= ACCOUNT_POOLS_FROM]
        if late:
            diagnostics.append(Diagnostic(
                Severity.WARNING, "universal-pool",
                f"{len(late)} disposals on or after 2025-01-01 use universal pooling, "
                "which is not allowed from 2025 (tax-rules.md §5.1)", late[0].sources[0]))
    pools = sorted(st.pools.values(), key=lambda pool: (pool.account, pool.asset))
    lots = sorted(
        ((lot, pool.asset) for pool in pools for lot in pool.lots.values()),
        key=lambda item: (item[0].account, item[1], item[0].acquired, item[0].seq),
    )
    return Booking(
        disposals=tuple(st.disposals),
        income=tuple(st.income),
        interest=tuple(st.interest),
        funding_paid=tuple(st.funding_paid),
        open_lots=tuple(
            OpenLot(lot.account, asset, lot.quantity, lot.basis_usd, lot.acquired,
                    lot.sources[0], lot.lot_id)
            for lot, asset in lots
        ),
        open_shorts=tuple(
            OpenShort(short.account, pool.asset, short.quantity, short.proceeds_usd,
                      short.opened, short.source)
            for pool in pools for short in pool.shorts
        ),
        liabilities=tuple(
            Liability(pool.account, pool.asset, pool.liability)
            for pool in pools if pool.liability != 0
        ),
        diagnostics=tuple(diagnostics),
        options=_options(st),
    )
