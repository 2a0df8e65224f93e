"""Diagnostics of one tax year (tax-rules.md §6.3 warnings, §1.2 broker flag, §1.8).

- ``holding-boundary``: a disposal within one day of its lot's one-year boundary (§6.3 (2));
- ``year-boundary``: an event within 24 hours of Jan 1 00:00 local at either end of the
  year (§6.3 (1));
- ``may-be-broker-reported``: sales at a US custodial broker that may appear on a Form
  1099-DA while taxmargin used box I/L (§1.2 "flag every disposal on a US custodial broker");
- ``form-draft``: the year's Form 8949 layout is not final (§1.8);
- the booking's own diagnostics that concern this year (see :func:`booking_diagnostics`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence, Set
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

from taxmargin.booking import Booking, Disposal, Purpose, Term
from taxmargin.errors import Diagnostic, Severity
from taxmargin.models import SourceRef
from taxmargin.money import fmt_quantity
from taxmargin.rules.dates import (
    TaxDates,
    boundary_window,
    one_year_end,
    rules_disagree,
    year_start,
)
from taxmargin.rules.params import YearParams
from taxmargin.rules.rows import YearRow

__all__ = [
    "US_CUSTODIAL_BROKERS",
    "booking_diagnostics",
    "broker_reported",
    "holding_boundary",
    "year_boundary",
    "year_diagnostics",
]

#: Accounts (importer names, lower case) of US custodial brokers that issue Form 1099-DA
#: for 2025+ sales (§1.2, §5.5). Offshore venues (binance, bybit, kucoin, phemex) do not.
US_CUSTODIAL_BROKERS: frozenset[str] = frozenset(
    {"coinbase", "kraken", "binance-us", "cryptocom", "gemini", "robinhood"}
)
#: Purposes a broker reports as sales; shorts, P&L, interest and funding are not (N2024-57).
_BROKER_PURPOSES = frozenset({Purpose.SALE, Purpose.FEE, Purpose.SPEND})
_DAY = timedelta(hours=24)


def _touching(disposals: Sequence[Disposal], lines: Set[int]) -> list[Disposal]:
    """The disposals naming a source row whose line number is in ``lines``, each once, in
    their order (one comprehension over every source: the bulk of the scan)."""
    touched = [d for d in disposals for src in d.sources if src.line in lines]
    return list({id(d): d for d in touched}.values())


def _source_years(
    booking: Booking, dates: TaxDates, wanted: Set[SourceRef], disposals: Sequence[Disposal] | None = None
) -> dict[SourceRef, set[int]]:
    """Tax years of the events behind each source row in ``wanted`` that the booking
    mentions (only the diagnostics' sources are ever asked about: the others are skipped
    by their line number before any ``SourceRef`` is hashed, in comprehensions, with a
    Python call only per hit). ``disposals``: those to search, if not all the booking's
    (:func:`booking_diagnostics`)."""
    years: dict[SourceRef, set[int]] = {}
    if not wanted:
        return years
    lines = {src.line for src in wanted}

    def note(source: SourceRef, moment: datetime) -> None:
        if source in wanted:
            years.setdefault(source, set()).add(dates(moment).year)

    for d in _touching(booking.disposals if disposals is None else disposals, lines):
        for index, src in enumerate(d.sources):
            if src.line in lines and src in wanted:
                years.setdefault(src, set()).add(dates(d.acquired if index else d.disposed).year)
    for income in [i for i in booking.income if i.source.line in lines]:
        note(income.source, income.time)
    for pay in [p for p in booking.interest if p.source.line in lines]:
        note(pay.source, pay.time)
    for fund in [f for f in booking.funding_paid if f.source.line in lines]:
        note(fund.source, fund.time)
    for lot in [lot for lot in booking.open_lots if lot.source.line in lines]:
        note(lot.source, lot.acquired)
    for short in [s for s in booking.open_shorts if s.source.line in lines]:
        note(short.source, short.opened)
    return years


def booking_diagnostics(
    booking: Booking,
    rows: Sequence[YearRow],
    year: int,
    zone: ZoneInfo,
    *,
    dates: TaxDates | None = None,
    others: Sequence[Disposal] | None = None,
) -> list[Diagnostic]:
    """The booking's diagnostics that concern ``year``.

    Kept: those without a source; those whose source is behind a row of this year (a
    missing basis from 2023 matters to the 2025 sale of that lot); those whose source row
    is dated in ``year``; and those whose source the booking does not date at all (e.g. a
    negative balance on a withdrawal): hiding a warning is worse than repeating one.
    Dropped: those whose source is dated only in other years.

    ``others``: the booking's disposals that are not behind ``rows`` (every other one),
    when the caller knows them (``rules.us.tax_year``, issue 6): only these are searched
    for the years of the sources not behind a row, since a row's disposal names no such
    source (each diagnostic source it names is behind that row).
    """
    wanted = {diag.source for diag in booking.diagnostics if diag.source is not None}
    if not wanted:
        return list(booking.diagnostics)
    lines = {src.line for src in wanted}
    behind_rows = {
        src for row in rows for src in row.disposal.sources if src.line in lines and src in wanted
    }
    dated = _source_years(booking, dates or TaxDates(zone), wanted - behind_rows, others)
    kept = []
    for diag in booking.diagnostics:
        src = diag.source
        if src is None or src in behind_rows or src not in dated or year in dated[src]:
            kept.append(diag)
    return kept


def holding_boundary(rows: Iterable[YearRow], *, conservative: bool) -> list[Diagnostic]:
    """``holding-boundary`` warnings (§6.3 (2)): sale within one day of the lot's
    one-year boundary, where another time zone could flip the term; notes when the naive
    anniversary rule (U7) would give the other term.

    Fast (issue 6): each acquisition date's window of flagged sale dates (that of
    ``dates.near_one_year_boundary``) is looked up once per date, then compared per row."""
    out = []
    windows: dict[date, tuple[date, date]] = {}
    for row in rows:
        d = row.disposal
        if d.term_override is not None:
            continue
        window = windows.get(row.date_acquired)
        if window is None:
            window = windows[row.date_acquired] = boundary_window(row.date_acquired, conservative=conservative)
        if not window[0] <= row.date_sold <= window[1]:
            continue
        last_short = one_year_end(row.date_acquired, conservative=conservative)
        message = (
            f"{fmt_quantity(d.quantity)} {d.asset} acquired {row.date_acquired} and disposed of "
            f"{row.date_sold}: within one day of the one-year boundary (last short-term day "
            f"{last_short}); reported as {row.term.value}-term. A different time zone could "
            "change the term (tax-rules.md §6.3)."
        )
        if rules_disagree(row.date_acquired, row.date_sold):
            other = Term.SHORT if row.term is Term.LONG else Term.LONG
            message += f" The naive same-day anniversary rule (U7) would give {other.value}-term."
        out.append(Diagnostic(Severity.WARNING, "holding-boundary", message, d.sources[0] if d.sources else None))
    return out


Window = tuple[datetime, datetime]


def _near_disposals(disposals: Sequence[Disposal], times: Sequence[datetime], first: Window,
                    second: Window) -> Iterable[Disposal]:
    """The disposals sold in either window ``[low, high)``, in their order, when their sale
    times ``times`` are in order (``dates.sale_times``): the runs of the two windows (the
    second without what the first already gave, should they overlap)."""
    (a, b), (c, e) = sorted((bisect_left(times, low), bisect_left(times, high)) for low, high in (first, second))
    return chain(disposals[a:b], disposals[max(b, c) : e])


def _year_events(
    booking: Booking, first: Window, second: Window, times: Sequence[datetime] | None = None
) -> list[tuple[datetime, SourceRef | None, str]]:
    """The booking's events (one per time and source row, the first description kept)
    whose time is in one of the two windows ``[low, high)``, in time order. ``times``:
    the disposals' sale times, in order, if known (:func:`_near_disposals`)."""
    (low_1, high_1), (low_2, high_2) = first, second

    def near(moment: datetime) -> bool:
        return low_1 <= moment < high_1 or low_2 <= moment < high_2

    events: dict[tuple[datetime, SourceRef | None], str] = {}
    disposals = booking.disposals if times is None else _near_disposals(booking.disposals, times, first, second)
    for d in disposals:  # the bulk: near() inlined
        moment = d.disposed
        if low_1 <= moment < high_1 or low_2 <= moment < high_2:
            events.setdefault((moment, d.sources[0] if d.sources else None), f"disposal of {d.asset}")
    for item in booking.income:
        if near(item.time):
            events.setdefault((item.time, item.source), f"{item.kind} in {item.asset}")
    for pay in booking.interest:
        if near(pay.time):
            events.setdefault((pay.time, pay.source), f"interest paid in {pay.asset}")
    for fund in booking.funding_paid:
        if near(fund.time):
            events.setdefault((fund.time, fund.source), f"funding paid in {fund.asset}")
    return sorted(
        ((t, src, what) for (t, src), what in events.items()),
        key=lambda e: (e[0], e[1] or SourceRef("", 0)),
    )


