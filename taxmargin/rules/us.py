"""US federal rules as pure functions: the Form 8949 box, the tax year's rows with dates,
term and box, and (re-exported) Schedule D, the carryover worksheet and Form 4952.

``tax_year`` is the stage ``Booking -> TaxYear`` (docs/ARCHITECTURE.md). Values stay exact
here; ``taxmargin.reports.build`` rounds them where a form is built (tax-rules.md §1.7).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from operator import attrgetter
from zoneinfo import ZoneInfo

from taxmargin.booking import (
    Booking,
    Disposal,
    FundingPayment,
    IncomeItem,
    InterestPayment,
    Liability,
    OpenLot,
    OpenShort,
    Term,
)
from taxmargin.errors import Diagnostic, NotSupported
from taxmargin.gcpause import gc_paused
from taxmargin.profile import METHODS, Profile
from taxmargin.rules.dates import TaxDates, one_year_end, sale_times
from taxmargin.rules.form4952 import form_4952
from taxmargin.rules.params import PARAMS, YearParams, params_for
from taxmargin.rules.positions import year_end_positions
from taxmargin.rules.rows import YearRow, make_year_row
from taxmargin.rules.schedule_d import capital_loss_carryover, schedule_d
from taxmargin.rules.yeardiag import year_diagnostics

__all__ = [
    "TaxYear",
    "YearRow",
    "capital_loss_carryover",
    "form8949_box",
    "form_4952",
    "options_used",
    "schedule_d",
    "tax_year",
]


def form8949_box(
    term: Term,
    *,
    reported_on_1099da: bool = False,
    basis_reported: bool = False,
    params: YearParams | None = None,
) -> str:
    """The Form 8949 checkbox letter for one digital-asset row (tax-rules.md §1.2).

    Algorithm [I8949 "Digital Assets", "Line 1"]: listed on a Form 1099-DA with box 2
    (basis reported) checked -> G (short) / J (long); listed without basis reported -> H / K;
    not on any 1099-DA or 1099-B -> I / L. No 1099-DA import exists yet, so callers use the
    default I/L and a "may be broker-reported" warning. ``params`` selects the year's
    letters (the 2024 form has A-F only: C/F); default is the 2025 form.
    """
    if basis_reported and not reported_on_1099da:
        raise ValueError("basis_reported needs reported_on_1099da (1099-DA box 2, §1.2)")
    letters = (params or PARAMS[2025]).boxes(reported=reported_on_1099da, basis_reported=basis_reported)
    return letters.long if term is Term.LONG else letters.short


@dataclass(frozen=True, slots=True)
class TaxYear:
    """Everything of one tax year the forms need (docs/ARCHITECTURE.md "Rules").

    ``rows`` are the disposals whose tax date of sale is in ``year``; ``income``,
    ``interest`` and ``funding_paid`` the items dated in ``year``; ``open_*`` and
    ``liabilities`` what was open at the year's end; ``options`` the choices used (§9).
    """

    year: int
    profile: Profile
    method: str
    params: YearParams
    rows: tuple[YearRow, ...]
    income: tuple[IncomeItem, ...]
    interest: tuple[InterestPayment, ...]
    funding_paid: tuple[FundingPayment, ...]
    open_lots: tuple[OpenLot, ...]
    open_shorts: tuple[OpenShort, ...]
    liabilities: tuple[Liability, ...]
    diagnostics: tuple[Diagnostic, ...]
    options: tuple[tuple[str, str], ...]

    @property
    def zone(self) -> ZoneInfo:
        return self.profile.zone


def _year_rows(
    disposals: Sequence[Disposal],
    year: int,
    dates: TaxDates,
    conservative: bool,
    params: YearParams,
    times: Sequence[datetime] | None = None,
    skipped: list[Disposal] | None = None,
) -> tuple[YearRow, ...]:
    """The rows of the disposals whose tax date of sale is in ``year``: tax dates from the
    profile zone (§6.3); term = ``term_override`` (U2) if set, else the calendar-anniversary
    rule (§6.1); box per §1.2 (no 1099-DA data: I/L).

    Fast (issue 6): disposals sold more than a day before Jan 1 or after Dec 31 of
    ``year`` (UTC) are skipped by comparing times (:func:`_candidates`); each distinct time
    is converted once (``TaxDates``), each acquisition date's one-year end computed once,
    the two box letters looked up once. ``times``: ``dates.sale_times(disposals)``, if
    made; ``skipped``, if given, receives the candidates dated in another year."""
    short, long = Term.SHORT, Term.LONG
    short_box = form8949_box(short, params=params)
    long_box = form8949_box(long, params=params)
    rows: list[YearRow] = []
    append, make, known = rows.append, make_year_row, dates.known
    ends: dict[date, date] = {}  # acquisition date -> one_year_end
    candidates = _candidates(disposals, year, times)
    # in a UTC zone, all the dates at once (TaxDates.utc_dates); else one by one, the
    # acquisition date only of a sale in the year (as before: nothing else is converted)
    solds = dates.utc_dates(map(_DISPOSED, candidates))
    acquireds = dates.utc_dates(map(_ACQUIRED, candidates)) if solds is not None else None
    if solds is None:
        solds = [known(t) or dates(t) for t in map(_DISPOSED, candidates)]
    for d, sold, acquired in zip(candidates, solds, repeat(None) if acquireds is None else acquireds):
        if sold.year != year:
            if skipped is not None:
                skipped.append(d)
            continue
        if acquired is None:
            acquired = known(d.acquired) or dates(d.acquired)
        term = d.term_override
        if term is None:
            end = ends.get(acquired)
            if end is None:
                end = ends[acquired] = one_year_end(acquired, conservative=conservative)
            if sold > end:
                append(make(d, acquired, sold, long, long_box))
            else:
                append(make(d, acquired, sold, short, short_box))
        else:
            append(make(d, acquired, sold, term, long_box if term is long else short_box))
    return tuple(rows)


_DISPOSED = attrgetter("disposed")
_ACQUIRED = attrgetter("acquired")

#: More than any UTC offset (``datetime`` requires ``-24 h < utcoffset < 24 h``).
_ANY_OFFSET = timedelta(hours=24)


def _candidates(
    disposals: Sequence[Disposal], year: int, times: Sequence[datetime] | None = None
) -> Sequence[Disposal]:
    """The disposals whose sale could have a tax date in ``year`` in any time zone: those
    sold strictly between Jan 1 00:00 UTC minus 24 hours and Jan 1 of the next year plus
    24 hours. A local time is its UTC time plus an offset strictly between -24 and +24
    hours, so a sale at or before the first bound is dated before ``year`` everywhere, one
    at or after the second after it. (A naive time cannot be compared: then every
    disposal is returned, and ``tax_date`` refuses it as before.) With the sale times in
    order (``times``, :func:`~taxmargin.rules.dates.sale_times`) they are one run, found
    by bisecting."""
    low, high = _candidate_window(year)
    if times is not None:
        return disposals[bisect_right(times, low) : bisect_left(times, high)]
    try:
        return [d for d in disposals if low < d.disposed < high]
    except TypeError:  # a naive time (a bug upstream): let tax_date say so
        return disposals


def _candidate_window(year: int) -> tuple[datetime, datetime]:
    """The bounds (both excluded) of :func:`_candidates`' sale times."""
    return datetime(year, 1, 1, tzinfo=UTC) - _ANY_OFFSET, datetime(year + 1, 1, 1, tzinfo=UTC) + _ANY_OFFSET


