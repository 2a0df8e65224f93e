"""``taxmargin check``: the ledger against the exchange's own numbers (issue 7).

Pure functions over a :class:`Snapshot` (the stored events, each import's events and
balance checkpoints, and the integrity problems :mod:`taxmargin.ledger_audit` found while
reading the file) to :class:`~taxmargin.errors.Diagnostic` values:

* ``balance-mismatch`` (warning) — per import, account and asset, the first checkpoint
  where the events that import produced (stored by it, or found already stored) do not
  add up to what the export's balance column says (``BalanceCheckpoint.expected``). The
  diagnostic names the row (``FILE:LINE``) that states the balance.
* ``opening-balance`` (warning) — the export starts with more units than the ledger holds
  before its first row: earlier history is missing (the units would have no basis); or its
  first row implies a negative balance before it (the row's amount and balance disagree).
* ``negative-balance`` (warning; ``info`` for fiat, which is cash, tax-rules.md §4.0(4)) —
  the first time the ledger's holdings of an (account, asset) pool fall below zero.
* ``open-liability`` (warning) — units borrowed that no ``repay`` or ``writeoff`` closes
  by the ledger's last event (tax-rules.md §4.5).
* ``unmatched-withdrawal`` (info) — a crypto withdrawal with no deposit in another tracked
  account (``taxmargin.transfers``): the coins left the ledger's view.

Balance changes of an event (units *held*): ``received`` adds, ``sent`` and ``fee``
subtract; a ``transfer`` adds ``sent`` to ``to_account``; ``borrow`` / ``repay`` change
holdings like any receipt / delivery; a ``writeoff`` cancels a liability and leaves
holdings alone (tax-rules.md §4.2, U4). Severity ``error`` and ``warning`` make
``check`` exit 1; ``info`` notes do not.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from taxmargin.errors import Diagnostic, Severity
from taxmargin.importers.base import BalanceCheckpoint
from taxmargin.models import FIAT, Borrow, EventBase, Repay, SourceRef, Transfer, WriteOff
from taxmargin.transfers import match_transfers

__all__ = [
    "CheckReport",
    "ImportView",
    "Snapshot",
    "balance_changes",
    "check",
    "compare_import",
    "negative_balances",
    "open_liabilities",
    "opening_shortfalls",
    "Holdings",
]

ZERO = Decimal(0)
SECOND = timedelta(seconds=1)
Pool = tuple[str, str]  # (account, asset)


@dataclass(frozen=True, slots=True)
class ImportView:
    """One recorded import: its events (stored by it, or already stored when it ran)
    and the exchange balance checkpoints it recorded."""

    import_id: int
    file_name: str
    layout: str
    events: tuple[EventBase, ...]
    balances: tuple[BalanceCheckpoint, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What ``check`` looks at: every readable stored event (booking order), every import,
    and the integrity problems found while reading the ledger file."""

    events: tuple[EventBase, ...]
    imports: tuple[ImportView, ...]
    problems: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The diagnostics, and how much was compared."""

    diagnostics: tuple[Diagnostic, ...]
    events: int
    imports: int
    checkpoints: int
    files_with_balances: int

    @property
    def exit_code(self) -> int:
        """0 = nothing to look at; 1 = an error or warning was found."""
        return 1 if any(d.severity is not Severity.INFO for d in self.diagnostics) else 0


def balance_changes(event: EventBase) -> list[tuple[Pool, Decimal]]:
    """How ``event`` changes the units held per (account, asset) (module docstring)."""
    out: list[tuple[Pool, Decimal]] = []
    if event.received is not None:
        out.append(((event.account, event.received.asset), event.received.quantity))
    if event.sent is not None and not isinstance(event, WriteOff):
        out.append(((event.account, event.sent.asset), -event.sent.quantity))
        if isinstance(event, Transfer) and event.to_account:
            out.append(((event.to_account, event.sent.asset), event.sent.quantity))
    if event.fee is not None:
        out.append(((event.account, event.fee.asset), -event.fee.quantity))
    return out


def _less(amount: Decimal, what: str) -> str:
    """`` less 5 what`` / `` plus 5 what`` (nothing for zero)."""
    if not amount:
        return ""
    return f" {'less' if amount > 0 else 'plus'} {abs(amount)} {what}"


def _mismatch(view: ImportView, cp: BalanceCheckpoint, held: Decimal) -> Diagnostic:
    adjust = _less(cp.skipped, "moved by rows without events")
    opening = _less(cp.opening, "held before the file")
    return Diagnostic(
        Severity.WARNING, "balance-mismatch",
        f"{cp.asset} in '{cp.account}': {view.file_name} states a balance of {cp.balance} after this row"
        f"{adjust}{opening}, so its events must add up to {cp.expected}; the ledger's events from this "
        f"file add up to {held} (difference {held - cp.expected}). First divergence for this asset "
        "in this file: a row missing, rejected, or changed after import",
        cp.source,
    )


def compare_import(view: ImportView) -> list[Diagnostic]:
    """The first divergence per (account, asset) between the import's events and its
    checkpoints: the events up to the end of each checkpoint's second are summed."""
    events = sorted(view.events, key=lambda e: e.sort_key)
    held: dict[Pool, Decimal] = {}
    reported: set[Pool] = set()
    out: list[Diagnostic] = []
    index = 0
    for cp in sorted(view.balances, key=lambda c: c.time):
        end = cp.time + SECOND
        while index < len(events) and events[index].time < end:
            for pool, change in balance_changes(events[index]):
                held[pool] = held.get(pool, ZERO) + change
            index += 1
        pool = (cp.account, cp.asset)
        if pool not in reported and held.get(pool, ZERO) != cp.expected:
            reported.add(pool)
            out.append(_mismatch(view, cp, held.get(pool, ZERO)))
    return out