def year_boundary(
    booking: Booking,
    year: int,
    zone: ZoneInfo,
    *,
    dates: TaxDates | None = None,
    times: Sequence[datetime] | None = None,
) -> list[Diagnostic]:
    """``year-boundary`` warnings (§6.3 (1)): events within 24 hours of Jan 1 00:00 in the
    taxpayer's zone at the start or the end of ``year`` (another zone, e.g. the exchange's
    UTC, could put them in the other tax year). ``times``: ``dates.sale_times`` of the
    booking's disposals, if made."""
    start, end = (
        # the same instants in UTC, the zone of the booked times: plain field comparisons
        ((edge - _DAY).astimezone(UTC), (edge + _DAY).astimezone(UTC))
        for edge in (year_start(year, zone), year_start(year + 1, zone))
    )
    local_date = dates or TaxDates(zone)
    out = []
    for moment, source, what in _year_events(booking, start, end, times):
        local = local_date(moment)
        message = (
            f"{what} at {moment.astimezone(ZoneInfo('UTC')).isoformat()} is dated {local} in "
            f"{zone.key} (tax year {local.year}): within 24 hours of a year boundary; check "
            "the profile time zone (tax-rules.md §6.3)"
        )
        out.append(Diagnostic(Severity.WARNING, "year-boundary", message, source))
    return out


