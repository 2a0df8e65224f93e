"""Hypothesis strategies for the equivalence tests of the tax-year stage, the form builder
and the renderers (test_perf_forms, test_perf_renderers, test_perf_taxyear): Decimals of
every shape, random disposals and tax-year rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from taxmargin.booking import Disposal, Purpose, Term
from taxmargin.models import SourceRef
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
