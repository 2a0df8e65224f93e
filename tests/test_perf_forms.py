"""Issue 6 (performance), the tax-year stage, the form builder and the row renderers: every
fast path gives exactly what the code it replaced gave.

The replaced code is restated here (``_old_*``, as it stood before the change) and
compared with the fast path on random inputs, representations included (``repr`` of
Decimals: an exponent must not change either): the description's units text and note
lookup, the one-loop Form 8949 rows, the index sort, the column totals and groups, the
column-free JSON lines and CSV cells, the TXF / TurboTax / TaxAct writers with their date
memo, the tax year's candidate filter and the diagnostics' source-year scan.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from json.encoder import encode_basestring
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from forms_factory import make_forms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from taxmargin.reports import build_8949, build_review, csvout, jsonout, txf, txf_csv
from taxmargin.reports.forms import AccountGain, Form8949Row, MonthGain, Review, TaxForms, Totals

from taxmargin import api
from taxmargin.booking import Booking, Disposal, Purpose, Term
from taxmargin.errors import Diagnostic, Severity
from taxmargin.models import SourceRef
from taxmargin.money import CENT, ZERO, fmt_money, fmt_quantity, to_whole_dollars
from taxmargin.profile import Profile
from taxmargin.rules import us, yeardiag
from taxmargin.rules.dates import UTC_ZONE_KEYS, TaxDates, one_year_end, tax_date
from taxmargin.rules.params import params_for
from taxmargin.rules.rows import YearRow

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = ("UTC", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe", "Asia/Kathmandu",
         "Pacific/Kiritimati", "Pacific/Pago_Pago")
START = datetime(2023, 12, 28, tzinfo=UTC)

#: Decimals of every shape: exponents from -20 to +3, zero, negative zero, negatives.
decimals = st.builds(
    lambda digits, exp, negative: (-1 if negative else 1) * Decimal(digits).scaleb(exp),
    st.integers(0, 10**12), st.integers(-20, 3), st.booleans(),
) | st.sampled_from([Decimal("-0"), Decimal("0E-12"), Decimal("-0.000"), Decimal("0E+3"), Decimal("1E+2")])


# ---- restated: the code before issue 6's forms work ---------------------------------------------

_OLD_NOTE = {
    Purpose.SALE: "", Purpose.INTEREST: "margin interest payment", Purpose.FEE: "fee",
    Purpose.TRANSFER_FEE: "network fee", Purpose.SPEND: "spend", Purpose.PNL: "perpetual P&L",
    Purpose.SHORT: "short sale closed", Purpose.FUNDING: "funding payment",
}


def _old_units(quantity: Decimal) -> str:
    exponent = quantity.normalize().as_tuple().exponent
    places = max(8, -exponent) if isinstance(exponent, int) else 8
    return f"{quantity:.{places}f}"


def _old_describe(d: Disposal) -> str:
    notes = []
    if d.short_sale and d.purpose is not Purpose.SHORT:
        notes.append("short sale closed")
    if _OLD_NOTE[d.purpose]:
        notes.append(_OLD_NOTE[d.purpose])
    if d.liquidation:
        notes.append("liquidation")
    text = f"{_old_units(d.quantity)} {d.asset}"
    return f"{text} ({', '.join(notes)})" if notes else text


def _old_column(value: Decimal, whole: bool) -> Decimal:
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return to_whole_dollars(cents) if whole else cents


def _old_row(row: YearRow, whole: bool) -> Form8949Row:
    d = row.disposal
    proceeds, basis, adjustment = _old_column(d.proceeds_usd, whole), _old_column(d.basis_usd, whole), _old_column(
        ZERO, whole)
    return Form8949Row(
        part=row.part, box=row.box, description=_old_describe(d), date_acquired=row.date_acquired,
        date_sold=row.date_sold, proceeds=proceeds, cost_basis=basis, code="", adjustment=adjustment,
        gain=proceeds - basis + adjustment, account=d.account, asset=d.asset, quantity=d.quantity,
        term=row.term.value, short_sale=d.short_sale, liquidation=d.liquidation, purpose=d.purpose.value,
        sources=tuple(str(s) for s in d.sources), acquired_utc=d.acquired, disposed_utc=d.disposed,
    )


def _old_sort(rows: list[YearRow]) -> list[YearRow]:
    def key(row: YearRow) -> tuple[int, object, object, SourceRef]:
        first = row.disposal.sources[0] if row.disposal.sources else SourceRef("", 0)
        return (build_8949.BOX_ORDER.index(row.box), row.date_sold, row.date_acquired, first)

    return sorted(rows, key=key)


def _old_totals(rows: list[Form8949Row]) -> Totals:
    proceeds = basis = adjustment = gain = ZERO
    for r in rows:
        proceeds += r.proceeds
        basis += r.cost_basis
        adjustment += r.adjustment
        gain += r.gain
    return Totals(proceeds, basis, adjustment, gain)


def _old_row_json(row: Form8949Row) -> str:
    enc = encode_basestring
    money = fmt_money
    acquired = "VARIOUS" if row.date_acquired is None else row.date_acquired.isoformat()
    sold = "" if row.date_sold is None else row.date_sold.isoformat()
    flag = ("false", "true")
    return (
        f'{{"part": {enc(row.part)}, "box": {enc(row.box)}, "description": {enc(row.description)}, '
        f'"date_acquired": {enc(acquired)}, "date_sold": {enc(sold)}, "proceeds": "{money(row.proceeds)}", '
        f'"cost_basis": "{money(row.cost_basis)}", "code": {enc(row.code)}, '
        f'"adjustment": "{money(row.adjustment)}", "gain": "{money(row.gain)}", '
        f'"account": {enc(row.account)}, "asset": {enc(row.asset)}, "quantity": "{fmt_quantity(row.quantity)}", '
        f'"short_sale": {flag[row.short_sale]}, "liquidation": {flag[row.liquidation]}, '
        f'"sources": [{", ".join(map(enc, row.sources))}], "term": {enc(row.term)}, "purpose": {enc(row.purpose)}}}'
    )


def _old_txf_records(forms: TaxForms) -> list[list[str]]:
    def day(value: date | None, missing: str) -> str:
        return "D" + (missing if value is None else value.strftime("%m/%d/%Y"))

    def ascii_line(text: str) -> str:
        return re.sub(r"[^\x20-\x7e]", "?", text).strip()

    out = [["V042", "Ataxmargin", day(forms.generated.date() if forms.generated else date.today(), "")]]
    for row in forms.form_8949.rows:
        fields = ["TD", f"N{txf.REFERENCE_NUMBERS[row.box]}", "C1", "L1", "P" + ascii_line(row.description),
                  day(row.date_acquired, "VARIOUS"), day(row.date_sold, ""), f"${row.cost_basis:.2f}",
                  f"${row.proceeds:.2f}"]
        if "W" in row.code:
            fields.append(f"${row.adjustment:.2f}")
        out.append(fields)
    return out


def _old_software_rows(forms: TaxForms) -> tuple[list[list[str]], list[list[str]]]:
    def day(value: date | None, missing: str) -> str:
        return missing if value is None else value.strftime("%m/%d/%Y")

    safe = txf_csv.safe_text
    turbotax = [[safe(r.asset or r.description), day(r.date_acquired, "VARIOUS"), f"{r.cost_basis:.2f}",
                 day(r.date_sold, ""), f"{r.proceeds:.2f}"] for r in forms.form_8949.rows]
    taxact = [[safe(r.description), day(r.date_acquired, "Various"), day(r.date_sold, ""), f"{r.proceeds:.2f}",
               f"{r.cost_basis:.2f}", safe(r.code),
               f"{r.adjustment:.2f}" if r.code or r.adjustment else "", r.box,
               "Short" if r.term == "short" else "Long"] for r in forms.form_8949.rows]
    return turbotax, taxact


# ---- random disposals and rows --------------------------------------------------------------------

SOURCES = [SourceRef("a.csv", n) for n in range(1, 9)] + [SourceRef("b.csv", n) for n in range(1, 5)]


@st.composite
def disposals(draw: st.DrawFn) -> Disposal:
    acquired = START + timedelta(hours=draw(st.integers(0, 24 * 800)), seconds=draw(st.integers(0, 3599)))
    disposed = acquired + timedelta(hours=draw(st.integers(0, 24 * 500)))
    sources = tuple(draw(st.lists(st.sampled_from(SOURCES), max_size=4)))
    return Disposal(
        account=draw(st.sampled_from(["kraken", "coinbase", "=x", "bin\"ance"])),
        asset=draw(st.sampled_from(["BTC", "ETH", "ÉTH"])),
        quantity=draw(decimals), acquired=acquired, disposed=disposed,
        proceeds_usd=draw(decimals), basis_usd=draw(decimals),
        purpose=draw(st.sampled_from(list(Purpose))), short_sale=draw(st.booleans()),
        liquidation=draw(st.booleans()), term_override=draw(st.sampled_from([None, Term.SHORT, Term.LONG])),
        sources=sources,
    )


@st.composite
def year_rows(draw: st.DrawFn) -> YearRow:
    d = draw(disposals())
    term = draw(st.sampled_from(list(Term)))
    box = draw(st.sampled_from(["I", "L", "C", "F", "H"]))
    return YearRow(d, d.acquired.date(), d.disposed.date(), term, box)


# ---- build_8949 -----------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(decimals, max_size=20))
def test_units_text_is_the_normalized_format(values: list[Decimal]) -> None:
    for value in values:
        assert build_8949._units(value) == _old_units(value)


def test_units_text_of_numbers_that_are_not_finite() -> None:
    for text in ("NaN", "Infinity", "-Infinity"):
        assert build_8949._units(Decimal(text)) == _old_units(Decimal(text))


@SETTINGS
@given(st.lists(year_rows(), max_size=12), st.booleans())
def test_detail_rows_are_the_rows_built_one_by_one(rows: list[YearRow], whole: bool) -> None:
    fast = build_8949.detail_rows(rows, whole_dollars=whole)
    slow = [_old_row(r, whole) for r in rows]
    assert fast == slow
    assert [repr(r) for r in fast] == [repr(r) for r in slow]
    assert [build_8949.describe(r.disposal) for r in rows] == [_old_describe(r.disposal) for r in rows]
    if rows:
        assert repr(build_8949.form8949_row(rows[0], whole_dollars=whole)) == repr(slow[0])


@SETTINGS
@given(st.lists(year_rows(), max_size=25))
def test_index_sort_is_the_key_sort(rows: list[YearRow]) -> None:
    assert [id(r) for r in build_8949.sort_rows(rows)] == [id(r) for r in _old_sort(rows)]


@SETTINGS
@given(st.lists(year_rows(), max_size=25), st.integers(0, 5), st.integers(1, 4))
def test_totals_groups_and_form(rows: list[YearRow], threshold: int, per_page: int) -> None:
    detail = [_old_row(r, False) for r in _old_sort(rows)]
    assert repr(build_8949.totals_of(detail)) == repr(_old_totals(detail))
    assert repr(build_8949.totals_of(iter(detail))) == repr(_old_totals(detail))
    for field in ("box", "account"):
        groups: dict[str, list[Form8949Row]] = {}
        for r in detail:
            groups.setdefault(getattr(r, field), []).append(r)
        got = build_8949._group(detail, build_8949._BOX if field == "box" else build_8949._ACCOUNT)
        assert list(got.items()) == list(groups.items())
    form = build_8949.build_form_8949(rows, rows_per_page=per_page, exception2_threshold=threshold)
    assert list(form.rows) == detail
    for page in form.pages:
        assert repr(page.totals) == repr(_old_totals(list(page.rows)))
    for group in form.statement:
        assert repr(group.totals) == repr(_old_totals(list(group.rows)))


def test_many_accounts_are_grouped_in_one_pass() -> None:
    rows = [Form8949Row("I", "I", "d", None, None, ZERO, ZERO, "", ZERO, ZERO, f"acct{n % 20}", "BTC", ZERO, "short")
            for n in range(60)]
    groups = build_8949._group(rows, build_8949._ACCOUNT)
    assert list(groups) == [f"acct{n}" for n in range(20)]
    assert all(len(group) == 3 for group in groups.values())


def _old_review(rows: list[Form8949Row]) -> Review:
    def split(group: list[Form8949Row]) -> tuple[Decimal, Decimal]:
        short = long = ZERO
        for r in group:
            if r.term == "long":
                long += r.gain
            else:
                short += r.gain
        return short, long

    months: dict[int, list[Form8949Row]] = {month: [] for month in range(1, 13)}
    accounts: dict[str, list[Form8949Row]] = {}
    for r in rows:
        if r.date_sold is not None:
            months[r.date_sold.month].append(r)
        accounts.setdefault(r.account, []).append(r)
    by_month = [MonthGain(month, *split(in_month), len({build_review._event_key(r) for r in in_month
                                                         if r.liquidation}))
                for month, in_month in months.items()]
    by_account = tuple(AccountGain(a, *split(accounts[a])) for a in sorted(accounts))
    return Review(tuple(by_month), by_account, build_review.liquidation_reviews(rows))


@SETTINGS
@given(st.lists(year_rows(), max_size=25))
def test_review_in_one_pass(rows: list[YearRow]) -> None:
    detail = build_8949.detail_rows(rows)
    assert repr(build_review.build_review(detail)) == repr(_old_review(detail))


# ---- renderers --------------------------------------------------------------------------------------


@st.composite
def form_rows(draw: st.DrawFn) -> Form8949Row:
    day = st.none() | st.dates(min_value=date(1999, 1, 1), max_value=date(2030, 12, 31))
    text = st.text(max_size=6) | st.sampled_from(["=cmd", "+1", "-2", "@x", "ÉTH", 'a"b\\c', "W", "M"])
    return Form8949Row(
        part=draw(st.sampled_from(["I", "II"])), box=draw(st.sampled_from(list(txf.REFERENCE_NUMBERS))),
        description=draw(text), date_acquired=draw(day), date_sold=draw(day), proceeds=draw(decimals),
        cost_basis=draw(decimals), code=draw(st.sampled_from(["", "M", "W", "BW"])), adjustment=draw(decimals),
        gain=draw(decimals), account=draw(text), asset=draw(text), quantity=draw(decimals),
        term=draw(st.sampled_from(["short", "long"])), short_sale=draw(st.booleans()),
        liquidation=draw(st.booleans()), purpose=draw(st.sampled_from(["sale", "fee"])),
        sources=tuple(draw(st.lists(text, max_size=3))),
    )


@SETTINGS
@given(st.lists(form_rows(), max_size=15))
def test_json_lines_and_csv_cells(rows: list[Form8949Row]) -> None:
    assert jsonout.rows_json(rows) == [_old_row_json(r) for r in rows]
    assert [jsonout.row_json(r) for r in rows] == [_old_row_json(r) for r in rows]
    for row in rows:
        values = jsonout.row_values(row)
        assert values[5:7] == (fmt_money(row.proceeds), fmt_money(row.cost_basis))
        assert values[8:10] == (fmt_money(row.adjustment), fmt_money(row.gain))
        assert values[12] == fmt_quantity(row.quantity)
    cells = list(csvout.csv_records(rows))
    assert cells == [csvout.csv_cells(r) for r in rows]


def _with_rows(rows: list[Form8949Row]) -> TaxForms:
    forms = make_forms()
    return replace(forms, form_8949=replace(forms.form_8949, rows=tuple(rows)),
                   generated=datetime(2026, 2, 3, tzinfo=UTC))


@SETTINGS
@given(st.lists(form_rows(), max_size=15))
def test_txf_and_software_csv_files(rows: list[Form8949Row]) -> None:
    forms = _with_rows(rows)
    assert list(txf.records(forms)) == _old_txf_records(forms)
    turbotax, taxact = _old_software_rows(forms)
    for target, build, expected in (("t.csv", txf_csv._turbotax, turbotax), ("a.csv", txf_csv._taxact, taxact)):
        assert list(build(forms.form_8949.rows)) == expected, target


def test_txf_file_bytes(tmp_path: Path) -> None:
    forms = _with_rows(list(make_forms(inject=True).form_8949.rows))
    txf.write_txf(forms, tmp_path / "x.txf")
    expected = "".join("\r\n".join([*fields, "^"]) + "\r\n" for fields in _old_txf_records(forms))
    assert (tmp_path / "x.txf").read_bytes() == expected.encode()
    txf_csv.write_taxact_csv(forms, tmp_path / "a.csv")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(txf_csv.TAXACT_COLUMNS)
    writer.writerows(_old_software_rows(forms)[1])
    assert (tmp_path / "a.csv").read_bytes() == buffer.getvalue().encode()


# ---- tax year ---------------------------------------------------------------------------------------


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
    assert api._merge(ours, engine) == (ours[0], engine[1])


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
