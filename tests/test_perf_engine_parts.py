"""Issue 6 (performance) of the booking stage, part by part: every fast path gives exactly
what the general path gives, not even a Decimal's exponent differs.

- ``take_ordered`` against ``consume`` over ``Pool.ordered`` (pieces, remainder, the sum
  taken, the pool afterwards), and the time index against a brute-force search;
- the policy keys against ``micros``; the positional ``IncomeItem`` / ``FundingPayment``;
- pricing's per-asset implied points and grouping, and ``match_transfers``, against the
  code they replace (restated).

Representations are compared with ``repr``, which shows every Decimal's exponent.
(The whole engine against the restated general one: test_perf_engine.)
"""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from engine_reference import ref_pnl_row
from engine_strategies import ACCOUNTS, SETTINGS, START, quantities, values
from hypothesis import given
from hypothesis import strategies as st

from taxmargin.booking import FundingPayment, IncomeItem
from taxmargin.engine import EngineOptions, book
from taxmargin.engine.consume import ZERO, consume, named_lots, take_ordered
from taxmargin.engine.dispose import make_funding_payment, make_income_item
from taxmargin.engine.lots import Lot, make_lot
from taxmargin.engine.pool import Pool
from taxmargin.engine.state import State
from taxmargin.models import Amount, Deposit, EventBase, RealizedPnl, SourceRef, Trade, Withdrawal
from taxmargin.policies import POLICIES, MethodPlan, PlanOrder, micros
from taxmargin.pricing_index import ImpliedIndex, implied_points, implied_points_of
from taxmargin.transfers import _Deposits, _is_fiat, _transfer, _unmatched, match_transfers


# ---- take_ordered, the time index --------------------------------------------------------------


def _lot(serial: int, quantity: Decimal, basis: Decimal, hours: int, seq: int) -> Lot:
    return make_lot(serial, seq, f"L{serial % 4}", "a", quantity, basis, START + timedelta(hours=hours),
                    basis / quantity, (SourceRef("f.csv", serial),), False, False)


lots_strategy = st.lists(st.tuples(quantities, values, st.integers(-48, 48), st.integers(1, 5)), max_size=14)


def _state(pool: Pool) -> list[str]:
    return [repr(pool.lots[s]) for s in sorted(pool.lots)] + [repr(pool.held)]


@SETTINGS
@given(lots_strategy, st.lists(quantities, min_size=1, max_size=8), st.sampled_from(("fifo", "lifo", "hifo")),
       st.booleans())
def test_take_ordered_is_consume_over_the_policy_order(
    lots: list[tuple[Decimal, Decimal, int, int]], takes: list[Decimal], method: str, timed: bool
) -> None:
    fast, general = Pool("a", "BTC", track_ids=False), Pool("a", "BTC")
    for pool in (fast, general):
        for serial, (quantity, basis, hours, seq) in enumerate(lots, start=1):
            pool.add(_lot(serial, quantity, basis, hours, seq))
        if timed:
            pool._time_index()
    policy = POLICIES[method]
    for quantity in takes:
        taken, rest, total = take_ordered(fast, quantity, policy)
        pieces, want_rest = consume(general, quantity, general.ordered(policy))
        got = [lot if part is lot.quantity else make_lot(
            lot.serial, lot.seq, lot.lot_id, lot.account, part, basis, lot.acquired, lot.unit_basis_usd,
            lot.sources, lot.missing_basis, lot.from_liquidation) for lot, part, basis in taken]
        assert repr(got) == repr(pieces) and repr(rest) == repr(want_rest)
        want_total = ZERO
        for piece in pieces:
            want_total += piece.quantity
        assert repr(total) == repr(want_total)
        assert _state(fast) == _state(general)
        if timed:
            assert list(fast._time_index()) == list(general._time_index())


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(("add", "take", "after")), quantities, st.integers(-30, 30)),
                max_size=60))