class Holdings:
    """The ledger's holdings of each pool over time (all stored events)."""

    def __init__(self, events: Sequence[EventBase]) -> None:
        self.times: dict[Pool, list[datetime]] = {}
        self.totals: dict[Pool, list[Decimal]] = {}
        for event in events:
            for pool, change in balance_changes(event):
                times, totals = self.times.setdefault(pool, []), self.totals.setdefault(pool, [])
                times.append(event.time)
                totals.append((totals[-1] if totals else ZERO) + change)

    def before(self, pool: Pool, time: datetime) -> Decimal:
        """Units of ``pool`` held before ``time`` (events at ``time`` excluded)."""
        times = self.times.get(pool, [])
        index = bisect.bisect_left(times, time)
        return self.totals[pool][index - 1] if index else ZERO


def opening_shortfalls(view: ImportView, holdings: Holdings) -> list[Diagnostic]:
    """Opening balances the ledger does not explain, each at the row where the sub-balance
    opening it first appears: one that opens below zero, and openings that add up to more
    than the ledger holds before the file's first row of the pool (history missing)."""
    out: list[Diagnostic] = []
    start: dict[Pool, Decimal] = {}  # the ledger's holdings before the file's first row
    opened: dict[Pool, Decimal] = {}
    short: set[Pool] = set()
    for cp in sorted(view.balances, key=lambda c: c.time):
        pool = (cp.account, cp.asset)
        if pool not in start:
            start[pool] = holdings.before(pool, cp.time)
        if cp.opening < opened.get(pool, ZERO):
            out.append(_negative_opening(view, cp, cp.opening - opened.get(pool, ZERO)))
        elif cp.opening > start[pool] and cp.opening > opened.get(pool, ZERO) and pool not in short:
            short.add(pool)
            out.append(Diagnostic(
                Severity.WARNING, "opening-balance",
                f"{view.file_name} holds {cp.opening} {cp.asset} in '{cp.account}' from before its own rows "
                f"(counted from this row), but the ledger holds {start[pool]} before the file starts: import "
                "the earlier history (or a deposit with its basis), otherwise those units have no basis",
                cp.source,
            ))
        opened[pool] = cp.opening
    return out


def _negative_opening(view: ImportView, cp: BalanceCheckpoint, amount: Decimal) -> Diagnostic:
    return Diagnostic(
        Severity.WARNING, "opening-balance",
        f"{view.file_name}: this {cp.asset} row's amount and balance imply {amount} held before it (in "
        f"its wallet of '{cp.account}'), less than nothing: the row is wrong or an earlier row is missing",
        cp.source,
    )


