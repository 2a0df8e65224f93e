"""Spot events other than trades: deposits, withdrawals, own transfers, income, spending,
stand-alone fees (tax-rules.md §4.0, §4.6, §5.1, §6.2)."""

from __future__ import annotations

from dataclasses import replace

from taxmargin.booking import Purpose
from taxmargin.engine.dispose import (
    acquire,
    dispose,
    make_income_item,
    remove,
    trace_out,
)
from taxmargin.engine.lots import make_lot
from taxmargin.engine.state import ZERO, State
from taxmargin.errors import Severity
from taxmargin.models import (
    FIAT,
    Deposit,
    EventBase,
    Fee,
    Income,
    Spend,
    Transfer,
    Withdrawal,
)

__all__ = [
    "book_deposit",
    "book_fee",
    "book_income",
    "book_spend",
    "book_transfer",
    "book_withdrawal",
    "event_fee",
]


def event_fee(st: State, ev: EventBase, purpose: Purpose, *, liquidation: bool = False) -> None:
    """The ``fee`` of a non-trade event: crypto fee units are disposed of at ``fee_usd``
    (§4.0(5), §4.6); a fiat fee has no tax effect (an ``info`` note)."""
    fee = ev.fee
    if fee is None or fee.quantity <= 0:
        return
    if fee.asset in FIAT:
        st.diag(Severity.INFO, "nondeductible-fee",
                f"{fee} fee on a {ev.type_name}: no tax effect", ev.source)
        return
    dispose(st, ev, fee.asset, fee.quantity, st.fee_value(ev), purpose, liquidation=liquidation)


def book_deposit(st: State, ev: Deposit) -> None:
    """Units entering from outside: a lot with the carried-in basis and acquisition time;
    no basis given -> basis 0, flagged ``missing-basis`` (never a silent zero)."""
    received = ev.received
    if received is not None and received.asset not in FIAT:
        acquired = ev.acquired or ev.time
        if acquired > ev.time:
            st.diag(Severity.WARNING, "bad-acquired",
                    f"acquired {acquired.isoformat()} is after the deposit; deposit time used",
                    ev.source)
            acquired = ev.time
        missing = ev.basis_usd is None
        if missing:
            st.diag(Severity.WARNING, "missing-basis",
                    f"deposit of {received} has no basis_usd; basis 0 used", ev.source)
        basis = ev.basis_usd if ev.basis_usd is not None else ZERO
        acquire(st, ev, received.asset, received.quantity, basis, acquired=acquired,
                missing_basis=missing)
    event_fee(st, ev, Purpose.TRANSFER_FEE)


def book_withdrawal(st: State, ev: Withdrawal) -> None:
    """Units leave to an untracked own place: lots removed by the account's order, no
    disposal; a crypto fee is a disposal (§4.0(5))."""
    sent = ev.sent
    if sent is not None:
        trace_out(st, ev, sent.asset)
        if sent.asset not in FIAT:
            remove(st, ev, sent.asset, sent.quantity)
    event_fee(st, ev, Purpose.TRANSFER_FEE)


def book_transfer(st: State, ev: Transfer) -> None:
    """Own transfer: the lots move to ``to_account`` with their basis and original
    acquisition times [REG1012 (j); tax-rules.md §5.1, §6.2]; a crypto fee is a disposal
    from the sending pool. Units nothing explains arrive with zero basis, flagged."""
    sent = ev.sent
    if sent is None or not ev.to_account:
        st.diag(Severity.ERROR, "bad-event", "transfer without sent units or to_account: skipped",
                ev.source)
        return
    trace_out(st, ev, sent.asset)
    if sent.asset not in FIAT:
        pieces, borrowed, missing = remove(st, ev, sent.asset, sent.quantity)
        to_account, tail, next_seq = ev.to_account, (ev.source,), st.next_seq
        add = st.pool(to_account, sent.asset).add
        for piece in pieces:  # replace(piece, serial=..., account=..., sources=...), faster
            add(make_lot(
                next_seq(), piece.seq, piece.lot_id, to_account, piece.quantity,
                piece.basis_usd, piece.acquired, piece.unit_basis_usd,
                piece.sources + tail, piece.missing_basis, piece.from_liquidation,
            ))
        unexplained = borrowed + missing
        if unexplained > 0:
            st.diag(Severity.WARNING, "missing-basis",
                    f"{unexplained} {sent.asset} moved to {ev.to_account} were not owned "
                    f"(borrowed or unexplained); they arrive with basis 0", ev.source)
            moved = replace(ev, account=ev.to_account)
            acquire(st, moved, sent.asset, unexplained, ZERO, missing_basis=True)
    event_fee(st, ev, Purpose.TRANSFER_FEE)


def book_income(st: State, ev: Income) -> None:
    """Ordinary income at FMV when received; the units open a lot at that value, acquired
    on receipt (N2014-21 A-3/A-4; tax-rules.md §6.2)."""
    received = ev.received
    if received is not None:
        value = st.main_usd(ev, received)
        st.income.append(make_income_item(ev.time, ev.account, received.asset,
                                          received.quantity, value, "income", ev.source))
        acquire(st, ev, received.asset, received.quantity, value)
    event_fee(st, ev, Purpose.FEE)


def book_spend(st: State, ev: Spend) -> None:
    """Spending crypto on goods or services: a disposal at FMV (N2014-21 A-6)."""
    sent = ev.sent
    if sent is not None and sent.asset not in FIAT:
        dispose(st, ev, sent.asset, sent.quantity, st.main_usd(ev, sent), Purpose.SPEND)
    event_fee(st, ev, Purpose.FEE)


def book_fee(st: State, ev: Fee, fee_of: bool | None) -> None:
    """A stand-alone fee (§4.6). Crypto: a disposal of the fee units at FMV. When charged
    with a trade in the same account and second (``fee_of`` is not None; True for a
    liquidation) its value has already been counted as that trade's transaction cost
    (§4.2, §4.6) and a liquidation's fee disposal is flagged; a fiat fee tied to no trade
    has no tax effect."""
    liquidation_fee = bool(fee_of)
    sent = ev.sent
    if sent is None:
        st.diag(Severity.ERROR, "bad-event", "fee without sent units: skipped", ev.source)
        return
    if sent.asset in FIAT:
        if fee_of is not None:
            st.main_usd(ev, sent)  # only to flag a missing price of a non-USD fiat fee
        else:
            st.diag(Severity.INFO, "nondeductible-fee",
                    f"{sent} fee: no tax effect (not tied to a trade)", ev.source)
    else:
        dispose(st, ev, sent.asset, sent.quantity, st.main_usd(ev, sent), Purpose.FEE,
                liquidation=liquidation_fee)
    event_fee(st, ev, Purpose.FEE, liquidation=liquidation_fee)
