"""Issue 6 (performance), the tax-year stage: the tax year's candidate filter, the
diagnostics' source-year scan and the UTC-zone tax dates give exactly what the code they
replaced gave (restated here as ``_old_*``, as it stood before the change); ``compute_report``
leaves the garbage collector as it was and merges notes as before.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from forms_strategies import SETTINGS, SOURCES, ZONES, disposals
from hypothesis import given
from hypothesis import strategies as st

from taxmargin import api, pipeline
from taxmargin.booking import Booking, Disposal, Term
from taxmargin.errors import Diagnostic, Severity
from taxmargin.models import SourceRef
from taxmargin.money import ZERO
from taxmargin.profile import Profile
from taxmargin.rules import us, yeardiag
from taxmargin.rules.dates import UTC_ZONE_KEYS, TaxDates, one_year_end, tax_date
from taxmargin.rules.params import params_for
from taxmargin.rules.rows import YearRow


def _old_year_rows(disposals: list[Disposal], year: int, zone: ZoneInfo, conservative: bool) -> list[YearRow]:
    params = params_for(year)
    out = []
    for d in disposals:
        sold = tax_date(d.disposed, zone)
        if sold.year != year:
            continue
        acquired = tax_date(d.acquired, zone)
        term = d.term_override or (
            Term.LONG if sold > one_year_end(acquired, conservative=conservative) else Term.SHORT)
        out.append(YearRow(d, acquired, sold, term, us.form8949_box(term, params=params)))
    return out


@SETTINGS
@given(st.lists(disposals(), max_size=30), st.sampled_from(ZONES), st.sampled_from([2024, 2025]), st.booleans(),
       st.lists(st.integers(-30, 30), max_size=10))
def test_year_rows_with_the_candidate_filter(
    found: list[Disposal], zone_name: str, year: int, conservative: bool, near_new_year: list[int]
) -> None:
    zone = ZoneInfo(zone_name)
    edge = datetime(year + 1, 1, 1, tzinfo=UTC)
    found = found + [replace(found[0], disposed=edge + timedelta(hours=h, minutes=59)) for h in near_new_year
                     if found]  # sales around both ends of the year in every zone
    found += [replace(d, disposed=d.disposed - timedelta(days=366)) for d in found[-5:]]
    got = us._year_rows(found, year, TaxDates(zone), conservative, params_for(year))
    assert list(got) == _old_year_rows(found, year, zone, conservative)


def test_year_rows_still_refuse_naive_times() -> None:
    naive = Disposal("a", "BTC", Decimal(1), datetime(2025, 1, 1), datetime(2025, 2, 1), ZERO, ZERO)
    with pytest.raises(ValueError):
        us._year_rows([naive], 2025, TaxDates(ZoneInfo("UTC")), True, params_for(2025))


def _old_source_years(booking: Booking, zone: ZoneInfo, wanted: set[SourceRef]) -> dict[SourceRef, set[int]]:
    years: dict[SourceRef, set[int]] = {}
    for d in booking.disposals:
        for index, src in enumerate(d.sources):
            if src in wanted:
                years.setdefault(src, set()).add(tax_date(d.acquired if index else d.disposed, zone).year)
    return years


@SETTINGS
@given(st.lists(disposals(), max_size=30), st.sets(st.sampled_from(SOURCES)), st.sampled_from(ZONES))
def test_source_years_scan(found: list[Disposal], wanted: set[SourceRef], zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    booking = Booking(disposals=tuple(found), income=(), interest=(), funding_paid=(), open_lots=(),
                      open_shorts=(), liabilities=(), diagnostics=(), options=())
    assert yeardiag._source_years(booking, TaxDates(zone), wanted) == _old_source_years(booking, zone, wanted)


# ---- compute_report ---------------------------------------------------------------------------------


def test_compute_report_leaves_the_collector_as_it_was() -> None:
    assert gc.isenabled() and gc.get_freeze_count() == 0
    report = api.compute_report([], [], Profile(), 2025)
    assert report.forms.form_8949.rows == () and gc.isenabled() and gc.get_freeze_count() == 0
    gc.freeze()  # a process that keeps objects frozen keeps them frozen
    try:
        frozen = gc.get_freeze_count()
        young = [[n] for n in range(100)]
        api.compute_report([], [], Profile(), 2025)
        assert gc.get_freeze_count() >= frozen + len(young) and gc.isenabled()
    finally:
        gc.unfreeze()


def test_merge_keeps_the_first_of_each_note() -> None:
    src = SourceRef("f.csv", 2)
    ours = [Diagnostic(Severity.WARNING, "missing-price", "no price", src)]
    engine = [Diagnostic(Severity.WARNING, "missing-price", "engine words", src),
              Diagnostic(Severity.INFO, "x", "m", None), Diagnostic(Severity.INFO, "x", "m", None)]
    assert pipeline._merge(ours, engine) == (ours[0], engine[1])


@SETTINGS
@given(st.lists(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1),
                             timezones=st.sampled_from([UTC, ZoneInfo("UTC"), ZoneInfo("Asia/Tokyo")])),
                min_size=1, max_size=30),
       st.sampled_from(sorted(UTC_ZONE_KEYS)))
def test_tax_dates_in_a_utc_zone_are_utc_dates(moments: list[datetime], key: str) -> None:
    zone = ZoneInfo(key)
    dates = TaxDates(zone)
    for moment in moments + moments[::-1]:
        assert dates(moment) == tax_date(moment, zone)
        assert zone.utcoffset(moment.replace(tzinfo=None)) == timedelta(0)