def _not_rows(disposals: Sequence[Disposal], times: Sequence[datetime], year: int,
              skipped: list[Disposal]) -> list[Disposal]:
    """The disposals that are no row of ``year``, their sale times ``times`` in order:
    those before and after the candidates' run, and the candidates ``_year_rows`` skipped."""
    low, high = _candidate_window(year)
    return [*disposals[: bisect_right(times, low)], *skipped, *disposals[bisect_left(times, high) :]]


def options_used(
    booking: Booking, profile: Profile, method: str, params: YearParams
) -> tuple[tuple[str, str], ...]:
    """The uncertainty-register choices (tax-rules.md §9) and other settings behind the
    numbers, for the report: the engine's own list first (its values win; repeated names,
    e.g. several methods used, are joined with ", "), then the profile's. Names are unique."""
    opts = profile.options
    boxes = params.boxes_not_reported
    ours: list[tuple[str, str]] = [
        ("method", method),
        ("timezone", profile.timezone),  # U5
        ("month_end_rule", opts.month_end_rule),  # U7
        ("short_against_box", opts.short_against_box),  # U2
        ("liquidation_deficit", opts.liquidation_deficit),  # U4
        ("funding_treatment", opts.funding_treatment),  # U3
        ("interest_allocation", opts.interest_allocation),  # §3.6(2)
        ("lending_income_in_4a", str(opts.lending_income_in_4a).lower()),  # U10
        ("crypto_loans_as_dispositions", str(opts.crypto_loans_as_dispositions).lower()),  # U1
        ("pool_by", opts.pool_by),  # U6
        ("itemizes", str(opts.itemizes).lower()),  # U8
        ("form_8949_box", f"{boxes.short}/{boxes.long}: no Form 1099-DA data imported"),  # §1.2
        ("wash_sale", "off"),  # U12
        ("round_whole_dollars", str(profile.round_whole_dollars).lower()),  # §1.7
    ]
    for order in profile.standing_orders:
        ours.append((f"standing_order.{order.account}", f"{order.method} from {order.from_.isoformat()}"))
    merged: dict[str, list[str]] = {}
    for name, value in booking.options:  # several values of one name (methods) are joined
        if value not in merged.setdefault(name, []):
            merged[name].append(value)
    for name, value in ours:
        merged.setdefault(name, [value])
    return tuple((name, ", ".join(values)) for name, values in merged.items())


