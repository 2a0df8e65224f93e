"""Trades and liquidations, with the transaction-cost rules of tax-rules.md §4.0(4), §4.6.

Four shapes (fiat sides are cash, never lots):

- cash purchase (fiat sent): basis = USD cost + fees [REG1012 (h)(1)(i), (h)(2)(ii)(A)];
- cash sale (fiat received): amount realized = USD received - fees [I8949 col (d)];
- crypto-for-crypto (stablecoin-quoted included): every fee reduces the amount realized
  of the asset given up; the asset received takes basis = its FMV, no fee added
  [REG1012 (h)(1)(iv), (h)(2)(ii)(B)];
- fiat for fiat: only a crypto fee matters.

Where the fee is paid:

- in the received asset (withheld, "cascading", (h)(2)(ii)(C), (j)(3)(iii)): the lot gets
  received - fee units; crypto-for-crypto: its basis = FMV of the units kept and the
  amount realized of the sent asset is reduced by the fee; cash purchase: basis = the
  full USD cost;
- in the sent asset: sent + fee units leave as one disposal whose amount realized is what
  was received (FMV, or USD for a cash sale);
- in a third crypto (e.g. BNB, §4.6): a separate disposal of the fee units at the fee's
  FMV (``Purpose.FEE``), and that FMV is the trade's transaction cost as above;
- in fiat: a transaction cost only.

One rule for every year: the 2025 allocation is also used for earlier trades (pre-2025:
"any reasonable consistent method", §4.0(4)); the booking records it in ``options``.
A liquidation is booked exactly like a trade with every disposal flagged (§4.2); a
stand-alone fee charged with it (``extra_fee``) is one more transaction cost.
"""

from __future__ import annotations

from decimal import Decimal

from taxmargin.booking import Purpose
from taxmargin.engine.dispose import dispose
from taxmargin.engine.state import ZERO, State
from taxmargin.errors import Severity
from taxmargin.models import FIAT, USD, Amount, Liquidation, Trade

__all__ = ["FEE_RULE", "book_trade"]

#: Recorded in ``Booking.options`` as ("trade_fee_allocation", FEE_RULE).
FEE_RULE = "reg-1.1012-1(h)-all-years"


def _fee_cost(st: State, ev: Trade, side: str) -> Decimal:
    """The fee's USD value when it is a transaction cost to apply separately (a fiat or
    third-asset fee, §4.0(4), §4.6); 0 when the fee is carried by the units themselves.
    (``st.fee_value(ev)``'s usual answer, ``ev.fee_usd``, inlined; the three shapes below
    inline this function in turn.)"""
    if side == "fiat" or side == "other":
        value = ev.fee_usd
        return value if value is not None else st.fee_value(ev)
    return ZERO


def _fee_units(st: State, ev: Trade, value: Decimal, liquidation: bool) -> None:
    """A third-asset fee (side "other") is also a disposal of the fee units at their FMV
    (§4.6); callers call this for that side only."""
    if ev.fee is not None:
        dispose(st, ev, ev.fee.asset, ev.fee.quantity, value, Purpose.FEE, liquidation)


def _cash_purchase(st: State, ev: Trade, side: str, sent: Amount, received: Amount,
                   extra: Decimal, liquidation: bool) -> None:
    if sent.asset == USD:
        cost = sent.quantity
    else:  # another fiat: its USD value is the FMV of what it bought
        cost = st.usd(ev, ev.usd_value, f"{sent} paid")
    quantity = received.quantity
    fee = ZERO
    paid = ev.fee
    if side == "received" and paid is not None:
        quantity -= paid.quantity
    elif side == "fiat" or side == "other":  # _fee_cost(), inlined
        fee_usd = ev.fee_usd
        fee = fee_usd if fee_usd is not None else st.fee_value(ev)
        if side == "other":
            _fee_units(st, ev, fee, liquidation)
    if quantity > ZERO:  # acquire(), inlined: the received side is crypto
        st.open_lot(ev, received.asset, quantity, cost + fee + extra, None, False, liquidation)


