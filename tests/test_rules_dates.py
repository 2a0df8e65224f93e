"""Tax dates and holding period: every check of tax-rules.md §6.1 and §6.3, U7."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taxmargin.booking import Term
from taxmargin.rules.dates import (
    holding_term,
    near_one_year_boundary,
    one_year_end,
    rules_disagree,
    tax_date,
)

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("acquired", "expected_end", "conservative"),
    [
        # §6.1: acq 2024-01-15 -> still ST on 2025-01-15 (the anniversary), LT from 2025-01-16
        (date(2024, 1, 15), date(2025, 1, 15), True),
        # §6.1: acq 2024-02-29 (month end) -> one_year_end 2025-02-28 (LT from 2025-03-01)
        (date(2024, 2, 29), date(2025, 2, 28), True),
        # §6.1: acq 2023-02-28 is the last day of Feb 2023 -> last day of Feb 2024 = 2024-02-29
        (date(2023, 2, 28), date(2024, 2, 29), True),
        # §6.1: acq 2024-02-28 is not month end in 2024 -> same day 2025-02-28
        (date(2024, 2, 28), date(2025, 2, 28), True),
        # CASPE month-end rule: acq 2024-01-31 -> 2025-01-31 (same either way)
        (date(2024, 1, 31), date(2025, 1, 31), True),
        # U7 naive anniversary: acq 2023-02-28 -> 2024-02-28
        (date(2023, 2, 28), date(2024, 2, 28), False),
        # U7 naive: Feb 29 has no twin in 2025 -> Feb 28
        (date(2024, 2, 29), date(2025, 2, 28), False),
        # year-end acquisition: 2024-12-31 -> 2025-12-31
        (date(2024, 12, 31), date(2025, 12, 31), True),
    ],
)
def test_one_year_end(acquired: date, expected_end: date, conservative: bool) -> None:
    assert one_year_end(acquired, conservative=conservative) == expected_end


@pytest.mark.parametrize(
    ("acquired", "disposed", "term"),
    [
        # §6.1: 2024-01-15 -> 2025-01-16 is long-term
        (date(2024, 1, 15), date(2025, 1, 16), Term.LONG),
        # §6.1 "Never use days held > 365": 2024-01-15 -> 2025-01-15 is 366 days but exactly 1 year
        (date(2024, 1, 15), date(2025, 1, 15), Term.SHORT),
        # §6.1: acq 2024-02-29 -> ST on 2025-02-28, LT from 2025-03-01
        (date(2024, 2, 29), date(2025, 2, 28), Term.SHORT),
        (date(2024, 2, 29), date(2025, 3, 1), Term.LONG),
        # §6.1 edge case flagged: acq 2023-02-28 -> a 2024-02-29 sale is still ST (conservative)
        (date(2023, 2, 28), date(2024, 2, 29), Term.SHORT),
        (date(2023, 2, 28), date(2024, 3, 1), Term.LONG),
        # §6.1: acq 2024-02-28 -> ST on 2025-02-28, LT on 2025-03-01
        (date(2024, 2, 28), date(2025, 2, 28), Term.SHORT),
        (date(2024, 2, 28), date(2025, 3, 1), Term.LONG),
        # Pub 550 example [P550 "Holding Period"]: bought 2024-01-31
        (date(2024, 1, 31), date(2025, 1, 29), Term.SHORT),
        (date(2024, 1, 31), date(2025, 2, 6), Term.LONG),
        # CASPE: bought on a month end, exactly one year later (month end) is not "more than"
        (date(2024, 1, 31), date(2025, 1, 31), Term.SHORT),
        (date(2024, 1, 31), date(2025, 2, 1), Term.LONG),
        # same-day sale is short-term
        (date(2025, 4, 7), date(2025, 4, 7), Term.SHORT),
    ],
)
def test_holding_term_conservative(acquired: date, disposed: date, term: Term) -> None:
    assert holding_term(acquired, disposed) is term


def test_naive_rule_differs_only_at_the_february_month_end() -> None:
    # U7: acq 2023-02-28, sold 2024-02-29: naive anniversary 2024-02-28 -> LT; conservative ST
    assert holding_term(date(2023, 2, 28), date(2024, 2, 29), conservative=False) is Term.LONG
    assert holding_term(date(2023, 2, 28), date(2024, 2, 29), conservative=True) is Term.SHORT
    assert rules_disagree(date(2023, 2, 28), date(2024, 2, 29))
    assert not rules_disagree(date(2024, 1, 15), date(2025, 1, 16))


@given(
    acquired=st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=800),
)
@settings(max_examples=200, deadline=None)
def test_terms_are_monotone_and_bounded(acquired: date, days: int) -> None:
    """Held <= 364 days is always ST; >= 367 days always LT (a calendar year has 365 or 366
    days, §6.1); the conservative rule is never LT where the naive rule is ST."""
    disposed = acquired + timedelta(days=days)
    term = holding_term(acquired, disposed)
    if days <= 364:
        assert term is Term.SHORT
    if days >= 367:
        assert term is Term.LONG
    if term is Term.LONG:
        assert holding_term(acquired, disposed, conservative=False) is Term.LONG
        assert holding_term(acquired, disposed + timedelta(days=1)) is Term.LONG


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        # §6.3: a sale at 2026-01-01T03:00Z in America/New_York is 2025-12-31 (a 2025 sale)
        (datetime(2026, 1, 1, 3, 0, tzinfo=UTC), NY, date(2025, 12, 31)),
        # §6.3: the same moment in UTC is 2026-01-01 (a 2026 sale)
        (datetime(2026, 1, 1, 3, 0, tzinfo=UTC), ZoneInfo("UTC"), date(2026, 1, 1)),
        # east of UTC: 2025-12-31T20:00Z is already 2026-01-01 in Tokyo (UTC+9)
        (datetime(2025, 12, 31, 20, 0, tzinfo=UTC), ZoneInfo("Asia/Tokyo"), date(2026, 1, 1)),
        # New York summer time (UTC-4): 2025-07-01T03:59Z is 2025-06-30 23:59 local
        (datetime(2025, 7, 1, 3, 59, tzinfo=UTC), NY, date(2025, 6, 30)),
        # a non-UTC aware input is converted, not read naively: 01:00+05:00 is 20:00Z the day before
        (datetime(2025, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=5))), ZoneInfo("UTC"), date(2025, 3, 1)),
    ],
)
def test_tax_date(moment: datetime, zone: ZoneInfo, expected: date) -> None:
    assert tax_date(moment, zone) == expected


def test_tax_date_rejects_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        tax_date(datetime(2025, 1, 1, 12, 0), NY)


@pytest.mark.parametrize(
    ("disposed", "near"),
    [
        # acq 2024-01-15: last ST day 2025-01-15; flagged from 2025-01-14 to 2025-01-17 (§6.3 (2))
        (date(2025, 1, 13), False),
        (date(2025, 1, 14), True),
        (date(2025, 1, 15), True),
        (date(2025, 1, 16), True),
        (date(2025, 1, 17), True),
        (date(2025, 1, 18), False),
    ],
)
def test_near_one_year_boundary(disposed: date, near: bool) -> None:
    assert near_one_year_boundary(date(2024, 1, 15), disposed) is near
