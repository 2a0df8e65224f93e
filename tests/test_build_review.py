"""The review (interfaces.md §1 ``review``): by month, by account, liquidations grouped by
their disposal event (tax-rules.md §4.2, §7.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from taxmargin.reports.build_review import build_review, explain_liquidation
from taxmargin.reports.forms import Form8949Row, LiquidationLot


def D(text: str) -> Decimal:
    return Decimal(text)


def row(*, sold: date, acquired: date, gain: str, account: str = "ex", liquidation: bool = False,
        source: str = "ex.csv:1", term: str = "short", hour: int = 12) -> Form8949Row:
    g = D(gain)
    proceeds, basis = (g, D("0")) if g >= 0 else (D("0"), -g)
    return Form8949Row(
        part="II" if term == "long" else "I", box="L" if term == "long" else "I", description="1.00000000 BTC",
        date_acquired=acquired, date_sold=sold, proceeds=proceeds, cost_basis=basis, code="",
        adjustment=D("0"), gain=g, account=account, asset="BTC", quantity=D("1"), term=term,
        liquidation=liquidation, sources=(source,),
        disposed_utc=datetime(sold.year, sold.month, sold.day, hour, tzinfo=UTC),
    )


def test_by_month_and_account() -> None:
    rows = [
        row(sold=date(2025, 3, 5), acquired=date(2025, 1, 1), gain="100", account="kraken"),
        row(sold=date(2025, 3, 9), acquired=date(2023, 1, 1), gain="-40", term="long", account="binance"),
        row(sold=date(2025, 11, 1), acquired=date(2025, 1, 1), gain="-10", account="kraken", liquidation=True),
    ]
    review = build_review(rows)
    assert len(review.by_month) == 12
    march, november = review.by_month[2], review.by_month[10]
    assert (march.short_term, march.long_term, march.liquidation_count) == (D("100"), D("-40"), 0)
    assert (november.short_term, november.liquidation_count) == (D("-10"), 1)
    assert [(a.account, a.short_term, a.long_term) for a in review.by_account] == [
        ("binance", D("0"), D("-40")), ("kraken", D("90"), D("0"))]


def test_liquidations_grouped_by_event() -> None:
    # two lots of one forced sale (same source row and time) form one event; another row of the
    # same day from a different source line is a second event
    rows = [
        row(sold=date(2025, 4, 7), acquired=date(2023, 3, 15), gain="300", term="long", liquidation=True,
            source="ex.csv:30"),
        row(sold=date(2025, 4, 7), acquired=date(2025, 1, 20), gain="-100", liquidation=True, source="ex.csv:30"),
        row(sold=date(2025, 4, 7), acquired=date(2025, 1, 20), gain="-5", liquidation=True, source="ex.csv:31",
            hour=13),
    ]
    first, second = build_review(rows).liquidations
    assert (len(first.lots), first.gain, first.short_term_gain, first.long_term_gain) == (
        2, D("200"), D("-100"), D("300"))
    assert first.explanation.startswith("Taxable gain of $200.00 despite the forced sale: lots acquired on 2023-03-15")
    assert (len(second.lots), second.gain, second.explanation) == (1, D("-5"), "")
    assert build_review(rows).by_month[3].liquidation_count == 2


def test_explanation_without_a_losing_recent_lot() -> None:
    # a gain where even the newest lot gained: no "most recently" clause
    lots = (LiquidationLot("x", date(2024, 1, 1), D("10"), D("4"), D("6"), "long", ()),)
    assert explain_liquidation(lots, D("6")) == (
        "Taxable gain of $6.00 despite the forced sale: lots acquired on 2024-01-01 had built-in gains of $6.00.")