def test_time_index_finds_the_lots_acquired_after(steps: list[tuple[str, Decimal, int]]) -> None:
    """The lazily pruned time index against a search over the open lots."""
    pool = Pool("a", "BTC")
    pool._time_index()
    serial = 0
    for action, quantity, hours in steps:
        if action == "add":
            serial += 1
            pool.add(_lot(serial, quantity, quantity, hours, serial))
        elif action == "take":
            take_ordered(pool, quantity, POLICIES["hifo" if hours % 2 else "fifo"])
        else:
            key = (micros(START + timedelta(hours=hours)), hours % 7)
            got = next(pool.acquired_after(key), None)
            later = sorted(entry for entry in ((micros(lot.acquired), lot.seq, s) for s, lot in pool.lots.items())
                           if entry > key)  # as the index compares (a tie on (time, seq) is after)
            assert got == (later[0][2] if later else None)
        assert pool.by_time is not None and len(pool.by_time) <= 2 * len(pool.lots) + 34
    assert list(pool._time_index()) == sorted(
        (micros(lot.acquired), lot.seq, s) for s, lot in pool.lots.items())


def test_pools_keep_lot_ids_only_when_the_plan_names_lots() -> None:
    for plan, tracked in ((MethodPlan("fifo"), False), (MethodPlan("spec-id"), True),
                          (MethodPlan("hifo", (PlanOrder("a", "spec-id", START),)), True)):
        assert (State(plan, EngineOptions()).pool("a", "BTC").by_id is not None) is tracked
    with pytest.raises(ValueError):
        list(named_lots(Pool("a", "BTC", track_ids=False), ["x"], []))


def test_single_method_reports_the_same_options() -> None:
    sale = Trade(time=START, account="a", source=SourceRef("t.csv", 2), sent=Amount(Decimal(1), "BTC"),
                 received=Amount(Decimal(5), "USD"))
    for events in ([], [sale]):
        for name in POLICIES:
            got = book(events, MethodPlan(name)).options
            assert ("method", name) in got and sum(1 for o in got if o[0] == "method") == 1


# ---- keys, constructors ---------------------------------------------------------------------


@SETTINGS
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
       st.integers(0, 10**9), values)
def test_policy_keys_are_the_micros_keys(acquired: datetime, seq: int, unit: Decimal) -> None:
    lot = make_lot(1, seq, "x", "a", Decimal(1), unit, acquired, unit, (), False, False)
    assert POLICIES["fifo"].key(lot) == (micros(acquired), seq)
    assert POLICIES["lifo"].key(lot) == (-micros(acquired), -seq)
    assert repr(POLICIES["hifo"].key(lot)) == repr((-unit, micros(acquired), seq))


def test_positional_income_and_funding_are_the_constructors() -> None:
    source = SourceRef("x.csv", 2)
    values_ = (START, "a", "BTC", Decimal("0.50"), Decimal("1.0"))
    for make, cls, extra in ((make_income_item, IncomeItem, ("funding", source)),
                             (make_funding_payment, FundingPayment, (source,))):
        built, reference = make(*values_, *extra), cls(*values_, *extra)
        assert type(built) is cls and built == reference and repr(built) == repr(reference)


@pytest.mark.parametrize("gain", ["0", "0.00", "-0", "-0.000", "1.50", "-2.5E+1"])
def test_pnl_row_amounts_are_max(gain: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ev = RealizedPnl(time=START, account="a", source=SourceRef("p.csv", 2), received=Amount(Decimal(1), "BTC"))
    fast, reference = State(MethodPlan(), EngineOptions()), State(MethodPlan(), EngineOptions())
    from taxmargin.engine.perps import _pnl_row
    _pnl_row(fast, ev, Amount(Decimal(1), "BTC"), START, Decimal(gain))
    ref_pnl_row(reference, ev, Amount(Decimal(1), "BTC"), START, Decimal(gain))
    assert repr(fast.disposals) == repr(reference.disposals)


# ---- pricing and transfers ---------------------------------------------------------------------
PRICE_ASSETS = ("BTC", "btc", "ETH", "USD", "USDT")


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(PRICE_ASSETS), st.sampled_from(PRICE_ASSETS), quantities, quantities,
                          st.one_of(st.none(), values)), max_size=25))
