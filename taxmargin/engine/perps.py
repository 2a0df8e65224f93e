"""Perpetual/futures P&L and funding (tax-rules.md §4.7, §9 U3).

- Realized P&L is a capital row per settlement: gain -> proceeds = gain, basis 0; loss ->
  proceeds 0, basis = loss (I8949 "sales price or basis isn't known"), dated from the
  position's opening (``acquired``) to the settlement. Trading fees are part of the P&L
  (§4.7(4)).
- The settlement asset moves for real (§4.7(5)): a gain paid in crypto opens a lot at FMV;
  a loss paid in crypto is a disposal of those units at FMV.
- Funding received is ordinary income (a lot at FMV); funding paid is nondeductible and
  tracked, and paying it in crypto disposes of the units. Option
  ``funding_treatment = "net_into_capital_pnl"`` makes both P&L rows instead (flagged).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from taxmargin.booking import Purpose
from taxmargin.engine.dispose import (
    acquire,
    dispose,
    make_disposal,
    make_funding_payment,
    make_income_item,
)
from taxmargin.engine.spot import event_fee
from taxmargin.engine.state import ZERO, State
from taxmargin.errors import Severity
from taxmargin.models import FIAT, Amount, EventBase, Funding, RealizedPnl

__all__ = ["book_funding", "book_pnl"]


def _pnl_row(st: State, ev: EventBase, side: Amount, acquired: datetime, gain: Decimal) -> None:
    """One P&L row: a gain in (d), a loss in (e) [I8949]. (``max(gain, ZERO)`` and
    ``max(-gain, ZERO)`` written out: ``max`` keeps its first argument unless the second
    is greater, so the same Decimals.)"""
    loss = -gain
    st.disposals.append(make_disposal(
        ev.account, side.asset, side.quantity, acquired, ev.time,
        ZERO if ZERO > gain else gain,  # noqa: FURB136 - max() inlined (hot path)
        ZERO if ZERO > loss else loss,  # noqa: FURB136
        Purpose.PNL, False, False, False, None, (ev.source,),
        ev.event_id, "",
    ))


def _one_side(st: State, ev: EventBase) -> tuple[Amount | None, Amount | None] | None:
    """(received, sent) when exactly one side has units; otherwise a ``bad-event`` error."""
    received = ev.received if ev.received is not None and ev.received.quantity > 0 else None
    sent = ev.sent if ev.sent is not None and ev.sent.quantity > 0 else None
    if (received is None) == (sent is None):
        st.diag(Severity.ERROR, "bad-event",
                f"{ev.type_name} needs exactly one of sent / received: skipped", ev.source)
        return None
    return received, sent


def book_pnl(st: State, ev: RealizedPnl) -> None:
    """Book a realized P&L settlement (§4.7(1), (4), (5)). A fee in the settlement asset
    changes the units that move; any other crypto fee is disposed of on its own (§4.6);
    either way its USD value reduces the P&L."""
    received, sent = ev.received, ev.sent  # _one_side(), inlined (same checks, same error)
    gain_side = received if received is not None and received.quantity > 0 else None
    loss_side = sent if sent is not None and sent.quantity > 0 else None
    side = gain_side if gain_side is not None else loss_side
    if side is None or (gain_side is not None and loss_side is not None):
        _one_side(st, ev)
        return
    value = ev.usd_value  # st.main_usd(ev, side), its usual answer inlined
    if value is None:
        value = st.main_usd(ev, side)
    fee = ev.fee if ev.fee is not None and ev.fee.quantity > ZERO else None
    fee_usd = st.fee_value(ev) if fee is not None else ZERO
    withheld = fee is not None and fee.asset == side.asset  # carried by the settlement units
    units = fee.quantity if fee is not None and withheld else ZERO
    carried = fee_usd if withheld else ZERO
    time = ev.time
    acquired = ev.acquired or time
    if acquired > time:  # noqa: PLR1730 - min(ev.acquired or ev.time, ev.time), inlined
        acquired = time
    if gain_side is not None:
        _pnl_row(st, ev, side, acquired, value - fee_usd)
        quantity = side.quantity - units
        basis = value - carried
        if side.asset not in FIAT and quantity > ZERO:  # acquire(), inlined
            st.open_lot(ev, side.asset, quantity, basis, None, False, False)
    else:
        _pnl_row(st, ev, side, acquired, -(value + fee_usd))
        dispose(st, ev, side.asset, side.quantity + units, value + carried, Purpose.SALE)
    if fee is not None and not withheld and fee.asset not in FIAT:
        dispose(st, ev, fee.asset, fee.quantity, fee_usd, Purpose.FEE)


def book_funding(st: State, ev: Funding) -> None:
    """Book a funding payment (§4.7(2), (3), U3)."""
    sides = _one_side(st, ev)
    if sides is None:
        return
    received, sent = sides
    net = st.options.funding_treatment == "net_into_capital_pnl"
    if "funding_treatment" not in st.used:
        st.used["funding_treatment"] = st.options.funding_treatment
        if net:
            st.diag(Severity.WARNING, "funding-treatment",
                    "funding is netted into capital P&L (option net_into_capital_pnl, U3): "
                    "not the conservative default", ev.source)
    value = ev.usd_value  # st.main_usd(ev, side), its usual answer inlined
    if received is not None:
        if value is None:
            value = st.main_usd(ev, received)
        if net:
            _pnl_row(st, ev, received, ev.time, value)
        else:
            st.income.append(make_income_item(ev.time, ev.account, received.asset,
                                              received.quantity, value, "funding", ev.source))
        acquire(st, ev, received.asset, received.quantity, value)
    elif sent is not None:
        if value is None:
            value = st.main_usd(ev, sent)
        if net:
            _pnl_row(st, ev, sent, ev.time, -value)
        else:
            st.funding_paid.append(make_funding_payment(ev.time, ev.account, sent.asset,
                                                        sent.quantity, value, ev.source))
        dispose(st, ev, sent.asset, sent.quantity, value, Purpose.FUNDING)
    if ev.fee is not None:
        event_fee(st, ev, Purpose.FEE)
