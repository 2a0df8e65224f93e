"""Tax dates and the holding period (tax-rules.md §6).

Pure functions on calendar dates. Times are stored as aware UTC datetimes; the *tax date*
of an event is its calendar date in the taxpayer's configured IANA zone (§6.3, U5). The
holding period counts calendar months, not days (§6.1 [I8949; CASPE; LASSER]).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import islice, repeat
from operator import attrgetter, is_, le
from zoneinfo import ZoneInfo

from taxmargin.booking import Disposal, Term

__all__ = [
    "UTC_ZONE_KEYS",
    "TaxDates",
    "boundary_window",
    "holding_term",
    "near_one_year_boundary",
    "one_year_end",
    "rules_disagree",
    "sale_times",
    "tax_date",
    "year_start",
]


def tax_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of ``moment`` in ``zone`` (tax-rules.md §6.3, default of U5).

    A sale at 2026-01-01T03:00Z is a 2025 sale for a taxpayer in America/New_York
    (2025-12-31 22:00 local) and a 2026 sale in UTC. ``moment`` must be timezone-aware:
    a naive time has no defined calendar date, so passing one is a bug.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"tax_date needs an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(zone).date()


#: Names of the zone that is UTC at every instant (tzdata's ``Etc/UTC`` and its links).
UTC_ZONE_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT"})


class TaxDates:
    """:func:`tax_date` in one zone, remembered per moment: the rows of a year share few
    distinct times (the lots of one disposal, the disposals of one lot), so each is
    converted once. Equal instants have equal tax dates, so the memo is exact. In a UTC
    zone (:data:`UTC_ZONE_KEYS`) the tax date of a UTC time is its own date: no conversion."""

    __slots__ = ("_memo", "_utc", "known", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._utc = zone.key in UTC_ZONE_KEYS
        self._memo: dict[datetime, date] = {}
        #: The tax date of a moment already converted, else None: the memo's own ``get``,
        #: for hot loops (``dates.known(t) or dates(t)``; a date is never false).
        self.known: Callable[[datetime], date | None] = self._memo.get

    def __call__(self, moment: datetime) -> date:
        day = self._memo.get(moment)
        if day is None:
            if self._utc and moment.tzinfo is UTC:
                day = self._memo[moment] = moment.date()
            else:
                day = self._memo[moment] = tax_date(moment, self.zone)
        return day

    def utc_dates(self, moments: Iterable[datetime]) -> list[date] | None:
        """The tax dates of ``moments`` in a UTC zone when every one is a UTC time: each
        its own date, made by C-level maps without the memo (issue 6: a year's sale and
        acquisition times are nearly all distinct, a million of them, so the memo only
        costs); else None (the caller converts one by one)."""
        if not self._utc:
            return None
        moments = moments if isinstance(moments, list) else list(moments)
        if not all(map(is_, map(_TZINFO, moments), repeat(UTC))):
            return None
        return list(map(datetime.date, moments))


def year_start(year: int, zone: ZoneInfo) -> datetime:
    """Jan 1 00:00 of ``year`` in ``zone`` as an aware datetime (§6.3 boundary warnings)."""
    return datetime(year, 1, 1, tzinfo=zone)


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _same_day_next_year(acquired: date) -> date:
    """Same month and day one year later; Feb 29 has no twin and maps to Feb 28."""
    year = acquired.year + 1
    last = calendar.monthrange(year, acquired.month)[1]
    return date(year, acquired.month, min(acquired.day, last))


def one_year_end(acquired: date, *, conservative: bool = True) -> date:
    """The last day on which property acquired on ``acquired`` is still held "1 year or less".

    tax-rules.md §6.1: counting starts the day after acquisition and includes the sale day
    [I8949]; the unit is the calendar month, and property bought on the last day of a month
    completes each holding month on the last day of a later month [CASPE]. So:

    - acquired on the last day of a month -> the last day of that month one year later
      (2023-02-28 -> 2024-02-29; 2024-02-29 -> 2025-02-28);
    - otherwise -> the same month and day one year later (2024-01-15 -> 2025-01-15).

    ``conservative=False`` is the naive same-month-and-day anniversary of U7 (2023-02-28 ->
    2024-02-28); it differs only for month-end acquisitions in a month whose length
    changes between the years (February).
    """
    return _one_year_end(acquired, conservative)


@lru_cache(maxsize=65536)
def _one_year_end(acquired: date, conservative: bool) -> date:
    """:func:`one_year_end`, remembered per acquisition date (a pure function of a date;
    the rows of a year have a few hundred distinct acquisition dates)."""
    if conservative and _is_month_end(acquired):
        year = acquired.year + 1
        return date(year, acquired.month, calendar.monthrange(year, acquired.month)[1])
    return _same_day_next_year(acquired)


def holding_term(acquired: date, disposed: date, *, conservative: bool = True) -> Term:
    """Short-term (held 1 year or less) or long-term (more than 1 year), tax-rules.md §6.1.

    Long-term iff ``disposed > one_year_end(acquired)`` [I8949; ISD; IRC §1222]. Never
    "days held > 365": 2024-01-15 -> 2025-01-15 is 366 days but exactly one year, so
    short-term. Pub 550 example: bought 2024-01-31, sold 2025-01-29 short-term, sold
    2025-02-06 long-term [P550 "Holding Period"].
    """
    if disposed > _one_year_end(acquired, conservative):
        return Term.LONG
    return Term.SHORT


def near_one_year_boundary(
    acquired: date, disposed: date, *, conservative: bool = True, days: int = 1
) -> bool:
    """True when ``disposed`` is within ``days`` of the lot's one-year boundary.

    tax-rules.md §6.3 asks for a warning on "disposals within ±1 day of a lot's one-year
    boundary": another time zone can move either date by one day and flip the term. The
    boundary lies between the last short-term day (``one_year_end``) and the first
    long-term day (``one_year_end + 1``); a sale within ``days`` of either side is flagged
    (``days=1``: from ``one_year_end - 1`` to ``one_year_end + 2``).
    """
    first, last = _boundary_window(acquired, conservative, days)
    return first <= disposed <= last


def boundary_window(acquired: date, *, conservative: bool = True, days: int = 1) -> tuple[date, date]:
    """The first and last sale dates :func:`near_one_year_boundary` flags for a lot
    acquired on ``acquired`` (for loops that look it up once per acquisition date)."""
    return _boundary_window(acquired, conservative, days)


@lru_cache(maxsize=65536)
def _boundary_window(acquired: date, conservative: bool, days: int) -> tuple[date, date]:
    """The sale dates :func:`near_one_year_boundary` flags, per acquisition date."""
    last_short = _one_year_end(acquired, conservative)
    return last_short - timedelta(days=days), last_short + timedelta(days=days + 1)


def rules_disagree(acquired: date, disposed: date) -> bool:
    """True when the conservative month-end rule and the naive anniversary give different
    terms (uncertainty register U7, tax-rules.md §9)."""
    return holding_term(acquired, disposed, conservative=True) != holding_term(
        acquired, disposed, conservative=False
    )


def sale_times(disposals: Sequence[Disposal]) -> list[datetime] | None:
    """The disposals' sale times, when they are in time order, else None.

    The engine books events in time order, so its disposals are (issue 6): then the
    disposals sold in a window of time are one run of them, found by bisecting these
    times (``bisect``) instead of comparing every sale time, once for each window (the
    tax year's sales, the year-end boundaries, the sales after the year). Checked here,
    never assumed: out of order, or with a naive time (which the comparisons of the
    callers refuse, or treat specially, as before), the callers compare every time."""
    times = list(map(_DISPOSED, disposals))
    if not times or times[0].utcoffset() is None:
        return None
    try:
        return times if all(map(le, times, islice(times, 1, None))) else None
    except TypeError:  # a naive time among aware ones
        return None


_DISPOSED = attrgetter("disposed")
_TZINFO = attrgetter("tzinfo")