def broker_reported(rows: Iterable[YearRow], year: int) -> list[Diagnostic]:
    """``may-be-broker-reported`` (§1.2, §5.5): for 2025+ sales at US custodial brokers,
    one warning per account; taxmargin never fabricates a 1099-DA box and used I/L."""
    if year < 2025:
        return []
    per_account: dict[str, list[YearRow]] = {}
    for row in rows:
        d = row.disposal
        if d.account in US_CUSTODIAL_BROKERS and d.purpose in _BROKER_PURPOSES and not d.short_sale:
            per_account.setdefault(d.account, []).append(row)
    out = []
    for account in sorted(per_account):
        first = per_account[account][0].disposal
        message = (
            f"{len(per_account[account])} Form 8949 rows at {account} may be reported to you on "
            f"Form 1099-DA for {year}; taxmargin used box I/L. If a 1099-DA lists them, they "
            "belong in box H/K (G/J when its box 2 is checked) (tax-rules.md §1.2)"
        )
        out.append(
            Diagnostic(Severity.WARNING, "may-be-broker-reported", message, first.sources[0] if first.sources else None)
        )
    return out


def year_diagnostics(
    booking: Booking,
    rows: Sequence[YearRow],
    *,
    year: int,
    zone: ZoneInfo,
    conservative: bool,
    params: YearParams,
    extra: Sequence[Diagnostic] = (),
    dates: TaxDates | None = None,
    times: Sequence[datetime] | None = None,
    others: Sequence[Disposal] | None = None,
) -> tuple[Diagnostic, ...]:
    """All diagnostics of the tax year: the booking's (filtered), then the year's own.
    ``dates``: the tax dates already computed in ``zone``, ``times``: the sale times in
    order (``dates.sale_times``), ``others``: the disposals that are no row
    (:func:`booking_diagnostics`); all reused, never required."""
    dates = dates or TaxDates(zone)
    out = booking_diagnostics(booking, rows, year, zone, dates=dates, others=others)
    out += holding_boundary(rows, conservative=conservative)
    out += year_boundary(booking, year, zone, dates=dates, times=times)
    out += broker_reported(rows, year)
    if not params.rows_per_page_final:
        out.append(
            Diagnostic(
                Severity.INFO,
                "form-draft",
                f"the {year} Form 8949 is an early-release draft: {params.rows_per_page} rows per "
                "page assumed until the final form is measured (tax-rules.md §1.8)",
            )
        )
    out += extra
    return tuple(out)
