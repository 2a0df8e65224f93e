"""Reassembling Binance statement rows into trades (exchange-formats.md §1.1, P12, P13).

The statement writes one row per leg per fill (``Transaction Buy``/``Spend``/``Fee`` ...)
and no order id: the rows of one trade share the account and the second, and may straddle
a second boundary. Rules (documented in importers/binance.py):

1. Clustering (:func:`cluster`): legs of one (sub-account, operation family) are sorted by
   (time, line) and cut into one group per second. A group that lacks a sent or a received
   leg is merged with the neighbouring group when that one is at most 1 s away (a fill that
   straddles the second boundary). ``chain=True`` (dust conversion) merges every group with
   the next one that is at most 1 s away, since one dust conversion is one operation.
2. Identical rows are separate fills: all are summed, nothing is de-duplicated (P12).
3. Per group (:func:`group_events`): non-fee legs are netted per asset; net out = sent, net
   in = received; fee rows (negative) are fees. One sent and one received asset -> one
   trade. Several received assets sharing one sent asset (or the reverse, e.g. a dust
   conversion of SOL and BTC into BNB) -> one trade per asset on the "many" side, the shared
   side split in EQUAL parts: the file has no prices, the split is arbitrary, the totals per
   asset are exact; a Diagnostic ``ambiguous-group`` says so. Several of both -> one trade
   per (sent, received) pair, both sides split equally (same diagnostic).
4. Fees: the trade's fee is the fee asset equal to the received asset, else the sent asset,
   else the first in file order; split over the trades like rule 3. Fees in a further asset
   become ``Fee`` events at the same time (the engine attaches same-second fees to the trade).
5. A group with no sent or no received leg after merging is one-legged: every row of it is
   rejected (``RowError``, "trade leg without its counter-leg") and a Diagnostic
   ``one-legged-trade`` is added, so the rows stay visible and accounted for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from taxmargin.errors import Diagnostic, RowError, Severity
from taxmargin.importers.binance_common import split_equal
from taxmargin.models import Amount, EventBase, Fee, SourceRef, Trade

__all__ = ["Leg", "GroupOutcome", "cluster", "group_events"]

ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Leg:
    """One statement row taking part in a trade: signed ``change`` of ``asset``."""

    time: datetime
    source: SourceRef
    asset: str
    change: Decimal
    is_fee: bool


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """Events (with the rows each was built from), rejected rows and diagnostics of a group."""

    events: tuple[tuple[EventBase, int], ...]
    errors: tuple[RowError, ...]
    diagnostics: tuple[Diagnostic, ...]


def _complete(legs: Sequence[Leg]) -> bool:
    sent, received, _ = _sides(legs)
    return bool(sent) and bool(received)


def cluster(legs: Sequence[Leg], *, chain: bool = False) -> list[list[Leg]]:
    """Cut legs of one (account, family) into trade groups (rule 1 of the module doc)."""
    by_second: list[list[Leg]] = []
    for leg in sorted(legs, key=lambda g: (g.time, g.source.line)):
        if by_second and by_second[-1][0].time == leg.time:
            by_second[-1].append(leg)
        else:
            by_second.append([leg])
    groups: list[list[Leg]] = []
    for group in by_second:
        if groups and group[0].time - groups[-1][-1].time <= ONE_SECOND:
            if chain or not _complete(groups[-1]) or not _complete(group):
                groups[-1].extend(group)
                continue
        groups.append(group)
    return groups


def _sides(legs: Sequence[Leg]) -> tuple[dict[str, Decimal], dict[str, Decimal], dict[str, Decimal]]:
    """(sent, received, fees) per asset in first-seen order; non-fee legs netted per asset."""
    net: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}
    for leg in legs:
        if leg.is_fee:
            fees[leg.asset] = fees.get(leg.asset, Decimal(0)) - leg.change
        else:
            net[leg.asset] = net.get(leg.asset, Decimal(0)) + leg.change
    sent = {a: -q for a, q in net.items() if q < 0}
    received = {a: q for a, q in net.items() if q > 0}
    return sent, received, fees


def _pairs(sent: dict[str, Decimal], received: dict[str, Decimal]) -> list[tuple[Amount, Amount]]:
    """One (sent, received) pair per combination, each side split equally (rule 3)."""
    sent_parts = {a: split_equal(q, len(received)) for a, q in sent.items()}
    received_parts = {a: split_equal(q, len(sent)) for a, q in received.items()}
    pairs: list[tuple[Amount, Amount]] = []
    for i, s_asset in enumerate(sent):
        for j, r_asset in enumerate(received):
            pairs.append((Amount(sent_parts[s_asset][j], s_asset), Amount(received_parts[r_asset][i], r_asset)))
    return pairs


def _primary_fee(fees: dict[str, Decimal], sent: dict[str, Decimal], received: dict[str, Decimal]) -> str | None:
    """Rule 4: fee asset = received asset, else sent asset, else first in file order."""
    for asset in (*received, *sent, *fees):
        if asset in fees:
            return asset
    return None


def group_events(
    legs: Sequence[Leg], *, account: str, note: str, kind: type[Trade] = Trade
) -> GroupOutcome:
    """Events of one group (rules 3-5 of the module doc). ``kind`` is Trade or Liquidation."""
    first = min(legs, key=lambda g: (g.time, g.source.line))
    sent, received, fees = _sides(legs)
    if not sent or not received:
        return _one_legged(legs, first, bool(sent))
    pairs = _pairs(sent, received)
    primary = _primary_fee(fees, sent, received)
    fee_parts = split_equal(fees[primary], len(pairs)) if primary else []
    events: list[tuple[EventBase, int]] = []
    for seq, (s, r) in enumerate(pairs):
        fee = Amount(fee_parts[seq], primary) if primary and fee_parts[seq] > 0 else None
        event = kind(time=first.time, account=account, source=first.source, sent=s, received=r,
                     fee=fee, note=note, seq=seq)
        events.append((event, len(legs) if seq == 0 else 0))
    for asset, quantity in fees.items():
        if asset != primary and quantity > 0:
            events.append((Fee(time=first.time, account=account, source=first.source,
                               sent=Amount(quantity, asset), note=f"{note}; further fee of this trade",
                               seq=len(events)), 0))
    diagnostics: list[Diagnostic] = []
    if len(pairs) > 1:
        diagnostics.append(Diagnostic(
            Severity.WARNING, "ambiguous-group",
            f"{len(legs)} rows at {first.time:%Y-%m-%d %H:%M:%S} give {', '.join(sent)} for "
            f"{', '.join(received)}: the file does not say which part paid for which, so each "
            f"shared quantity is split in equal parts over {len(pairs)} trades (arbitrary split; "
            f"the total per asset is exact)",
            first.source,
        ))
    return GroupOutcome(tuple(events), (), tuple(diagnostics))


def _one_legged(legs: Sequence[Leg], first: Leg, has_sent: bool) -> GroupOutcome:
    missing = "received" if has_sent else "sent"
    errors = tuple(
        RowError(leg.source, "Change", format(leg.change, "f"),
                 f"trade leg without its counter-leg: no {missing} asset in the same or the next second")
        for leg in sorted(legs, key=lambda g: g.source.line)
    )
    diagnostic = Diagnostic(
        Severity.WARNING, "one-legged-trade",
        f"{len(legs)} trade row(s) at {first.time:%Y-%m-%d %H:%M:%S} have no {missing} side "
        f"(export window or asset filter?); rejected",
        first.source,
    )
    return GroupOutcome((), errors, (diagnostic,))
