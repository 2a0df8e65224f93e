"""Issue 6 (performance): every fast path gives exactly what the general path gives.

The fast paths must not change a single result, not even a Decimal's exponent, so each
is compared with the general code it replaces (still in the code base, or restated here
where the old code is gone) on random inputs: the heap walk of ``consume_ordered`` against
``consume`` over ``Pool.ordered``; ``dispose``'s inlined split against ``split_amount``;
the memoized tax dates and one-year ends against ``tax_date`` / the calendar rule (the
fast frozen constructors: tests/test_frozen.py); the per-asset implied price
index against ``PriceIndex(implied_points(...))``; the streamed forms.json against
``forms_to_dict``; the direct CSV cells against the dict-based cells; ``earliest`` on the
FIFO heap against the sorted list. Representations are compared with ``repr`` where a
Decimal's exponent could differ while its value is equal.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from forms_factory import make_forms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from taxmargin.reports import csvout, jsonout
from taxmargin.reports.forms import Form8949Row, TaxForms

from taxmargin.booking import Purpose
from taxmargin.engine.consume import consume, consume_ordered, split_amount
from taxmargin.engine.dispose import acquire, dispose
from taxmargin.engine.lots import Lot, make_lot
from taxmargin.engine.options import EngineOptions
from taxmargin.engine.pool import Pool
from taxmargin.engine.state import State
from taxmargin.gcpause import FREEZE_AFTER, gc_paused
from taxmargin.models import Amount, SourceRef, Trade
from taxmargin.policies import POLICIES, MethodPlan
from taxmargin.pricing_index import ImpliedIndex, PriceIndex, implied_points
from taxmargin.rules.dates import TaxDates, one_year_end, tax_date

START = datetime(2024, 1, 1, tzinfo=UTC)
ZONES = ("UTC", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe", "Asia/Kathmandu")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Quantities with different exponents (0.5, 0.50000000, 5E+1 ...): the fast paths must
#: keep every Decimal's representation, not only its value.
quantities = st.builds(
    lambda digits, exp: Decimal(digits).scaleb(exp), st.integers(1, 10**9), st.integers(-12, 1)
)
amounts = st.builds(lambda digits, exp: Decimal(digits).scaleb(exp), st.integers(0, 10**9), st.integers(-10, 0))


def _lot(serial: int, quantity: Decimal, basis: Decimal, hours: int, seq: int) -> Lot:
    return make_lot(serial, seq, f"L{serial}", "a", quantity, basis, START + timedelta(hours=hours),
                    basis / quantity, (SourceRef("f.csv", serial),), False, False)


lots_strategy = st.lists(
    st.tuples(quantities, amounts, st.integers(0, 48), st.integers(1, 5)), min_size=0, max_size=12
)
takes_strategy = st.lists(quantities, min_size=1, max_size=8)


def _pools(lots: list[tuple[Decimal, Decimal, int, int]]) -> tuple[Pool, Pool]:
    pools = (Pool("a", "BTC"), Pool("a", "BTC"))
    for pool in pools:
        for serial, (quantity, basis, hours, seq) in enumerate(lots, start=1):
            pool.add(_lot(serial, quantity, basis, hours, seq))
    return pools


def _state(pool: Pool) -> list[str]:
    return [repr(pool.lots[s]) for s in sorted(pool.lots)] + [repr(pool.held)]


@SETTINGS
@given(lots_strategy, takes_strategy, st.sampled_from(("fifo", "lifo", "hifo")))
def test_consume_ordered_is_consume_over_the_policy_order(
    lots: list[tuple[Decimal, Decimal, int, int]], takes: list[Decimal], method: str
) -> None:
    fast, general = _pools(lots)
    policy = POLICIES[method]
    for quantity in takes:
        got = consume_ordered(fast, quantity, policy)
        want = consume(general, quantity, general.ordered(policy))
        assert repr(got) == repr(want)
        assert _state(fast) == _state(general)


@SETTINGS
@given(lots_strategy, takes_strategy)
def test_earliest_is_the_first_of_the_time_index(
    lots: list[tuple[Decimal, Decimal, int, int]], takes: list[Decimal]
) -> None:
    fast, general = _pools(lots)
    for quantity in takes:
        first = fast.earliest()
        index = general._time_index()  # the sorted list (acquired, seq, serial)
        assert first == (general.lots[index[0][2]] if len(index) else None)
        consume_ordered(fast, quantity, POLICIES["fifo"])
        consume_ordered(general, quantity, POLICIES["fifo"])


def _trade(line: int, hours: int, sent: Amount, received: Amount, usd: Decimal | None) -> Trade:
    return Trade(time=START + timedelta(hours=hours), account="a", source=SourceRef("t.csv", line),
                 sent=sent, received=received, usd_value=usd)


@SETTINGS
@given(lots_strategy, st.lists(st.tuples(quantities, amounts), min_size=1, max_size=6), amounts)
def test_dispose_splits_proceeds_like_split_amount(
    lots: list[tuple[Decimal, Decimal, int, int]], sales: list[tuple[Decimal, Decimal]], unspent: Decimal
) -> None:
    """dispose's inlined division of the proceeds over [pieces, short, missing]."""
    st_ = State(MethodPlan(), EngineOptions())
    for line, (quantity, basis, hours, _) in enumerate(lots, start=1):
        buy = _trade(line, hours, Amount(basis, "USD"), Amount(quantity, "BTC"), basis)
        acquire(st_, buy, "BTC", quantity, basis)
    pool = st_.pool("a", "BTC")
    pool.unspent = unspent
    twin = Pool("a", "BTC")
    for lot in pool.lots.values():
        twin.add(lot)
    twin.unspent = unspent
    for number, (quantity, proceeds) in enumerate(sales, start=1):
        sale = _trade(1000 + number, 100 + number, Amount(quantity, "BTC"), Amount(proceeds, "USD"), proceeds)
        before = len(st_.disposals)
        shorts_before = len(pool.shorts)
        dispose(st_, sale, "BTC", quantity, proceeds, Purpose.SALE)
        pieces, rest = consume(twin, quantity, twin.ordered(POLICIES["fifo"]))
        short_qty = min(rest, twin.unspent)
        missing = rest - short_qty
        shares = split_amount(proceeds, [p.quantity for p in pieces] + [short_qty, missing])
        if short_qty > 0:
            twin.unspent -= short_qty  # open_short in the engine
        made = st_.disposals[before:]
        expected = [repr(share) for share in shares[: len(pieces)]]
        if missing > 0:
            expected.append(repr(shares[-1]))
        assert [repr(d.proceeds_usd) for d in made] == expected
        if short_qty > 0:
            assert repr(pool.shorts[shorts_before].proceeds_usd) == repr(shares[-2])


