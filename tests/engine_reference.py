"""The booking engine's general code restated as it was before issue 6 (``match``
dispatch, the ``acquire`` / ``fee_value`` / ``main_usd`` calls, ``consume`` over
``Pool.ordered``, ``new_lot`` + ``Pool.add``): test_perf_engine books random histories with
it and with ``book`` and compares the two. Kept apart from the engine on purpose: it is the
reference the fast paths are checked against, not code to share with them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from taxmargin.booking import Booking, Disposal, FundingPayment, IncomeItem, Purpose
from taxmargin.engine import EngineOptions
from taxmargin.engine import run as run_module
from taxmargin.engine.consume import ZERO, consume
from taxmargin.engine.dispose import open_short, record_missing, take_owned
from taxmargin.engine.liqfees import attached_fees
from taxmargin.engine.margin import book_borrow, book_interest, book_repay, book_writeoff
from taxmargin.engine.perps import _one_side
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
    Spend,
    Trade,
    Transfer,
    Withdrawal,
    WriteOff,
)
from taxmargin.policies import POLICIES, MethodPlan


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


def ref_pnl_row(st_: State, ev: EventBase, side: Amount, acquired: datetime, gain: Decimal) -> None:
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
        ref_pnl_row(st_, ev, side, acquired, value - fee_usd)
        _ref_acquire(st_, ev, side.asset, side.quantity - units, value - carried)
    else:
        ref_pnl_row(st_, ev, side, acquired, -(value + fee_usd))
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
            ref_pnl_row(st_, ev, received, ev.time, value)
        else:
            st_.income.append(IncomeItem(ev.time, ev.account, received.asset, received.quantity,
                                         value, "funding", ev.source))
        _ref_acquire(st_, ev, received.asset, received.quantity, value)
    elif sent is not None:
        value = st_.main_usd(ev, sent)
        if net:
            ref_pnl_row(st_, ev, sent, ev.time, -value)
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


def reference_book(events: list[EventBase], plan: MethodPlan, options: EngineOptions,
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