def negative_balances(events: Sequence[EventBase]) -> list[Diagnostic]:
    """The first time each pool's holdings fall below zero, after all events of a time."""
    held: dict[Pool, Decimal] = {}
    reported: set[Pool] = set()
    out: list[Diagnostic] = []
    ordered = sorted(events, key=lambda e: e.sort_key)
    touched: dict[Pool, SourceRef] = {}
    for position, event in enumerate(ordered):
        for pool, change in balance_changes(event):
            held[pool] = held.get(pool, ZERO) + change
            touched[pool] = event.source
        if position + 1 < len(ordered) and ordered[position + 1].time == event.time:
            continue  # events of one time are booked together
        for pool, source in touched.items():
            if held[pool] < 0 and pool not in reported:
                reported.add(pool)
                out.append(_negative(pool, held[pool], source))
        touched = {}
    return out


def _negative(pool: Pool, amount: Decimal, source: SourceRef) -> Diagnostic:
    account, asset = pool
    fiat = asset in FIAT
    return Diagnostic(
        Severity.INFO if fiat else Severity.WARNING, "negative-balance",
        f"after this event the ledger holds {amount} {asset} in '{account}': more units left than any "
        "event brought in (a deposit, transfer, borrow or earlier export is missing)"
        + (" — cash, no basis involved" if fiat else ""),
        source,
    )


@dataclass(slots=True)
class _Loan:
    source: SourceRef
    owed: Decimal


def open_liabilities(events: Sequence[EventBase]) -> list[Diagnostic]:
    """Borrowed units that no repay or writeoff closes (oldest loan first, §4.5)."""
    loans: dict[Pool, list[_Loan]] = {}
    for event in sorted(events, key=lambda e: e.sort_key):
        if isinstance(event, Borrow) and event.received is not None:
            loans.setdefault((event.account, event.received.asset), []).append(
                _Loan(event.source, event.received.quantity))
        elif isinstance(event, (Repay, WriteOff)) and event.sent is not None:
            _close(loans.get((event.account, event.sent.asset), []), event.sent.quantity)
    out: list[Diagnostic] = []
    for (account, asset), queue in loans.items():
        still_open = [loan for loan in queue if loan.owed > 0]
        if still_open:
            owed = sum((loan.owed for loan in still_open), ZERO)
            out.append(Diagnostic(
                Severity.WARNING, "open-liability",
                f"{owed} {asset} borrowed in '{account}' (the oldest open loan is this row) is never repaid "
                "or written off in the ledger: expected if the loan is still open, otherwise a repayment "
                "or liquidation is missing",
                still_open[0].source,
            ))
    return out


def _close(queue: list[_Loan], quantity: Decimal) -> None:
    """Reduce the open loans of a pool, oldest first, by ``quantity`` delivered back."""
    for loan in queue:
        if quantity <= 0:
            return
        paid = min(loan.owed, quantity)
        loan.owed -= paid
        quantity -= paid


def unmatched_withdrawals(events: Sequence[EventBase]) -> list[Diagnostic]:
    """Crypto withdrawals that no deposit in another tracked account matches."""
    _, notes = match_transfers(list(events))
    return [d for d in notes if d.code == "unmatched-withdrawal"]


def _sorted(found: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return tuple(sorted(found, key=lambda d: (rank[d.severity], d.code, d.source or SourceRef("", 0))))


def check(snapshot: Snapshot) -> CheckReport:
    """Every check of the module docstring, plus the snapshot's integrity problems."""
    holdings = Holdings(sorted(snapshot.events, key=lambda e: e.sort_key))
    found: list[Diagnostic] = list(snapshot.problems)
    for view in snapshot.imports:
        if view.balances:
            found += compare_import(view)
            found += opening_shortfalls(view, holdings)
    found += negative_balances(snapshot.events)
    found += open_liabilities(snapshot.events)
    found += unmatched_withdrawals(snapshot.events)
    with_balances = [view for view in snapshot.imports if view.balances]
    return CheckReport(
        diagnostics=_sorted(found), events=len(snapshot.events), imports=len(snapshot.imports),
        checkpoints=sum(len(view.balances) for view in with_balances), files_with_balances=len(with_balances),
    )