@SETTINGS
@given(st.lists(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1),
                             timezones=st.just(UTC)), min_size=1, max_size=40),
       st.sampled_from(ZONES))
def test_tax_dates_memo_is_tax_date(moments: list[datetime], zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    dates = TaxDates(zone)
    for moment in moments + moments[::-1]:  # misses, then hits
        assert dates(moment) == tax_date(moment, zone)
        assert dates.known(moment) == tax_date(moment, zone)


def test_tax_dates_still_refuse_naive_times() -> None:
    with pytest.raises(ValueError):
        TaxDates(ZoneInfo("UTC"))(datetime(2025, 1, 1))


def _one_year_end_by_hand(acquired: date, conservative: bool) -> date:
    """tax-rules.md §6.1 restated: a month-end acquisition (conservative) ends on the
    month-end a year later, otherwise the same month and day (Feb 29 -> Feb 28)."""
    following = acquired + timedelta(days=1)
    if conservative and following.day == 1:
        year_later = date(acquired.year + 1, acquired.month, 28)
        while (year_later + timedelta(days=1)).month == acquired.month:
            year_later += timedelta(days=1)
        return year_later
    try:
        return date(acquired.year + 1, acquired.month, acquired.day)
    except ValueError:
        return date(acquired.year + 1, 2, 28)


@pytest.mark.parametrize("conservative", [True, False])
def test_cached_one_year_end_every_day_of_four_years(conservative: bool) -> None:
    day = date(2023, 1, 1)
    while day < date(2027, 1, 1):
        assert one_year_end(day, conservative=conservative) == _one_year_end_by_hand(day, conservative)
        day += timedelta(days=1)


# ---- pricing ---------------------------------------------------------------------------------

ASSETS = ("BTC", "ETH", "USDT", "USD", "btc")


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(ASSETS), st.sampled_from(ASSETS), quantities, quantities,
                          st.one_of(st.none(), amounts), st.integers(0, 30)), max_size=25),
       st.sampled_from(ASSETS), st.integers(0, 30))
