"""Engine-internal positions: an open long lot and an open short lot (design.md §4).

Both are frozen; the engine replaces a partly consumed lot with its remainder (same
``serial``, same ordering facts) instead of mutating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from taxmargin.frozen import positional
from taxmargin.models import SourceRef

__all__ = ["Lot", "ShortLot", "make_lot", "more_than_one_year"]


@dataclass(frozen=True, slots=True)
class Lot:
    """Owned units of one asset in one pool.

    ``serial`` is the lot's handle inside its pool (unique per pool, new when a lot moves);
    ``seq`` is the creation order of the original acquisition (kept across transfers, used
    to break ordering ties, tax-rules.md §5.1: transfer-in dates are disregarded).
    ``basis_usd`` includes purchase costs; ``unit_basis_usd`` is the basis per unit when
    the lot was created (the HIFO key; unchanged by partial consumption, since remainders
    keep the same per-unit basis). ``sources`` = the acquiring row, then any transfer rows.
    """

    serial: int
    seq: int
    lot_id: str
    account: str
    quantity: Decimal
    basis_usd: Decimal
    acquired: datetime
    unit_basis_usd: Decimal
    sources: tuple[SourceRef, ...]
    missing_basis: bool = False
    from_liquidation: bool = False


#: ``Lot(serial, seq, lot_id, account, quantity, basis_usd, acquired, unit_basis_usd,
#: sources, missing_basis, from_liquidation)``, every field positional, faster
#: (``taxmargin.frozen``): lots are created on the engine's hottest path.
make_lot = positional(Lot)


@dataclass(frozen=True, slots=True)
class ShortLot:
    """Borrowed units sold and not yet delivered (tax-rules.md §4.3): nothing is reported
    until delivery. ``proceeds_usd`` is the amount realized (net of selling costs) for
    ``quantity`` units. ``box_held_since``: when the short is "against the box" (U2), the
    earliest acquisition time of the same-asset units held at the short date."""

    seq: int
    account: str
    quantity: Decimal
    proceeds_usd: Decimal
    opened: datetime
    source: SourceRef
    event_id: str = ""
    from_liquidation: bool = False
    against_box: bool = False
    box_held_since: datetime | None = None


def _month_end(day: date) -> bool:
    return (day + timedelta(days=1)).month != day.month


def _one_year_end(acquired: date) -> date:
    """Last day of the first year of holding (tax-rules.md §6.1, month-end rule, U7
    conservative): a month-end acquisition ends on the month-end a year later."""
    year = acquired.year + 1
    if _month_end(acquired):
        following = date(year, acquired.month, 28) + timedelta(days=4)
        return following - timedelta(days=following.day)
    return date(year, acquired.month, acquired.day)


def more_than_one_year(acquired: datetime, at: datetime) -> bool:
    """Calendar-anniversary test on UTC dates (tax-rules.md §6.1): held from ``acquired``
    to ``at`` for more than one year. Used only for the short-against-the-box loss rule
    (§4.3, U2); ``taxmargin.rules`` re-derives every normal term in the profile zone."""
    return at.date() > _one_year_end(acquired.date())