@gc_paused()  # one row per disposal, no reference cycles (taxmargin.gcpause)
def tax_year(booking: Booking, profile: Profile, year: int, *, method: str | None = None) -> TaxYear:
    """Select and classify the ``year``'s items of ``booking`` (tax-rules.md §1.2, §6).

    A disposal belongs to the year of ``tax_date(disposed, profile.zone)``; income,
    interest and funding items to the year of their time. Raises :class:`NotSupported`
    for a year without parameters or an unknown method.
    """
    params = params_for(year)
    label = method or profile.method
    if label not in METHODS:
        raise NotSupported(f"unknown lot-selection method {label!r} (use {', '.join(METHODS)})")
    zone = profile.zone
    conservative = profile.options.month_end_rule == "conservative"
    dates = TaxDates(zone)
    times = sale_times(booking.disposals)  # in order (as booked): windows are bisected
    skipped: list[Disposal] = []
    rows = _year_rows(booking.disposals, year, dates, conservative, params, times, skipped)
    # the diagnostics' scan for sources need not visit the rows' own disposals
    others = None if times is None else _not_rows(booking.disposals, times, year, skipped)
    income = tuple(i for i in booking.income if dates(i.time).year == year)
    interest = tuple(i for i in booking.interest if dates(i.time).year == year)
    funding = tuple(f for f in booking.funding_paid if dates(f.time).year == year)
    positions = year_end_positions(booking, year, zone, times=times)
    diagnostics = year_diagnostics(
        booking, rows, year=year, zone=zone, conservative=conservative, params=params,
        extra=positions.notes, dates=dates, times=times, others=others,
    )
    return TaxYear(
        year=year,
        profile=profile,
        method=label,
        params=params,
        rows=rows,
        income=income,
        interest=interest,
        funding_paid=funding,
        open_lots=positions.lots,
        open_shorts=positions.shorts,
        liabilities=positions.liabilities,
        diagnostics=diagnostics,
        options=options_used(booking, profile, label, params),
    )