def _cash_sale(st: State, ev: Trade, side: str, sent: Amount, received: Amount,
               extra: Decimal, liquidation: bool) -> None:
    if received.asset == USD:
        got = received.quantity
    else:
        got = st.usd(ev, ev.usd_value, f"{received} received")
    quantity = sent.quantity
    fee = ZERO
    paid = ev.fee
    if side == "sent" and paid is not None:
        quantity += paid.quantity
    elif side == "fiat" or side == "other":  # _fee_cost(), inlined
        fee_usd = ev.fee_usd
        fee = fee_usd if fee_usd is not None else st.fee_value(ev)
    dispose(st, ev, sent.asset, quantity, got - fee - extra, Purpose.SALE, liquidation)
    if side == "other":
        _fee_units(st, ev, fee, liquidation)


def _swap(st: State, ev: Trade, side: str, sent: Amount, received: Amount, extra: Decimal,
          liquidation: bool) -> None:
    value = ev.usd_value  # st.main_usd(ev, received), its usual answer inlined
    if value is None:
        value = st.main_usd(ev, received)
    quantity_out, quantity_in, basis = sent.quantity, received.quantity, value
    fee = ZERO
    paid = ev.fee
    if side == "sent" and paid is not None:
        quantity_out += paid.quantity
    elif side == "received" and paid is not None:
        fee = st.fee_value(ev)  # withheld units: FMV kept = value - fee
        quantity_in -= paid.quantity
        basis = value - fee
    elif side == "fiat" or side == "other":  # _fee_cost(), inlined
        fee_usd = ev.fee_usd
        fee = fee_usd if fee_usd is not None else st.fee_value(ev)
    dispose(st, ev, sent.asset, quantity_out, value - fee - extra, Purpose.SALE, liquidation)
    if side == "other":
        _fee_units(st, ev, fee, liquidation)
    if quantity_in > ZERO:  # acquire(), inlined: the received side is crypto
        st.open_lot(ev, received.asset, quantity_in, basis, None, False, liquidation)


def book_trade(st: State, ev: Trade, extra_fee: Decimal = ZERO) -> None:
    """Book a trade or liquidation (tax-rules.md §4.0(4), §4.2, §4.6)."""
    sent, received = ev.sent, ev.received
    if sent is None or received is None:
        st.diag(Severity.ERROR, "bad-event", f"{ev.type_name} without both sides: skipped", ev.source)
        return
    liquidation = type(ev) is not Trade and isinstance(ev, Liquidation)
    start = len(st.disposals)
    fee = ev.fee  # where the fee is paid (module docstring)
    if fee is None or fee.quantity <= ZERO:
        side = "none"
    elif fee.asset in FIAT:
        side = "fiat"
    elif fee.asset == sent.asset:
        side = "sent"
    elif fee.asset == received.asset:
        side = "received"
    else:
        side = "other"
    if sent.asset in FIAT:
        if received.asset in FIAT:
            if side == "other":
                _fee_units(st, ev, _fee_cost(st, ev, side), liquidation)
        else:
            _cash_purchase(st, ev, side, sent, received, extra_fee, liquidation)
    elif received.asset in FIAT:
        _cash_sale(st, ev, side, sent, received, extra_fee, liquidation)
    else:
        _swap(st, ev, side, sent, received, extra_fee, liquidation)
    if liquidation:
        _remember_liquidation(st, ev, start)


def _remember_liquidation(st: State, ev: Trade, start: int) -> None:
    """Keep the sale disposals of the account's latest liquidation (fills in the same
    second count as one liquidation) for a later deficit write-off (U4)."""
    rows = [i for i in range(start, len(st.disposals)) if st.disposals[i].purpose is Purpose.SALE]
    second = ev.time.replace(microsecond=0)
    previous = st.last_liquidation.get(ev.account)
    if previous is not None and previous[0] == second:
        previous[1].extend(rows)
    else:
        st.last_liquidation[ev.account] = (second, rows)
