"""Issue 6 (performance) of the booking stage: every fast path gives exactly what the
general path gives, not even a Decimal's exponent differs.

- the whole engine: ``book`` (dispatch table, trades, P&L and funding with their helpers
  inlined, ``dispose`` over ``take_ordered``, ``State.open_lot``, pools without lot ids,
  the lazily pruned time index) against a reference run that books the same events with
  the general code restated here as it was before issue 6 (``match`` dispatch, the
  ``acquire`` / ``fee_value`` / ``main_usd`` calls, ``consume`` over ``Pool.ordered``,
  ``new_lot`` + ``Pool.add``), on random histories of every event type, for every
  method, standing orders, spec-ID lots and universal pools;
- ``take_ordered`` against ``consume`` over ``Pool.ordered`` (pieces, remainder, the sum
  taken, the pool afterwards), and the time index against a brute-force search;
- the policy keys against ``micros``; the positional ``IncomeItem`` / ``FundingPayment``;
- pricing's per-asset implied points and grouping, and ``match_transfers``, against the
  code they replace (restated).

Representations are compared with ``repr``, which shows every Decimal's exponent.
"""

from __future__ import annotations

import dataclasses
import heapq
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxmargin.booking import Booking, Disposal, FundingPayment, IncomeItem, Purpose
from taxmargin.engine import EngineOptions, book
from taxmargin.engine import run as run_module
from taxmargin.engine.consume import ZERO, consume, named_lots, take_ordered
from taxmargin.engine.dispose import (
    make_funding_payment,
    make_income_item,
    open_short,
    record_missing,
    take_owned,
)
from taxmargin.engine.liqfees import attached_fees
from taxmargin.engine.lots import Lot, make_lot
from taxmargin.engine.margin import (
    book_borrow,
    book_interest,
    book_repay,
    book_writeoff,
)
from taxmargin.engine.perps import _one_side
from taxmargin.engine.pool import Pool
from taxmargin.engine.spot import (
    book_deposit,
    book_fee,
    book_income,
    book_spend,
    book_transfer,
    book_withdrawal,
    event_fee,
)
from taxmargin.engine.state import State
from taxmargin.engine.trade import _remember_liquidation
from taxmargin.errors import Severity
from taxmargin.models import (
    FIAT,
    USD,
    Amount,
    Borrow,
    Deposit,
    EventBase,
    Fee,
    Funding,
    Income,
    Interest,
    Liquidation,
    RealizedPnl,
    Repay,
    SourceRef,
    Spend,
    Trade,
    Transfer,
    Withdrawal,
    WriteOff,
)
from taxmargin.policies import POLICIES, MethodPlan, PlanOrder, micros
from taxmargin.pricing import _implied_points_of, _ImpliedIndex, implied_points
from taxmargin.transfers import (
    _Deposits,
    _is_fiat,
    _transfer,
    _unmatched,
    match_transfers,
)

