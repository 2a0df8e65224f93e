"""USD unit prices by asset and time for the pricing stage (:mod:`taxmargin.pricing`):
:class:`PriceIndex` (nearest point in O(log n)), the prices implied by trades against USD
or a stablecoin (:func:`implied_points`) and :class:`ImpliedIndex`, which builds those
asset by asset on first lookup. Re-exported by :mod:`taxmargin.pricing`. Pure: no I/O.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from taxmargin.models import STABLECOINS, USD, EventBase, Trade

__all__ = ["ImpliedIndex", "PriceIndex", "PricePoint", "implied_points", "implied_points_of"]

#: (time UTC, asset, USD per unit, where it came from: ``FILE:LINE``)
PricePoint = tuple[datetime, str, Decimal, str]


class PriceIndex:
    """USD unit prices per asset, sorted by time: nearest-point lookup in O(log n)."""

    def __init__(self, points: Iterable[PricePoint]) -> None:
        rows: dict[str, list[tuple[datetime, Decimal, str]]] = {}
        for time, asset, usd, label in points:
            rows.setdefault(asset.upper(), []).append((time, usd, label))
        self._rows = {asset: sorted(found, key=lambda r: (r[0], r[2])) for asset, found in rows.items()}
        self._times = {asset: [r[0] for r in found] for asset, found in self._rows.items()}

    def __len__(self) -> int:
        return sum(len(found) for found in self._rows.values())

    def nearest(self, asset: str, time: datetime, window: timedelta) -> Decimal | None:
        """The price of the point nearest ``time`` within ``window`` (ties: the earlier)."""
        times = self._times.get(asset)
        if not times:
            return None
        at = bisect.bisect_left(times, time)
        best: tuple[timedelta, int] | None = None
        for index in (at - 1, at):
            if 0 <= index < len(times):
                gap = abs(times[index] - time)
                if gap <= window and (best is None or gap < best[0]):
                    best = (gap, index)
        return None if best is None else self._rows[asset][best[1]][1]


def _usd_like(asset: str) -> bool:
    return asset == USD or asset in STABLECOINS


def implied_points(events: Iterable[EventBase]) -> list[PricePoint]:
    """Unit prices implied by trades: against USD or a stablecoin (at $1.00), or by a
    USD value the file stated for the trade (which prices both sides, an exchange being an
    arm's-length swap of equal values, tax-rules.md §4.0(2))."""
    points: list[PricePoint] = []
    for event in events:
        if not isinstance(event, Trade) or event.sent is None or event.received is None:
            continue
        label = str(event.source)
        sent, received = event.sent, event.received
        if event.usd_value is not None and event.usd_value > 0:
            for side in (sent, received):
                if side.asset != USD and side.quantity > 0:
                    points.append((event.time, side.asset, event.usd_value / side.quantity, label))
            continue
        for cash, other in ((sent, received), (received, sent)):
            if _usd_like(cash.asset) and not _usd_like(other.asset) and other.quantity > 0:
                points.append((event.time, other.asset, cash.quantity / other.quantity, label))
    return points


def implied_points_of(asset: str, events: Iterable[EventBase]) -> list[PricePoint]:
    """``[p for p in implied_points(events) if p[1].upper() == asset]``, without dividing
    for the points of other assets: the same conditions in the same order, plus the
    asset test before each division."""
    points: list[PricePoint] = []
    for event in events:
        if not isinstance(event, Trade) or event.sent is None or event.received is None:
            continue
        sent, received = event.sent, event.received
        usd_value = event.usd_value
        if usd_value is not None and usd_value > 0:
            for side in (sent, received):
                if side.asset != USD and side.quantity > 0 and side.asset.upper() == asset:
                    points.append((event.time, side.asset, usd_value / side.quantity, str(event.source)))
            continue
        for cash, other in ((sent, received), (received, sent)):
            if (_usd_like(cash.asset) and not _usd_like(other.asset) and other.quantity > 0
                    and other.asset.upper() == asset):
                points.append((event.time, other.asset, cash.quantity / other.quantity, str(event.source)))
    return points


class ImpliedIndex:
    """``PriceIndex(implied_points(events))``, built asset by asset on first lookup: a
    ledger whose files state its USD values asks for few assets, or none. The trades are
    grouped by the (upper-case) assets they involve in one pass; an asset's points are
    then those ``implied_points`` gives for its trades, in the same order."""

    def __init__(self, events: Sequence[EventBase]) -> None:
        self._events = events
        self._trades: dict[str, list[EventBase]] | None = None
        self._indexes: dict[str, PriceIndex] = {}

    def _group(self) -> dict[str, list[EventBase]]:
        """Each (upper-case) asset's trades, in event order: a trade goes to the list of
        each of its (one or two) assets once."""
        trades: dict[str, list[EventBase]] = {}
        get = trades.get
        for event in self._events:
            if isinstance(event, Trade):
                sent, received = event.sent, event.received
                if sent is None or received is None:
                    continue
                first, second = sent.asset.upper(), received.asset.upper()
                found = get(first)
                if found is None:
                    trades[first] = [event]
                else:
                    found.append(event)
                if second != first:
                    found = get(second)
                    if found is None:
                        trades[second] = [event]
                    else:
                        found.append(event)
        return trades

    def nearest(self, asset: str, time: datetime, window: timedelta) -> Decimal | None:
        index = self._indexes.get(asset)
        if index is None:
            if self._trades is None:
                self._trades = self._group()
            points = implied_points_of(asset, self._trades.get(asset, ()))
            index = self._indexes[asset] = PriceIndex(points)
        return index.nearest(asset, time, window)
