"""Row accounting and the exchange's own balances (issue 7: "every row accounted for",
"balances checked against the exchange's own numbers").

:func:`accounting_gap` says what does not add up in an :class:`~taxmargin.importers.base.ImportResult`
(the ledger refuses such a result). :class:`BalanceCheckpoint` is what an export states an
account holds; importers whose export has a running-balance column describe each row as a
:class:`BalanceRow` and get their checkpoints from :func:`balance_checkpoints`;
``taxmargin check`` (:mod:`taxmargin.check`) compares them with the ledger. All re-exported
by :mod:`taxmargin.importers.base`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from taxmargin.models import SourceRef

if TYPE_CHECKING:
    from taxmargin.importers.base import ImportResult

__all__ = ["BalanceCheckpoint", "BalanceRow", "accounting_gap", "balance_checkpoints"]


def accounting_gap(result: ImportResult) -> str | None:
    """What is wrong with ``result``'s row accounting (an importer bug), or None.

    Every row read must be in exactly one bucket: ``rows read = rows in events +
    non-taxable + rejected`` (module docstring), and ``rows_per_event``, when given, must
    say which events those rows are in (so the ledger can tell rows of new events from rows
    of events already stored). The message names the gap.
    """
    if result.unaccounted != 0:
        what = "in no bucket" if result.unaccounted > 0 else "counted twice"
        return (
            f"rows read {result.rows_read} = in events {result.rows_in_events} + non-taxable "
            f"{len(result.non_taxable)} + rejected {result.rows_rejected} does not add up: "
            f"{abs(result.unaccounted)} rows {what}"
        )
    if result.rows_per_event:
        if len(result.rows_per_event) != len(result.events):
            return (f"the layout gives the rows of {len(result.rows_per_event)} events but made "
                    f"{len(result.events)} events")
        if sum(result.rows_per_event) != result.rows_in_events:
            return (f"its events are built from {sum(result.rows_per_event)} rows but it counts "
                    f"{result.rows_in_events} rows in events")
    elif result.rows_in_events not in (0, len(result.events)):
        return (f"it counts {result.rows_in_events} rows in {len(result.events)} events without "
                "saying which rows are in which event (rows_per_event)")
    return None


@dataclass(frozen=True, slots=True)
class BalanceCheckpoint:
    """What the exchange says ``account`` holds of ``asset`` at the end of the second that
    starts at ``time`` (issue 7: "balances checked against the exchange's own numbers").
    Whole seconds: the ledger's events carry only their time, rows of one second cannot be
    ordered against them, and two exports of one exchange write one trade with and without
    fractions of a second (Kraken ``ledgers.csv`` / ``trades.csv``).

    ``balance`` is the file's stated balance summed over the exchange's sub-balances that
    make up the pool (wallets, staking codes: tax-rules.md §5.1, U6), as units *held*
    (borrowed units included: a Bybit wallet balance of -300 USDT means 0 held and 300
    owed). ``skipped`` is the net change, up to ``time``, of this file's rows that are
    knowingly not events (moves between sub-wallets of the pool; such a move may be in
    transit between two rows). ``opening`` is what those sub-balances held before their
    first rows in the file (a sub-balance counts from its first row on: a wallet first
    seen mid-file adds its opening there). So the events this file produced must add up, by
    the end of that second, to :attr:`expected`; the ledger must hold the pool's last
    ``opening`` before the file starts; and no sub-balance can open below zero.
    ``source`` is the row that states the balance (the last row of the second for the asset).
    """

    source: SourceRef
    account: str
    asset: str
    balance: Decimal
    time: datetime
    skipped: Decimal = Decimal(0)
    opening: Decimal = Decimal(0)

    @property
    def expected(self) -> Decimal:
        """The net change that this file's events must add up to by ``time``."""
        return self.balance - self.skipped - self.opening


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One row that states a balance: the exchange's sub-balance ``stream`` (a wallet and
    asset code) of ``asset`` went from ``before`` to ``after`` (units held) at ``time``.
    ``skipped`` = the row is a non-taxable row (no event)."""

    source: SourceRef
    time: datetime
    account: str
    asset: str
    stream: str
    before: Decimal
    after: Decimal
    skipped: bool = False


def _chronological(rows: Sequence[BalanceRow]) -> list[BalanceRow]:
    """Rows oldest first. Exports are written oldest first (Kraken) or newest first (Bybit,
    P11); rows of one second keep the file's direction (the direction of the whole file)."""
    by_line = sorted(rows, key=lambda r: r.source.line)
    newest_first = len(by_line) > 1 and by_line[0].time > by_line[-1].time
    sign = -1 if newest_first else 1
    return sorted(rows, key=lambda r: (_second(r.time), sign * r.source.line))


def _second(time: datetime) -> datetime:
    return time.replace(microsecond=0)


def balance_checkpoints(rows: Sequence[BalanceRow]) -> tuple[BalanceCheckpoint, ...]:
    """One :class:`BalanceCheckpoint` per (account, asset) and second of the rows, after the
    last row of that second (see :class:`BalanceCheckpoint`). A sub-balance counts from its
    first row on, with its opening (the ``before`` of that row) added to ``opening``."""
    Pool = tuple[str, str]
    current: dict[tuple[str, str, str], Decimal] = {}  # sub-balances seen so far
    opening: dict[Pool, Decimal] = {}
    skipped: dict[Pool, Decimal] = {}
    balance: dict[Pool, Decimal] = {}
    ordered = _chronological(rows)
    last = {(row.account, row.asset, _second(row.time)): index for index, row in enumerate(ordered)}
    out: list[BalanceCheckpoint] = []
    for index, row in enumerate(ordered):
        pool, stream = (row.account, row.asset), (row.account, row.asset, row.stream)
        if stream not in current:
            current[stream] = row.before
            opening[pool] = opening.get(pool, Decimal(0)) + row.before
            balance[pool] = balance.get(pool, Decimal(0)) + row.before
        balance[pool] += row.after - current[stream]
        current[stream] = row.after
        if row.skipped:
            skipped[pool] = skipped.get(pool, Decimal(0)) + row.after - row.before
        if last[(row.account, row.asset, _second(row.time))] == index:  # the second's last row
            out.append(BalanceCheckpoint(
                source=row.source, account=row.account, asset=row.asset, balance=balance[pool],
                time=_second(row.time), skipped=skipped.get(pool, Decimal(0)), opening=opening[pool],
            ))
    return tuple(out)
