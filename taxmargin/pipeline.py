"""From stored events to each tax year's forms: transfers, pricing, booking, the rules, the
forms (design.md §2: pure stages, no I/O). ``taxmargin.api`` re-exports what the command
line uses.

One year (:func:`compute_report`) or several at once: :func:`prepare_years` matches the
transfers, prices the events and books them ONCE for all the years asked for
(``engine.book_until``: the booking at each year's end is exactly the one a report of that
year alone books), and :func:`finish_year` turns one year's booking into its forms. So
``taxmargin report --year 2024 --year 2025`` gives the same files as two reports, for one
load and one booking (issue 6)."""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from zoneinfo import ZoneInfo

from taxmargin.booking import Booking
from taxmargin.engine import EngineOptions, book_stages
from taxmargin.errors import Diagnostic, InputError
from taxmargin.gcpause import gc_paused
from taxmargin.models import EventBase, SourceRef
from taxmargin.policies import plan_from_profile
from taxmargin.pricing import PricePoint, price_events
from taxmargin.profile import METHODS, Profile
from taxmargin.reports.build import build_forms
from taxmargin.reports.forms import TaxForms
from taxmargin.rules.us import tax_year
from taxmargin.transfers import match_transfers

__all__ = ["Prepared", "Progress", "Report", "check_method", "compute_report", "finish_year", "prepare_years",
           "year_end"]

#: Called with (events booked, events to book) while booking a large ledger (progress bar).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Report:
    """A computed year: the forms and the pricing assumptions behind them."""

    forms: TaxForms
    assumptions: tuple[str, ...]


