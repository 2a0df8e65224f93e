"""Loans: borrowing, repaying, interest and written-off deficits (tax-rules.md §3.2, §3.6,
§4.2–§4.5, §9 U1/U4).

Per pool the engine tracks the liability (borrowed units outstanding), the borrowed units
still unspent in the account, and the open shorts (borrowed units sold). Borrowing is
not income and no basis event (§4.5, U1 default). Fiat loans are a liability only.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from taxmargin.booking import IncomeItem, InterestPayment, Purpose
from taxmargin.engine.consume import split_amount
from taxmargin.engine.dispose import acquire, dispose, remove
from taxmargin.engine.shorts import close_without_delivery, deliver
from taxmargin.engine.spot import event_fee
from taxmargin.engine.state import ZERO, State
from taxmargin.errors import Severity
from taxmargin.models import FIAT, Amount, Borrow, Interest, Repay, WriteOff

__all__ = ["book_borrow", "book_interest", "book_repay", "book_writeoff"]


def book_borrow(st: State, ev: Borrow) -> None:
    """Loan proceeds: liability += units; no lot, no income (§4.5). A fresh loan (none
    outstanding) clears the asset's interest-tracing mark (§3.2)."""
    received = ev.received
    if received is not None:
        pool = st.pool(ev.account, received.asset)
        if pool.liability <= 0:
            st.tainted.get(ev.account, set()).discard(received.asset)
        pool.liability += received.quantity
        if received.asset not in FIAT:
            pool.unspent += received.quantity
    event_fee(st, ev, Purpose.FEE)


def book_repay(st: State, ev: Repay) -> None:
    """Repay ``sent`` units of principal: unspent borrowed units go back first (no tax);
    the rest delivers owned units against open shorts (§4.3, realizing them); units owed
    for borrowed units that had left the account are removed without a disposal (flagged);
    repaying more than is owed is ``over-repay`` and the excess leaves like a withdrawal."""
    sent = ev.sent
    if sent is None:
        st.diag(Severity.ERROR, "bad-event", "repay without sent units: skipped", ev.source)
        return
    pool = st.pool(ev.account, sent.asset)
    within = min(sent.quantity, pool.liability)
    excess = sent.quantity - within
    pool.liability -= within
    if sent.asset not in FIAT:
        back = min(within, pool.unspent)
        pool.unspent -= back
        to_shorts = min(within - back, pool.short_qty)
        deliver(st, ev, pool, to_shorts)
        gone = within - back - to_shorts
        if gone > 0:
            st.diag(Severity.WARNING, "repay-untracked",
                    f"{gone} {sent.asset} repay borrowed units that had left {ev.account}; "
                    "owned units are removed without a disposal: review", ev.source)
            remove(st, ev, sent.asset, gone)
    if excess > 0:
        st.diag(Severity.WARNING, "over-repay",
                f"repays {sent.quantity} {sent.asset} but only {within} is owed in "
                f"{ev.account}; the excess {excess} leaves like a withdrawal", ev.source)
        if sent.asset not in FIAT:
            remove(st, ev, sent.asset, excess)
    event_fee(st, ev, Purpose.FEE)


def book_interest(st: State, ev: Interest) -> None:
    """Margin/borrow interest paid: Form 4952 line 1 at its USD value (§3.6); paid in
    crypto it is also a disposal of those units at that value (§4.4). Flagged for
    tracing when borrowed units left the account while owed (§3.2)."""
    sent = ev.sent
    if sent is None:
        st.diag(Severity.ERROR, "bad-event", "interest without sent units: skipped", ev.source)
        return
    value = st.main_usd(ev, sent)
    traced = sorted(st.tainted.get(ev.account, ()))
    st.interest.append(InterestPayment(ev.time, ev.account, sent.asset, sent.quantity, value,
                                       ev.source, personal_use_flag=bool(traced)))
    if traced:
        st.diag(Severity.WARNING, "interest-tracing",
                f"borrowed {', '.join(traced)} left {ev.account} while owed; allocate this "
                "interest by the use of the loan (tax-rules.md §3.2)", ev.source)
    if sent.asset not in FIAT:
        dispose(st, ev, sent.asset, sent.quantity, value, Purpose.INTEREST)
    event_fee(st, ev, Purpose.FEE)


def book_writeoff(st: State, ev: WriteOff) -> None:
    """The exchange cancels ``sent`` units of a liability (liquidation deficit, §4.2, U4).

    The liability falls; cancelled units of an open short close it as if delivered at
    their FMV (share of ``usd_value``); cancelled unspent units become owned at their FMV.
    The USD value then goes, per ``liquidation_deficit``, into the amount realized of
    the account's latest liquidation (pro rata to its proceeds) or into ordinary
    cancellation-of-debt income; flagged either way."""
    sent = ev.sent
    if sent is None or sent.quantity <= 0:
        st.diag(Severity.ERROR, "bad-event", "writeoff without sent units: skipped", ev.source)
        return
    value = st.main_usd(ev, sent)
    pool = st.pool(ev.account, sent.asset)
    cancel = min(sent.quantity, pool.liability)
    if sent.quantity > cancel:
        st.diag(Severity.WARNING, "over-repay",
                f"writes off {sent.quantity} {sent.asset} but only {cancel} is owed", ev.source)
    pool.liability -= cancel
    if sent.asset not in FIAT and cancel > 0:
        per_unit = value / sent.quantity
        shorts = min(cancel, pool.short_qty)
        close_without_delivery(st, ev, pool, shorts, per_unit * shorts)
        kept = min(cancel - shorts, pool.unspent)
        pool.unspent -= kept
        acquire(st, ev, sent.asset, kept, per_unit * kept, liquidation=True)
    _deficit(st, ev, sent, value)


def _deficit(st: State, ev: WriteOff, sent: Amount, value: Decimal) -> None:
    """Where the written-off USD value goes (U4); the option is recorded as configured,
    and the diagnostic says what was done (a fallback to income included)."""
    choice = st.options.liquidation_deficit
    latest = st.last_liquidation.get(ev.account)
    rows = latest[1] if latest is not None else []
    if choice == "amount_realized" and rows:
        old = [st.disposals[i] for i in rows]
        weights = [d.proceeds_usd for d in old]
        if sum(weights, ZERO) <= 0:
            weights = [d.quantity for d in old]
        for index, row, share in zip(rows, old, split_amount(value, weights)):
            st.disposals[index] = replace(row, proceeds_usd=row.proceeds_usd + share)
        how = "added to the amount realized of the latest liquidation"
    else:
        st.income.append(IncomeItem(ev.time, ev.account, sent.asset, sent.quantity, value, "cod",
                                    ev.source))
        how = "treated as cancellation-of-debt income"
        if choice == "amount_realized":
            how += " (no liquidation before it in this account)"
    st.used["liquidation_deficit"] = choice
    st.diag(Severity.WARNING, "liquidation-deficit",
            f"deficit of {value} USD written off by the exchange: {how} (tax-rules.md §4.2, U4); "
            "review", ev.source)