START = datetime(2024, 1, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Quantities and values with different exponents (0.5, 0.50000000, 5E+1 ...).
quantities = st.builds(lambda d, e: Decimal(d).scaleb(e), st.integers(1, 10**6), st.integers(-9, 1))
values = st.builds(lambda d, e: Decimal(d).scaleb(e), st.integers(0, 10**7), st.integers(-8, 0))


# ---- the general code, as it was before issue 6 ----------------------------------------------


def _ref_acquire(st_: State, ev: EventBase, asset: str, quantity: Decimal, basis: Decimal, *,
                 acquired: datetime | None = None, missing_basis: bool = False,
                 liquidation: bool = False) -> None:
    if asset in FIAT or quantity <= 0:
        return
    lot = st_.new_lot(ev, quantity, basis, acquired=acquired, missing_basis=missing_basis,
                      from_liquidation=liquidation)
    st_.pool(ev.account, asset).add(lot)


def _ref_dispose(st_: State, ev: EventBase, asset: str, quantity: Decimal, proceeds: Decimal,
                 purpose: Purpose, *, liquidation: bool = False) -> None:
    """``dispose`` before issue 6's last pass: ``take_owned`` over the general ``consume``,
    the proceeds split piece by piece, every Disposal by its constructor."""
    if asset in FIAT or quantity <= 0:
        return
    pool = st_.pool(ev.account, asset)
    owned_before = pool.held
    name = st_.method(ev.account, ev.time)
    policy = POLICIES[name]
    if ev.lots and policy.uses_named_lots:
        pieces, rest = take_owned(st_, ev, pool, quantity)
    else:
        order = POLICIES["fifo"] if policy.uses_named_lots else policy
        pieces, rest = consume(pool, quantity, pool.ordered(order))
    short_qty = min(rest, pool.unspent)
    missing = rest - short_qty
    left_qty = ZERO
    for piece in pieces:
        left_qty += piece.quantity
    left_qty = left_qty + short_qty + missing
    left = proceeds
    for piece in pieces:
        share = left * piece.quantity / left_qty if left_qty > 0 else ZERO
        left -= share
        left_qty -= piece.quantity
        st_.disposals.append(Disposal(
            ev.account, asset, piece.quantity, piece.acquired, ev.time, share, piece.basis_usd,
            purpose, False, liquidation, piece.missing_basis, None, (ev.source, *piece.sources),
            ev.event_id, piece.lot_id,
        ))
    if short_qty > 0 or missing > 0:
        short_share = left * short_qty / left_qty if left_qty > 0 else ZERO
        if short_qty > 0:
            open_short(st_, ev, pool, short_qty, short_share, liquidation)
        if missing > 0:
            record_missing(st_, ev, asset, missing, left - short_share, purpose, liquidation,
                           owned_before + short_qty)


def _ref_fee_side(ev: Trade, sent: Amount, received: Amount) -> str:
    fee = ev.fee
    if fee is None or fee.quantity <= 0:
        return "none"
    if fee.asset in FIAT:
        return "fiat"
    if fee.asset == sent.asset:
        return "sent"
    return "received" if fee.asset == received.asset else "other"


def _ref_fee_cost(st_: State, ev: Trade, side: str) -> Decimal:
    return st_.fee_value(ev) if side in ("fiat", "other") else ZERO


def _ref_fee_units(st_: State, ev: Trade, side: str, value: Decimal, liquidation: bool) -> None:
    if side == "other" and ev.fee is not None:
        _ref_dispose(st_, ev, ev.fee.asset, ev.fee.quantity, value, Purpose.FEE, liquidation=liquidation)


def _ref_fee_quantity(ev: Trade) -> Decimal:
    return ev.fee.quantity if ev.fee is not None else ZERO


def _ref_book_trade(st_: State, ev: Trade, extra: Decimal) -> None:
    sent, received = ev.sent, ev.received
    if sent is None or received is None:
        st_.diag(Severity.ERROR, "bad-event", f"{ev.type_name} without both sides: skipped", ev.source)
        return
    liquidation = isinstance(ev, Liquidation)
    start = len(st_.disposals)
    side = _ref_fee_side(ev, sent, received)
    if sent.asset in FIAT and received.asset in FIAT:
        _ref_fee_units(st_, ev, side, _ref_fee_cost(st_, ev, side) if side == "other" else ZERO, liquidation)
    elif sent.asset in FIAT:
        cost = sent.quantity if sent.asset == USD else st_.usd(ev, ev.usd_value, f"{sent} paid")
        quantity = received.quantity
        if side == "received":
            quantity -= _ref_fee_quantity(ev)
        fee = _ref_fee_cost(st_, ev, side)
        _ref_fee_units(st_, ev, side, fee, liquidation)
        _ref_acquire(st_, ev, received.asset, quantity, cost + fee + extra, liquidation=liquidation)
    elif received.asset in FIAT:
        got = received.quantity if received.asset == USD else st_.usd(ev, ev.usd_value, f"{received} received")
        quantity = sent.quantity
        if side == "sent":
            quantity += _ref_fee_quantity(ev)
        fee = _ref_fee_cost(st_, ev, side)
        _ref_dispose(st_, ev, sent.asset, quantity, got - fee - extra, Purpose.SALE, liquidation=liquidation)
        _ref_fee_units(st_, ev, side, fee, liquidation)
    else:
        value = st_.main_usd(ev, received)
        quantity_out, quantity_in, basis = sent.quantity, received.quantity, value
        fee = _ref_fee_cost(st_, ev, side)
        if side == "sent":
            quantity_out += _ref_fee_quantity(ev)
        elif side == "received":
            fee = st_.fee_value(ev)
            quantity_in -= _ref_fee_quantity(ev)
            basis = value - fee
        _ref_dispose(st_, ev, sent.asset, quantity_out, value - fee - extra, Purpose.SALE,
                     liquidation=liquidation)
        _ref_fee_units(st_, ev, side, fee, liquidation)
        _ref_acquire(st_, ev, received.asset, quantity_in, basis, liquidation=liquidation)
    if liquidation:
        _remember_liquidation(st_, ev, start)


def _ref_pnl_row(st_: State, ev: EventBase, side: Amount, acquired: datetime, gain: Decimal) -> None:
    st_.disposals.append(Disposal(
        ev.account, side.asset, side.quantity, acquired, ev.time, max(gain, ZERO), max(-gain, ZERO),
        Purpose.PNL, False, False, False, None, (ev.source,), ev.event_id, "",
    ))


def _ref_book_pnl(st_: State, ev: RealizedPnl) -> None:
    sides = _one_side(st_, ev)
    if sides is None:
        return
    gain_side, loss_side = sides
    side = gain_side if gain_side is not None else loss_side
    assert side is not None
    value = st_.main_usd(ev, side)
    fee = ev.fee if ev.fee is not None and ev.fee.quantity > 0 else None
    fee_usd = st_.fee_value(ev) if fee is not None else ZERO
    withheld = fee is not None and fee.asset == side.asset
    units = fee.quantity if fee is not None and withheld else ZERO
    carried = fee_usd if withheld else ZERO
    acquired = min(ev.acquired or ev.time, ev.time)
    if gain_side is not None:
        _ref_pnl_row(st_, ev, side, acquired, value - fee_usd)
        _ref_acquire(st_, ev, side.asset, side.quantity - units, value - carried)
    else:
        _ref_pnl_row(st_, ev, side, acquired, -(value + fee_usd))
        _ref_dispose(st_, ev, side.asset, side.quantity + units, value + carried, Purpose.SALE)
    if fee is not None and not withheld and fee.asset not in FIAT:
        _ref_dispose(st_, ev, fee.asset, fee.quantity, fee_usd, Purpose.FEE)


def _ref_book_funding(st_: State, ev: Funding) -> None:
    sides = _one_side(st_, ev)
    if sides is None:
        return
    received, sent = sides
    net = st_.options.funding_treatment == "net_into_capital_pnl"
    if "funding_treatment" not in st_.used:
        st_.used["funding_treatment"] = st_.options.funding_treatment
        if net:
            st_.diag(Severity.WARNING, "funding-treatment",
                     "funding is netted into capital P&L (option net_into_capital_pnl, U3): "
                     "not the conservative default", ev.source)
    if received is not None:
        value = st_.main_usd(ev, received)
        if net:
            _ref_pnl_row(st_, ev, received, ev.time, value)
        else:
            st_.income.append(IncomeItem(ev.time, ev.account, received.asset, received.quantity,
                                         value, "funding", ev.source))
        _ref_acquire(st_, ev, received.asset, received.quantity, value)
    elif sent is not None:
        value = st_.main_usd(ev, sent)
        if net:
            _ref_pnl_row(st_, ev, sent, ev.time, -value)
        else:
            st_.funding_paid.append(FundingPayment(ev.time, ev.account, sent.asset, sent.quantity,
                                                   value, ev.source))
        _ref_dispose(st_, ev, sent.asset, sent.quantity, value, Purpose.FUNDING)
    event_fee(st_, ev, Purpose.FEE)


def _ref_dispatch(st_: State, ev: EventBase, extra: Decimal, fee_of: bool | None) -> None:
    match ev:
        case Trade():
            _ref_book_trade(st_, ev, extra)
        case Deposit():
            book_deposit(st_, ev)
        case Withdrawal():
            book_withdrawal(st_, ev)
        case Transfer():
            book_transfer(st_, ev)
        case Borrow():
            book_borrow(st_, ev)
        case Repay():
            book_repay(st_, ev)
        case Interest():
            book_interest(st_, ev)
        case Fee():
            book_fee(st_, ev, fee_of)
        case Income():
            book_income(st_, ev)
        case Spend():
            book_spend(st_, ev)
        case RealizedPnl():
            _ref_book_pnl(st_, ev)
        case Funding():
            _ref_book_funding(st_, ev)
        case WriteOff():
            book_writeoff(st_, ev)


def _reference_book(events: list[EventBase], plan: MethodPlan, options: EngineOptions,
                    monkeypatch: pytest.MonkeyPatch) -> Booking:
    """``book`` with the general code: the handlers that still call ``dispose`` /
    ``acquire`` (spot, margin) are pointed at the restated ones too."""
    chosen = sorted(events, key=lambda ev: (*ev.sort_key, ev.type_name, ev.event_id))
    with monkeypatch.context() as patch:
        for module in ("spot", "margin", "perps", "shorts"):
            target = f"taxmargin.engine.{module}"
            if hasattr(__import__(target, fromlist=["x"]), "dispose"):
                patch.setattr(f"{target}.dispose", _ref_dispose)
            if hasattr(__import__(target, fromlist=["x"]), "acquire"):
                patch.setattr(f"{target}.acquire", _ref_acquire)
        st_ = State(plan, options)
        st_.single_method = None  # every disposal through State.method, as before
        st_._track_ids = True  # pools kept lot ids whatever the plan
        extra, fee_rows = attached_fees(chosen)
        for index, ev in enumerate(chosen):
            _ref_dispatch(st_, ev, extra.get(index, ZERO), fee_rows.get(index))
        return run_module._result(st_)


# ---- random histories ----------------------------------------------------------------------

ACCOUNTS = ("a", "b")
CRYPTO = ("BTC", "ETH", "BNB")
SIDES = ("BTC", "ETH", "BNB", "USD", "EUR", "USDT")
KINDS = (Trade, Trade, Trade, Trade, Liquidation, Deposit, Withdrawal, Transfer, Borrow, Repay,
         Interest, Fee, Income, Spend, RealizedPnl, RealizedPnl, Funding, Funding, WriteOff)


@st.composite
def histories(draw: st.DrawFn) -> list[EventBase]:
    events: list[EventBase] = []
    time = START
    for line in range(2, draw(st.integers(1, 45)) + 2):
        if draw(st.booleans()):
            time += timedelta(minutes=draw(st.integers(1, 60 * 24 * 200)))
        cls = draw(st.sampled_from(KINDS))
        amount = st.builds(Amount, quantities, st.sampled_from(SIDES))
        crypto = st.builds(Amount, quantities, st.sampled_from(CRYPTO))
        fields: dict[str, Any] = {
            "time": time, "account": draw(st.sampled_from(ACCOUNTS)),
            "source": SourceRef("h.csv", line), "event_id": draw(st.sampled_from(("", f"e{line}"))),
            "usd_value": draw(st.one_of(st.none(), values, values)),
        }
        if draw(st.booleans()):
            fields["fee"] = draw(amount)
            fields["fee_usd"] = draw(st.one_of(st.none(), values))
        if cls in (Trade, Liquidation):
            fields["sent"], fields["received"] = draw(amount), draw(amount)
        elif cls in (Deposit, Borrow, Income):
            fields["received"] = draw(crypto)
        elif cls in (RealizedPnl, Funding):
            fields[draw(st.sampled_from(("sent", "received")))] = draw(crypto)
        else:
            fields["sent"] = draw(crypto)
        if cls is Transfer:
            fields["to_account"] = draw(st.sampled_from(ACCOUNTS))
        if cls is Deposit:
            fields["basis_usd"] = draw(st.one_of(st.none(), values))
            fields["acquired"] = draw(st.one_of(st.none(), st.just(time - timedelta(days=400))))
        if cls is RealizedPnl:
            fields["acquired"] = draw(st.one_of(st.none(), st.just(time - timedelta(days=3))))
        if draw(st.integers(0, 4)) == 0:
            fields["lots"] = tuple(f"e{n}" for n in draw(st.lists(st.integers(2, line), max_size=3)))
        events.append(cls(**fields))
    return events


plans = st.one_of(
    st.sampled_from(tuple(MethodPlan(default=name) for name in POLICIES)),
    st.builds(lambda default, method, days: MethodPlan(default=default, orders=(
        PlanOrder(account="a", method=method, start=START + timedelta(days=days)),)),
        st.sampled_from(tuple(POLICIES)), st.sampled_from(tuple(POLICIES)), st.integers(0, 400)),
)
options = st.builds(
    EngineOptions, pool_by=st.sampled_from(("account", "account", "universal")),
    funding_treatment=st.sampled_from(("ordinary_in_nondeductible_out", "net_into_capital_pnl")),
    liquidation_deficit=st.sampled_from(("amount_realized", "cod_income")),
)


def _booking_repr(result: Booking) -> str:
    return repr(dataclasses.astuple(result))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(events=histories(), plan=plans, opts=options)
def test_book_is_the_general_engine(monkeypatch: pytest.MonkeyPatch, events: list[EventBase], plan: MethodPlan,
                                    opts: EngineOptions) -> None:
    fast = book(events, plan, opts)
    reference = _reference_book(events, plan, opts, monkeypatch)
    assert _booking_repr(fast) == _booking_repr(reference)


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
    _ref_pnl_row(reference, ev, Amount(Decimal(1), "BTC"), START, Decimal(gain))
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
    assert _ImpliedIndex(events)._group() == groups
    for asset in ("BTC", "ETH", "USDT", "USD"):
        want = [p for p in implied_points(events) if p[1].upper() == asset]
        assert repr(_implied_points_of(asset, events)) == repr(want)


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
