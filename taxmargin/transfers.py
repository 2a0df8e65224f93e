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
time wins, ties by source) and O(n log n) plus the few candidates inside each window.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from taxmargin.errors import Diagnostic, Severity
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


def _best(withdrawal: Withdrawal, deposits: list[Deposit], times: list[datetime], used: set[int]) -> tuple[int, _Fit] | None:
    low = bisect.bisect_left(times, withdrawal.time - MAX_GAP)
    high = bisect.bisect_right(times, withdrawal.time + MAX_GAP)
    best: tuple[tuple[timedelta, Decimal, int], int, _Fit] | None = None
    for index in range(low, high):
        if index in used:
            continue
        fit = _fit(withdrawal, deposits[index])
        if fit is None:
            continue
        rank = (fit.gap, fit.mismatch, index)
        if best is None or rank < best[0]:
            best = (rank, index, fit)
    return None if best is None else (best[1], best[2])


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


def match_transfers(events: Sequence[EventBase]) -> tuple[tuple[EventBase, ...], tuple[Diagnostic, ...]]:
    """Pair own-account withdrawals with deposits (module docstring). Returns the events
    (each matched pair replaced by one Transfer at the withdrawal's place, the deposit
    dropped; everything else unchanged and in the same order) and the diagnostics."""
    by_asset: dict[str, list[tuple[int, Deposit]]] = {}
    for position, event in enumerate(events):
        if isinstance(event, Deposit) and event.received is not None:
            by_asset.setdefault(event.received.asset, []).append((position, event))
    deposits = {a: sorted(found, key=lambda p: p[1].sort_key) for a, found in by_asset.items()}
    lists = {a: [d for _, d in found] for a, found in deposits.items()}
    times = {a: [d.time for d in found] for a, found in lists.items()}
    used: dict[str, set[int]] = {a: set() for a in lists}
    replaced: dict[int, EventBase] = {}
    dropped: set[int] = set()
    withdrawals = sorted(
        ((p, e) for p, e in enumerate(events) if isinstance(e, Withdrawal) and e.sent is not None),
        key=lambda pe: pe[1].sort_key,
    )
    for position, withdrawal in withdrawals:
        asset = withdrawal.sent.asset if withdrawal.sent else ""
        if asset not in lists:
            continue
        found = _best(withdrawal, lists[asset], times[asset], used[asset])
        if found is None:
            continue
        index, fit = found
        used[asset].add(index)
        dropped.add(deposits[asset][index][0])
        replaced[position] = _transfer(withdrawal, lists[asset][index], fit)
    out: list[EventBase] = []
    diagnostics: list[Diagnostic] = []
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