def test_implied_index_per_asset_is_the_full_index(
    trades: list[tuple[str, str, Decimal, Decimal, Decimal | None, int]], asset: str, minute: int
) -> None:
    events = [
        replace(_trade(n, 0, Amount(q1, a1), Amount(q2, a2), usd), time=START + timedelta(minutes=m))
        for n, (a1, a2, q1, q2, usd, m) in enumerate(trades, start=1)
    ]
    full = PriceIndex(implied_points(events))
    lazy = ImpliedIndex(events)
    moment, window = START + timedelta(minutes=minute), timedelta(minutes=10)
    assert repr(lazy.nearest(asset, moment, window)) == repr(full.nearest(asset, moment, window))


# ---- renderers -------------------------------------------------------------------------------


def _forms(rows: int) -> TaxForms:
    """The hand-built forms of ``forms_factory`` with ``rows`` detail rows (its rows
    repeated, amounts and units varied): a size around the writer's chunk of lines."""
    forms = make_forms(inject=True)
    base = forms.form_8949.rows
    many = tuple(
        replace(base[n % len(base)], quantity=Decimal(n).scaleb(-8), proceeds=Decimal(n).scaleb(-2),
                gain=-Decimal(n).scaleb(-2), sources=tuple(f"f.csv:{n + k}" for k in range(n % 3)))
        for n in range(rows)
    )
    return replace(forms, form_8949=replace(forms.form_8949, rows=many))


@pytest.mark.parametrize("rows", [0, 1, 2047, 2048, 2049, 4097])
def test_streamed_forms_json_is_forms_to_dict(tmp_path: Path, rows: int) -> None:
    forms = _forms(rows)
    (path,) = jsonout.write(forms, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(json.dumps(jsonout.forms_to_dict(forms)))
    assert text.endswith("}\n") and all(line.startswith(("{", "}", " ")) for line in text.splitlines())


def test_row_json_escapes_like_the_json_module() -> None:
    forms = _forms(3)
    odd = replace(forms.form_8949.rows[0], account='ex"ch\\ange\n', asset="ÉTH", description="=1 \u2028 ÉTH",
                  sources=('f "1".csv:2', "ü.csv:3"))
    assert json.loads(jsonout.row_json(odd)) == json.loads(json.dumps(jsonout.row_to_dict(odd)))


def _cells_by_dict(row: Form8949Row) -> list[str]:
    """The CSV cells as the dict-based writer made them (before issue 6), restated."""
    out = []
    for column, value in jsonout.row_to_dict(row).items():
        if isinstance(value, bool):
            out.append("true" if value else "false")
            continue
        text = ";".join(str(v) for v in value) if isinstance(value, list) else str(value)
        guarded = column in {"description", "account", "asset", "sources"} and text.startswith(
            ("=", "+", "-", "@", "\t", "\r"))
        out.append("'" + text if guarded else text)
    return out


def test_csv_cells_are_the_dict_cells() -> None:
    forms = _forms(40)
    rows = list(forms.form_8949.rows)
    rows.append(replace(rows[0], account="=cmd", asset="+X", description="-1 BTC", sources=("@a:1", "b:2")))
    for row in rows:
        assert csvout.csv_cells(row) == _cells_by_dict(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csvout.csv_cells(r) for r in rows)
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [_cells_by_dict(r) for r in rows]


# ---- gc pause --------------------------------------------------------------------------------


def test_gc_pause_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # was off: stays off
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("built", "frozen"),
    [(2 * FREEZE_AFTER, True), (100, False)],  # keep freezes only a bulk build
)
def test_gc_pause_keep_freezes_a_bulk_build(built: int, frozen: bool) -> None:
    assert gc.get_freeze_count() == 0
    try:
        with gc_paused(keep=True):
            kept = [[] for _ in range(built)]  # lists are tracked by the collector
        assert (gc.get_freeze_count() >= len(kept)) is frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_gc_pause_age_moves_the_build_to_the_oldest_generation_unfrozen() -> None:
    with gc_paused(age=True):
        young = [[] for _ in range(1000)]
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(x) in oldest for x in young)  # aged, still collectable (not frozen)
