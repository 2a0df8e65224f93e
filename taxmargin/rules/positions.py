"""What was open at the end of a tax year: lots, shorts, liabilities (tax-rules.md §4.3
"list it in a year-end 'open positions' schedule").

The engine's ``Booking`` describes the state after the last event it was given. When that
is after the year's end, open lots are rebuilt exactly from the later disposals (a lot
consumed after Dec 31 was open on Dec 31); shorts and liabilities cannot be rebuilt from
the booking, so they are taken as booked and an ``open-positions`` note says so.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from taxmargin.booking import Booking, Disposal, Liability, OpenLot, OpenShort, Purpose
from taxmargin.errors import Diagnostic, Severity
from taxmargin.rules.dates import year_start

__all__ = ["YearEndPositions", "year_end_positions"]

#: Disposals that do not consume a lot of the pool (a P&L row, a short closed by delivery).
_NO_LOT = frozenset({Purpose.PNL, Purpose.SHORT})


@dataclass(frozen=True, slots=True)
class YearEndPositions:
    lots: tuple[OpenLot, ...]
    shorts: tuple[OpenShort, ...]
    liabilities: tuple[Liability, ...]
    notes: tuple[Diagnostic, ...]


def _consumed_lot(disposal: Disposal) -> OpenLot:
    """The part of a lot that a later disposal consumed, as it stood at the year's end."""
    source = disposal.sources[1] if len(disposal.sources) > 1 else disposal.sources[0]
    return OpenLot(
        account=disposal.account,
        asset=disposal.asset,
        quantity=disposal.quantity,
        basis_usd=disposal.basis_usd,
        acquired=disposal.acquired,
        source=source,
        lot_id=disposal.lot_id,
    )


def _merge(lots: list[OpenLot]) -> tuple[OpenLot, ...]:
    """Join pieces of one lot (same account, asset and non-empty ``lot_id``) by addition."""
    merged: dict[tuple[str, str, str], OpenLot] = {}
    loose: list[OpenLot] = []
    for lot in lots:
        if not lot.lot_id:
            loose.append(lot)
            continue
        key = (lot.account, lot.asset, lot.lot_id)
        seen = merged.get(key)
        if seen is None:
            merged[key] = lot
        else:
            merged[key] = replace(
                seen, quantity=seen.quantity + lot.quantity, basis_usd=seen.basis_usd + lot.basis_usd
            )
    every = list(merged.values()) + loose
    every.sort(key=lambda lot: (lot.account, lot.asset, lot.acquired, lot.lot_id, lot.source))
    return tuple(every)


def _activity_after(booking: Booking, end: datetime, times: Sequence[datetime] | None = None) -> bool:
    """Whether anything in the booking is dated at or after ``end`` (latest items first:
    the booking is in time order, so a later item is usually found at once; with the
    sale times in order, ``times``, the last one tells)."""
    end = end.astimezone(UTC)  # one zone on both sides: a plain field comparison
    return (
        (bool(times) and times[-1] >= end if times is not None
         else any(d.disposed >= end for d in reversed(booking.disposals)))
        or any(i.time >= end for i in booking.income)
        or any(i.time >= end for i in booking.interest)
        or any(f.time >= end for f in booking.funding_paid)
        or any(lot.acquired >= end for lot in booking.open_lots)
    )


def year_end_positions(
    booking: Booking, year: int, zone: ZoneInfo, *, times: Sequence[datetime] | None = None
) -> YearEndPositions:
    """Open lots, open shorts and liabilities at the end of ``year`` (Dec 31 in ``zone``).

    Lots: the booking's open lots acquired before the end, plus every lot piece acquired
    before the end and disposed of after it (exact: quantities and bases are added back).
    A lot moved to another own account after the end is shown in the account of record.
    ``times``: the disposals' sale times in order (``dates.sale_times``), if made: the
    disposals after the end are then the run after the last sale before it.
    """
    end = year_start(year + 1, zone)
    end_utc = end.astimezone(UTC)  # the same instant; compares faster with UTC times
    pieces = [lot for lot in booking.open_lots if lot.acquired < end_utc]
    disposals = booking.disposals
    if times is not None:  # in time order: those sold at or after the end are the last ones
        disposals = disposals[bisect_left(times, end_utc):]
    pieces += [
        _consumed_lot(d)
        for d in disposals
        if d.disposed >= end_utc and d.acquired < end_utc and not d.short_sale and d.purpose not in _NO_LOT
    ]
    shorts = tuple(s for s in booking.open_shorts if s.opened < end)
    notes: tuple[Diagnostic, ...] = ()
    if _activity_after(booking, end, times):
        notes = (
            Diagnostic(
                Severity.INFO,
                "open-positions",
                f"the booked events continue after {year}; open shorts and liabilities are "
                "listed as of the last booked event (open lots are as of Dec 31)",
            ),
        )
    return YearEndPositions(_merge(pieces), shorts, tuple(booking.liabilities), notes)