def test_implied_points_of_one_asset_and_grouping(trades: list[tuple[str, str, Decimal, Decimal, Decimal | None]]) -> None:
    events: list[EventBase] = [
        Trade(time=START + timedelta(minutes=n), account="a", source=SourceRef("t.csv", n + 2),
              sent=Amount(q1, a1), received=Amount(q2, a2), usd_value=usd)
        for n, (a1, a2, q1, q2, usd) in enumerate(trades)
    ]
    events.append(Deposit(time=START, account="a", source=SourceRef("d.csv", 2), received=Amount(Decimal(1), "BTC")))
    groups: dict[str, list[EventBase]] = {}
    for ev in events:  # the grouping before issue 6's last pass
        if isinstance(ev, Trade) and ev.sent is not None and ev.received is not None:
            for asset in {ev.sent.asset.upper(), ev.received.asset.upper()}:
                groups.setdefault(asset, []).append(ev)
    assert ImpliedIndex(events)._group() == groups
    for asset in ("BTC", "ETH", "USDT", "USD"):
        want = [p for p in implied_points(events) if p[1].upper() == asset]
        assert repr(implied_points_of(asset, events)) == repr(want)


def _reference_match(events: list[EventBase]) -> tuple[tuple[EventBase, ...], tuple[Any, ...]]:
    """``match_transfers`` before issue 6's last pass (three passes over the events)."""
    by_asset: dict[str, list[tuple[int, Deposit]]] = {}
    for position, event in enumerate(events):
        if isinstance(event, Deposit) and event.received is not None:
            by_asset.setdefault(event.received.asset, []).append((position, event))
    deposits = {asset: _Deposits(found) for asset, found in by_asset.items()}
    replaced: dict[int, EventBase] = {}
    dropped: set[int] = set()
    withdrawals = sorted(((p, e) for p, e in enumerate(events) if isinstance(e, Withdrawal) and e.sent is not None),
                         key=lambda pe: pe[1].sort_key)
    for position, withdrawal in withdrawals:
        pool = deposits.get(withdrawal.sent.asset if withdrawal.sent else "")
        found = pool.best(withdrawal) if pool is not None else None
        if pool is None or found is None:
            continue
        index, fit = found
        pool.used.add(index)
        dropped.add(pool.positions[index])
        replaced[position] = _transfer(withdrawal, pool.deposits[index], fit)
    out: list[EventBase] = []
    diagnostics = []
    for position, event in enumerate(events):
        if position in dropped:
            continue
        if position in replaced:
            out.append(replaced[position])
            continue
        if isinstance(event, Withdrawal) and not _is_fiat(event.sent):
            diagnostics.append(_unmatched(event, "withdrawal"))
        elif isinstance(event, Deposit) and event.basis_usd is None and not _is_fiat(event.received):
            diagnostics.append(_unmatched(event, "deposit"))
        out.append(event)
    return tuple(out), tuple(diagnostics)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from((Deposit, Withdrawal, Trade)), st.sampled_from(ACCOUNTS),
                          st.sampled_from(("BTC", "ETH", "USD")), st.sampled_from(("1", "1.00", "0.999", "2")),
                          st.integers(0, 72), st.booleans()), max_size=20))
def test_match_transfers_is_the_three_pass_match(rows: list[tuple[type, str, str, str, int, bool]]) -> None:
    events: list[EventBase] = []
    for n, (cls, account, asset, quantity, hours, basis) in enumerate(rows):
        common: dict[str, Any] = {"time": START + timedelta(hours=hours), "account": account,
                                  "source": SourceRef("m.csv", n + 2)}
        side = Amount(Decimal(quantity), asset)
        if cls is Deposit:
            events.append(Deposit(**common, received=side, basis_usd=Decimal(1) if basis else None))
        elif cls is Withdrawal:
            events.append(Withdrawal(**common, sent=side))
        else:
            events.append(Trade(**common, sent=side, received=Amount(Decimal(3), "USD")))
    assert repr(match_transfers(events)) == repr(_reference_match(events))


def test_heap_walk_pops_each_used_up_lot_once() -> None:
    """take_ordered leaves no entry of a used-up lot at the top of its heap."""
    pool = Pool("a", "BTC")
    for serial in range(1, 6):
        pool.add(_lot(serial, Decimal(1), Decimal(serial), serial, serial))
    take_ordered(pool, Decimal("2.5"), POLICIES["fifo"])
    heap = pool.heap(POLICIES["fifo"])
    assert heap[0][1] in pool.lots and len(heap) == 3 and heapq.nsmallest(1, heap) == [heap[0]]
