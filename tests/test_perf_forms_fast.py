"""Issue 6 (performance), the third pass over the tax year, the form builder and forms.json:
every shortcut gives exactly what the code it replaced gave (restated here as ``_old_*``,
as it stood before the change), on random inputs, representations included.

- ``build_8949.form_8949_and_totals``: the box totals from the page / statement-group
  totals equal ``box_totals`` summed over every row; the box runs equal the grouping;
- ``yeardiag.holding_boundary`` with one window per acquisition date;
- ``jsonout_rows.rows_values``: amounts already in cents printed by ``str``;
- ``jsonout_rows.lines_json``, ``positions_json``: the income and interest lines and the open
  positions without a dict each;
- ``jsonout._compact``: one encoder for every item;
- ``rules.dates.sale_times``: with the sales in time order, the tax year's candidates, the
  year-end pieces and the year-boundary events are runs found by bisecting, and the
  diagnostics' source scan skips the rows' own disposals;
- ``TaxDates.utc_dates``: in a UTC zone, every UTC time's own date at once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from forms_strategies import SETTINGS, SOURCES, ZONES, decimals, disposals, year_rows
from hypothesis import given
from hypothesis import strategies as st
from taxmargin.reports import build_8949, jsonout, jsonout_rows
from taxmargin.reports.forms import Form8949Row, IncomeLine, InterestLine, OpenPosition

from taxmargin.booking import Booking, Disposal, Term
from taxmargin.errors import Diagnostic, Severity
from taxmargin.models import SourceRef
from taxmargin.money import fmt_money, fmt_quantity
from taxmargin.profile import Profile
from taxmargin.rules import us, yeardiag
from taxmargin.rules.dates import (
    TaxDates,
    near_one_year_boundary,
    one_year_end,
    rules_disagree,
    sale_times,
    tax_date,
)
from taxmargin.rules.params import params_for
from taxmargin.rules.positions import year_end_positions
from taxmargin.rules.rows import YearRow

# ---- build_8949 -----------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(year_rows(), max_size=30), st.integers(0, 6), st.integers(1, 4), st.booleans())
def test_box_totals_from_the_pages_and_groups(rows: list[YearRow], threshold: int, per_page: int,
                                              whole: bool) -> None:
    form, totals = build_8949.form_8949_and_totals(rows, rows_per_page=per_page, exception2_threshold=threshold,
                                                   whole_dollars=whole)
    assert form == build_8949.build_form_8949(rows, rows_per_page=per_page, exception2_threshold=threshold,
                                              whole_dollars=whole)
    expected = build_8949.box_totals(form)
    assert list(totals) == list(expected)  # the boxes in print order
    assert repr(totals) == repr(expected)


@SETTINGS
@given(st.lists(year_rows(), max_size=30))
def test_box_runs_of_rows_in_print_order(rows: list[YearRow]) -> None:
    detail = build_8949.detail_rows(build_8949.sort_rows(rows))
    assert list(build_8949._box_runs(detail).items()) == list(build_8949._by_box(detail).items())


def test_zero_sums_stay_positive() -> None:
    zero = [Decimal("-0.00"), Decimal("0.00"), Decimal("-0.00")]
    rows = [Form8949Row("I", "I", "d", None, None, z, z, "", z, z, "a", "BTC", z, "short") for z in zero]
    parts = [build_8949.totals_of(rows[:1]), build_8949.totals_of(rows[1:])]
    assert repr(build_8949._sum_totals(parts)) == repr(build_8949.totals_of(rows))


# ---- yeardiag -------------------------------------------------------------------------------------


def _old_holding_boundary(rows: list[YearRow], *, conservative: bool) -> list[Diagnostic]:
    out = []
    for row in rows:
        d = row.disposal
        if d.term_override is not None or not near_one_year_boundary(
            row.date_acquired, row.date_sold, conservative=conservative
        ):
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


@SETTINGS
@given(st.lists(year_rows(), max_size=25), st.booleans(), st.lists(st.integers(-3, 3), max_size=8))
def test_holding_boundary_with_one_window_per_date(rows: list[YearRow], conservative: bool,
                                                   shifts: list[int]) -> None:
    # sales around the one-year boundary of the first lots (month ends included by the strategy's dates)
    near = [YearRow(r.disposal, r.date_acquired, one_year_end(r.date_acquired) + timedelta(days=s), r.term, r.box)
            for r, s in zip(rows, shifts)]
    month_end = [YearRow(r.disposal, date(2024, 2, 29), date(2025, 2, 28) + timedelta(days=s), r.term, r.box)
                 for r, s in zip(rows, shifts)]
    every = rows + near + month_end
    assert yeardiag.holding_boundary(every, conservative=conservative) == _old_holding_boundary(
        every, conservative=conservative)


# ---- forms.json -----------------------------------------------------------------------------------


def _old_money_values(row: Form8949Row) -> tuple[str, str, str, str]:
    return fmt_money(row.proceeds), fmt_money(row.cost_basis), fmt_money(row.adjustment), fmt_money(row.gain)


#: Amounts as the form builder leaves them (cents, whole dollars as cents) and some that are not.
_AMOUNTS = decimals.map(lambda d: d.quantize(Decimal("0.01"))) | decimals | st.sampled_from(
    [Decimal("-0.00"), Decimal("0.00"), Decimal("-0.001"), Decimal("12E+3"), Decimal("1.2E-7"), Decimal(-5),
     Decimal("123456789012345678901234567890.00"), Decimal("0.005"), Decimal("-0.005")])


@SETTINGS
@given(st.lists(st.tuples(_AMOUNTS, _AMOUNTS, _AMOUNTS, _AMOUNTS, decimals), max_size=20))
def test_row_amounts_in_cents_print_as_str(amounts: list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal]]) -> None:
    rows = [Form8949Row("I", "I", "d", None, None, p, b, "", a, g, "x", "BTC", q, "short")
            for p, b, a, g, q in amounts]
    for row, values in zip(rows, jsonout_rows.rows_values(rows)):
        assert (values[5], values[6], values[8], values[9]) == _old_money_values(row)
        assert values[12] == fmt_quantity(row.quantity)


_TEXT = st.text(max_size=6) | st.sampled_from(["ÉTH", 'a"b\\c', "\n", "\u2028", "x/y:3"])
_TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1),
                      timezones=st.sampled_from([UTC])) | st.datetimes(min_value=datetime(2000, 1, 1))


@st.composite
def _lines(draw: st.DrawFn) -> IncomeLine | InterestLine:
    common = (draw(_TIMES), draw(_TEXT), draw(_TEXT), draw(decimals), draw(_AMOUNTS))
    if draw(st.booleans()):
        return IncomeLine(*common, draw(st.sampled_from(["income", "funding"])), draw(_TEXT))
    return InterestLine(*common, draw(_TEXT), draw(st.sampled_from(["interest", "funding-paid"])), draw(st.booleans()))


@SETTINGS
@given(st.lists(_lines(), max_size=12))
def test_lines_json_is_the_encoded_dict(lines: list[IncomeLine | InterestLine]) -> None:
    expected = [json.dumps(jsonout._line(x), ensure_ascii=False) for x in lines]
    assert jsonout_rows.lines_json(lines) == expected
    assert [json.loads(text) for text in expected] == [jsonout._line(x) for x in lines]


@SETTINGS
@given(st.lists(st.dictionaries(_TEXT, _TEXT | st.none() | st.booleans() | st.integers()), max_size=5))
def test_one_encoder_for_every_item(values: list[dict[str, object]]) -> None:
    for value in values:
        assert jsonout._compact(value) == json.dumps(value, ensure_ascii=False)


@st.composite
def _positions(draw: st.DrawFn) -> OpenPosition:
    return OpenPosition(draw(st.sampled_from(["short", "liability", "lot"])), draw(_TEXT), draw(_TEXT), draw(decimals),
                        draw(st.none() | _AMOUNTS), draw(st.none() | _TIMES), draw(st.sampled_from(["", "a.csv:3"]) | _TEXT))


@SETTINGS
@given(st.lists(_positions(), max_size=12))
def test_positions_json_is_the_encoded_dict(positions: list[OpenPosition]) -> None:
    expected = [json.dumps(jsonout._position(p), ensure_ascii=False) for p in positions]
    assert jsonout_rows.positions_json(positions) == expected


# ---- the tax year: windows of sale times bisected -----------------------------------------------


def _booking(found: list[Disposal], notes: tuple[Diagnostic, ...] = ()) -> Booking:
    return Booking(disposals=tuple(found), income=(), interest=(), funding_paid=(), open_lots=(), open_shorts=(),
                   liabilities=(), diagnostics=notes, options=())


@SETTINGS
@given(st.lists(disposals(), min_size=1, max_size=30), st.sampled_from(ZONES), st.sampled_from([2024, 2025]),
       st.lists(st.sampled_from([-25, -24, -23, -1, 0, 1, 23, 24, 25]), max_size=12), st.booleans(),
       st.data())
def test_windows_of_ordered_sale_times(found: list[Disposal], zone_name: str, year: int, shifts: list[int],
                                       micro: bool, data: st.DataObject) -> None:
    zone = ZoneInfo(zone_name)
    tiny = timedelta(microseconds=1 if micro else 0)
    edges = [datetime(y, 1, 1, tzinfo=z).astimezone(UTC) for y in (year, year + 1) for z in (zone, UTC)]
    found = found + [replace(found[n % len(found)], disposed=edges[n % 4] + timedelta(hours=h) - tiny)
                     for n, h in enumerate(shifts)]  # on and around every window's bounds
    found = sorted((replace(d, sources=d.sources or (SOURCES[0],)) for d in found), key=lambda d: d.disposed)
    # every other disposal with sources of its own (a diagnostic's source then dates in one year only)
    found = [d if n % 2 else replace(d, sources=(SourceRef("c.csv", 2 * n), SourceRef("c.csv", 2 * n + 1)))
             for n, d in enumerate(found)]
    named = [SourceRef(src.path, src.line) for d in found for src in d.sources]  # equal, not the same objects
    noted = data.draw(st.lists(st.none() | st.sampled_from(named), max_size=12))
    booking = _booking(found, tuple(Diagnostic(Severity.WARNING, "x", f"note {n}", src) for n, src in enumerate(noted)))
    times = sale_times(booking.disposals)
    assert times is not None
    assert list(us._candidates(booking.disposals, year, times)) == list(us._candidates(booking.disposals, year))
    assert year_end_positions(booking, year, zone, times=times) == year_end_positions(booking, year, zone)
    assert yeardiag.year_boundary(booking, year, zone, times=times) == yeardiag.year_boundary(booking, year, zone)
    old = us._year_rows(booking.disposals, year, TaxDates(zone), True, params_for(year))
    ty = us.tax_year(booking, Profile(timezone=zone_name), year)
    assert ty.rows == old
    # the diagnostics' source scan without the rows' own disposals (``others``)
    assert ty.diagnostics == yeardiag.year_diagnostics(
        booking, old, year=year, zone=zone, conservative=True, params=params_for(year),
        extra=year_end_positions(booking, year, zone).notes)


def test_sale_times_only_in_order_and_aware() -> None:
    aware = [datetime(2025, 1, n, tzinfo=UTC) for n in (1, 2, 2, 3)]
    naive = datetime(2025, 1, 2)

    def sold(*times: datetime) -> list[Disposal]:
        return [Disposal("a", "BTC", Decimal(1), t, t, Decimal(0), Decimal(0)) for t in times]

    assert sale_times(sold(*aware)) == aware
    assert sale_times(sold(*reversed(aware))) is None
    assert sale_times(sold()) is None
    assert sale_times(sold(naive, naive)) is None
    assert sale_times(sold(aware[0], naive)) is None


@SETTINGS
@given(st.lists(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                             timezones=st.sampled_from([UTC, timezone(timedelta(0)), timezone(timedelta(hours=-5)),
                                                        ZoneInfo("UTC"), ZoneInfo("Asia/Kathmandu")])), max_size=20),
       st.sampled_from(["UTC", "Etc/UTC", "America/New_York"]))
def test_utc_dates_are_the_tax_dates(moments: list[datetime], key: str) -> None:
    zone = ZoneInfo(key)
    got = TaxDates(zone).utc_dates(iter(moments))
    if got is not None:
        assert key != "America/New_York" and all(m.tzinfo is UTC for m in moments)
        assert got == [tax_date(m, zone) for m in moments] == [TaxDates(zone)(m) for m in moments]
    else:
        assert key == "America/New_York" or any(m.tzinfo is not UTC for m in moments)
    assert TaxDates(zone).utc_dates([datetime(2025, 1, 1)]) is None  # naive: converted (and refused) one by one
