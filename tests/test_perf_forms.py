"""Issue 6 (performance), the form builder (``build_8949``, ``build_review``): every fast
path gives exactly what the code it replaced gave.

The replaced code is restated here (``_old_*``, as it stood before the change) and
compared with the fast path on random inputs, representations included (``repr`` of
Decimals: an exponent must not change either): the description's units text and note
lookup, the one-loop Form 8949 rows, the index sort, the column totals and groups, the
review's one pass. (The renderers: test_perf_renderers; the tax year: test_perf_taxyear.)
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from forms_strategies import SETTINGS, decimals, year_rows
from hypothesis import given
from hypothesis import strategies as st
from taxmargin.reports import build_8949, build_review
from taxmargin.reports.forms import AccountGain, Form8949Row, MonthGain, Review, Totals

from taxmargin.booking import Disposal, Purpose
from taxmargin.models import SourceRef
from taxmargin.money import CENT, ZERO, to_whole_dollars
from taxmargin.rules.rows import YearRow

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


@SETTINGS
@given(st.lists(year_rows(), max_size=25))
def test_review_in_one_pass(rows: list[YearRow]) -> None:
    detail = build_8949.detail_rows(rows)
    assert repr(build_review.build_review(detail)) == repr(_old_review(detail))
