"""Own-account transfer matching: a withdrawal and the deposit it became are one Transfer.

Moving units between one's own wallets or accounts is not a disposition; the units keep
their basis and acquisition dates (tax-rules.md §4.0(5), §5.1; Treas. Reg. §1.1012-1(j)).
Exchange exports show such a move as two unrelated rows: a withdrawal in one account and a
deposit in another. :func:`match_transfers` pairs them:

- same asset, different accounts (both tracked: they appear in the events), the deposit
  no more than :data:`MAX_GAP` (2 days) from the withdrawal;
- quantities agree: the deposit equals the withdrawal less its fee, where the fee may be
  included in the withdrawn quantity (``sent`` gross) or charged on top (``sent`` net); a
  further shortfall of at most :data:`TOLERANCE` of the quantity is an unrecorded network
  fee. Whatever left the sending account and did not arrive becomes the Transfer's fee in
  that asset (a disposal of those units, §4.0(5));
- a deposit that states its own carried-in basis (``basis_usd``) or a fee is left alone:
  the user described it as coming from outside.

Each match becomes ONE :class:`~taxmargin.models.Transfer` at the withdrawal's time, with
the withdrawal's source and id, ``sent`` = the units that arrived, ``to_account`` = the
deposit's account. Unmatched withdrawals and deposits stay as they are, each with an
``info`` diagnostic (not for fiat: paying cash in from a bank is routine, and cash has no
basis to carry). Deterministic (withdrawals in booking order, the nearest deposit in
time wins, ties by booking order); O(n log n): candidates come from a time index or a
quantity index, whichever holds fewer.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from taxmargin.errors import Diagnostic, Severity
from taxmargin.gcpause import gc_paused
from taxmargin.models import FIAT, Amount, Deposit, EventBase, Transfer, Withdrawal

__all__ = ["match_transfers", "MAX_GAP", "TOLERANCE"]

MAX_GAP = timedelta(days=2)
#: Largest unexplained shortfall (share of the quantity withdrawn) accepted as a network fee.
TOLERANCE = Decimal("0.005")


@dataclass(frozen=True, slots=True)
class _Fit:
    """How a deposit explains a withdrawal: the fee units that did not arrive."""

    fee: Amount | None
    gap: timedelta
    mismatch: Decimal


def _fit(withdrawal: Withdrawal, deposit: Deposit) -> _Fit | None:
    """Whether ``deposit`` is what arrived of ``withdrawal`` (module docstring rules)."""
    sent, received = withdrawal.sent, deposit.received
    if sent is None or received is None or sent.asset != received.asset:
        return None
    if deposit.account == withdrawal.account or deposit.basis_usd is not None or deposit.fee is not None:
        return None
    gap = abs(deposit.time - withdrawal.time)
    if gap > MAX_GAP:
        return None
    fee = withdrawal.fee
    fee_same = fee.quantity if fee is not None and fee.asset == sent.asset else Decimal(0)
    if fee is not None and fee.asset != sent.asset:
        # a fee in another asset stays as it is; the units must arrive whole
        return _Fit(fee, gap, Decimal(0)) if received.quantity == sent.quantity else None
    # gross: sent includes the fee; net: the fee was charged on top of sent
    lost_gross = sent.quantity - received.quantity
    lost_net = sent.quantity + fee_same - received.quantity
    lost = lost_gross if abs(lost_gross - fee_same) <= abs(lost_net - fee_same) else lost_net
    mismatch = abs(lost - fee_same)
    if lost < 0 or mismatch > sent.quantity * TOLERANCE:
        return None
    return _Fit(Amount(lost, sent.asset) if lost > 0 else None, gap, mismatch)


def _transfer(withdrawal: Withdrawal, deposit: Deposit, fit: _Fit) -> Transfer:
    received = deposit.received
    if received is None:  # pragma: no cover - _fit guarantees it
        raise ValueError("deposit without received units")
    same_fee = fit.fee == withdrawal.fee
    note = f"own transfer: deposit {deposit.source}"
    return Transfer(
        time=withdrawal.time,
        account=withdrawal.account,
        source=withdrawal.source,
        event_id=withdrawal.event_id,
        sent=received,
        fee=fit.fee,
        fee_usd=withdrawal.fee_usd if same_fee else None,
        note=f"{withdrawal.note}; {note}" if withdrawal.note else note,
        seq=withdrawal.seq,
        to_account=deposit.account,
    )


class _Deposits:
    """One asset's deposits in booking order, indexed twice: by time, and by exact quantity
    (each quantity's deposits by time). A withdrawal's candidates are whichever is smaller:
    the deposits within 2 days, or those of a fitting quantity within 2 days; each is then
    checked by :func:`_fit`. Either way a lookup is a few bisections."""

    def __init__(self, found: list[tuple[int, Deposit]]) -> None:
        ordered = sorted(found, key=lambda pd: pd[1].sort_key)
        self.positions = [position for position, _ in ordered]
        self.deposits = [deposit for _, deposit in ordered]
        self.times = [deposit.time for deposit in self.deposits]
        self.groups: dict[Decimal, tuple[list[datetime], list[int]]] = {}
        for index, deposit in enumerate(self.deposits):
            if deposit.received is not None:
                times, ids = self.groups.setdefault(deposit.received.quantity, ([], []))
                times.append(deposit.time)
                ids.append(index)
        self.sizes = sorted(self.groups)
        self.used: set[int] = set()

    def _candidates(self, withdrawal: Withdrawal, low: Decimal, high: Decimal) -> list[int]:
        start, end = withdrawal.time - MAX_GAP, withdrawal.time + MAX_GAP
        first, last = bisect.bisect_left(self.times, start), bisect.bisect_right(self.times, end)
        size_from, size_to = bisect.bisect_left(self.sizes, low), bisect.bisect_right(self.sizes, high)
        if size_to - size_from >= last - first:
            return list(range(first, last))
        found: list[int] = []
        for size in self.sizes[size_from:size_to]:
            times, ids = self.groups[size]
            found.extend(ids[bisect.bisect_left(times, start) : bisect.bisect_right(times, end)])
        return found

    def best(self, withdrawal: Withdrawal) -> tuple[int, _Fit] | None:
        """The unused deposit that fits ``withdrawal``: nearest in time, then the smallest
        mismatch, then booking order."""
        sent = withdrawal.sent
        if sent is None:
            return None
        fee = withdrawal.fee
        fee_same = fee.quantity if fee is not None and fee.asset == sent.asset else Decimal(0)
        slack = sent.quantity * TOLERANCE  # module docstring: deposit within fee + tolerance
        best: tuple[tuple[timedelta, Decimal, int], _Fit] | None = None
        for index in self._candidates(withdrawal, sent.quantity - fee_same - slack, sent.quantity + slack):
            if index in self.used:
                continue
            fit = _fit(withdrawal, self.deposits[index])
            if fit is not None and (best is None or (fit.gap, fit.mismatch, index) < best[0]):
                best = ((fit.gap, fit.mismatch, index), fit)
        return None if best is None else (best[0][2], best[1])


def _is_fiat(side: Amount | None) -> bool:
    return side is not None and side.asset in FIAT


def _unmatched(event: EventBase, what: str) -> Diagnostic:
    side = event.sent if isinstance(event, Withdrawal) else event.received
    return Diagnostic(
        Severity.INFO,
        f"unmatched-{what}",
        f"{what} of {side} in '{event.account}' has no matching "
        f"{'deposit' if what == 'withdrawal' else 'withdrawal'} in another tracked account "
        "within 2 days: treated as leaving to / arriving from outside the tracked accounts",
        event.source,
    )


@gc_paused()  # allocation-heavy, no reference cycles (taxmargin.gcpause)
def match_transfers(events: Sequence[EventBase]) -> tuple[tuple[EventBase, ...], tuple[Diagnostic, ...]]:
    """Pair own-account withdrawals with deposits (module docstring). Returns the events
    (each matched pair replaced by one Transfer at the withdrawal's place, the deposit
    dropped; everything else unchanged and in the same order) and the diagnostics."""
    by_asset: dict[str, list[tuple[int, Deposit]]] = {}
    moves: list[int] = []  # positions of every deposit and withdrawal, in order
    found_withdrawals: list[tuple[int, Withdrawal]] = []
    for position, event in enumerate(events):
        if isinstance(event, Deposit):
            moves.append(position)
            if event.received is not None:
                by_asset.setdefault(event.received.asset, []).append((position, event))
        elif isinstance(event, Withdrawal):
            moves.append(position)
            if event.sent is not None:
                found_withdrawals.append((position, event))
    deposits = {asset: _Deposits(found) for asset, found in by_asset.items()}
    replaced: dict[int, EventBase] = {}
    dropped: set[int] = set()
    withdrawals = sorted(found_withdrawals, key=lambda pe: pe[1].sort_key)
    for position, withdrawal in withdrawals:
        pool = deposits.get(withdrawal.sent.asset if withdrawal.sent else "")
        found = pool.best(withdrawal) if pool is not None else None
        if pool is None or found is None:
            continue
        index, fit = found
        pool.used.add(index)
        dropped.add(pool.positions[index])
        replaced[position] = _transfer(withdrawal, pool.deposits[index], fit)
    diagnostics: list[Diagnostic] = []
    for position in moves:  # only deposits and withdrawals can be unmatched
        if position in dropped or position in replaced:
            continue
        event = events[position]
        if isinstance(event, Withdrawal) and not _is_fiat(event.sent):
            diagnostics.append(_unmatched(event, "withdrawal"))
        elif isinstance(event, Deposit) and event.basis_usd is None and not _is_fiat(event.received):
            diagnostics.append(_unmatched(event, "deposit"))
    out = list(events)
    for position, transfer in replaced.items():
        out[position] = transfer
    if dropped:
        out = [event for position, event in enumerate(out) if position not in dropped]
    return tuple(out), tuple(diagnostics)