def check_method(method: str | None) -> str | None:
    """``--method``: one of fifo, lifo, hifo, spec-id (interfaces.md §1)."""
    if method is not None and method not in METHODS:
        raise InputError(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    return method


def year_end(year: int, zone: ZoneInfo) -> datetime:
    """The first instant of ``year + 1`` in the profile zone, as UTC (tax-rules.md §6.3):
    events from then on belong to later years and are not booked."""
    return datetime(year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)


def _stage_diagnostics(
    found: Iterable[Diagnostic], events: Sequence[EventBase], year: int, zone: ZoneInfo
) -> list[Diagnostic]:
    """Transfer and pricing notes that can concern the report: an unmatched transfer of
    this year; a missing price of any event up to the year end (a lot bought years ago is
    sold now). The rules then drop those dated only in other years (``rules.yeardiag``)."""
    found = list(found)
    if not found:
        return []
    wanted = {d.source for d in found if d.source is not None}
    years: dict[SourceRef, int] = {}
    for event in events:
        if event.source in wanted:
            years.setdefault(event.source, event.time.astimezone(zone).year)
    kept = []
    for diag in found:
        made = years.get(diag.source) if diag.source is not None else year
        if made is None or made > year or (diag.code.startswith("unmatched-") and made != year):
            continue
        kept.append(diag)
    return kept


def _merge(ours: Sequence[Diagnostic], engine: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Our notes, then the engine's, each (code, source, message) once; the engine's own
    ``missing-price`` note on a row we already named is dropped (one gap, one line)."""
    priced_gaps = {d.source for d in ours if d.code == "missing-price"}
    seen: set[tuple[str, SourceRef | None, str]] = set()
    out: list[Diagnostic] = []
    for index, diag in enumerate((*ours, *engine)):
        key = (diag.code, diag.source, diag.message)
        repeated_gap = index >= len(ours) and diag.code == "missing-price" and diag.source in priced_gaps
        if key not in seen and not repeated_gap:
            seen.add(key)
            out.append(diag)
    return tuple(out)


def _step(progress: Progress, total: int, done: int) -> None:
    progress(done, total)


@dataclass(slots=True)
class Prepared:
    """What the years of one report share: the profile and method, the pricing
    assumptions, per year its transfer and pricing notes and its weight (the events in its
    window: how long its forms take, to share the years between processes), and the
    booking pass (``engine.book_stages``), which runs as far as the years asked for need
    (:meth:`book_to`). A year's booking is taken out by :func:`finish_year`, so a large
    year's disposals are freed as soon as its forms are built."""

    profile: Profile
    method: str | None
    assumptions: tuple[str, ...]
    notes: dict[int, list[Diagnostic]]
    weights: dict[int, int]
    pending: Iterator[tuple[int, Booking]]
    #: called once the last year is booked (a progress bar's last step)
    finished: Callable[[], None] | None = None
    bookings: dict[int, Booking] = field(default_factory=dict)
    booked: set[int] = field(default_factory=set)

    def book_to(self, year: int) -> None:
        """Book on until the end of ``year`` (keeping the bookings of the years on the way)."""
        with gc_paused(age=True):
            while year not in self.booked:
                reached, booking = next(self.pending)
                self.bookings[reached] = booking
                self.booked.add(reached)
        if self.finished is not None and len(self.booked) == len(self.weights):
            self.finished()
            self.finished = None


def prepare_years(
    events: Sequence[EventBase],
    prices: Sequence[PricePoint],
    profile: Profile,
    years: Sequence[int],
    *,
    method: str | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Match transfers and price events over the whole ledger (a lot bought years ago
    needs its basis), and set up one booking pass over everything before the first instant
    of the last year + 1 in the profile's zone, giving the booking at the end of each of
    ``years`` (it runs when a year's forms are asked for: :meth:`Prepared.book_to`)."""
    check_method(method)
    wanted = sorted(set(years))
    ends = [year_end(year, profile.zone) for year in wanted]
    # no reference cycles are built; what is built is aged, not scanned (taxmargin/gcpause.py)
    with gc_paused(age=True):
        matched, transfer_notes = match_transfers(events)
        priced = price_events(matched, prices)
        del matched
        plan = plan_from_profile(profile, method)
        total = sum(1 for e in priced.events if e.time < ends[-1]) if progress is not None else 0
        step = None if progress is None else partial(_step, progress, total)
        found = (*transfer_notes, *priced.diagnostics)
        notes = {year: _stage_diagnostics(found, priced.events, year, profile.zone) for year in wanted}
        weights = {wanted[0]: 0}
        if len(wanted) > 1:  # the events of each year's window
            counts = Counter(bisect_right(ends, e.time) for e in priced.events)
            weights = {year: counts.get(i, 0) for i, year in enumerate(wanted)}
        stages = book_stages(priced.events, plan, EngineOptions.from_profile(profile), ends, progress=step)
        finished = None if progress is None else partial(progress, total, total)
        return Prepared(profile, method, priced.assumptions, notes, weights, _by_year(wanted, stages), finished)


def _by_year(years: Sequence[int], stages: Iterator[Booking]) -> Iterator[tuple[int, Booking]]:
    """``zip(years, stages)`` without its cache: ``zip`` keeps its last pair for reuse,
    which would keep a booking (a million disposals) alive while its forms are built."""
    for year in years:
        yield year, next(stages)


def finish_year(prepared: Prepared, year: int) -> Report:
    """The forms of one prepared year (booked first as far as needed; its booking is then
    taken out of ``prepared``)."""
    profile, method = prepared.profile, prepared.method
    with gc_paused(age=True):
        prepared.book_to(year)
        booking = prepared.bookings.pop(year)
        options = booking.options + tuple(
            (f"pricing_{i}", text) for i, text in enumerate(prepared.assumptions, start=1)
        )
        booking = dataclasses.replace(booking, diagnostics=_merge(prepared.notes.pop(year), booking.diagnostics),
                                      options=options)
        year_data = tax_year(booking, profile, year, method=method)
        del booking  # earlier years' disposals are not needed by the forms (memory, issue 6)
        forms = build_forms(year_data, profile)
    return Report(forms, prepared.assumptions)


def compute_report(
    events: Sequence[EventBase],
    prices: Sequence[PricePoint],
    profile: Profile,
    year: int,
    *,
    method: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """The whole pipeline from stored events to the year's forms; pure (no I/O).

    Transfers are matched and events priced over the whole ledger (a lot bought years ago
    needs its basis); the engine books everything before the first instant of ``year + 1``
    in the profile's zone; the rules select the year's items."""
    return finish_year(prepare_years(events, prices, profile, (year,), method=method, progress=progress), year)
