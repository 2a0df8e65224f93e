"""``book_until``: one pass giving the booking of every year end at once (``taxmargin
report`` with several ``--year``, issue 6) must give, for each end, exactly what ``book``
gives with ``until=end`` — the disposals, open lots, shorts, liabilities, diagnostics and
options in force at that instant (tax-rules.md §4.3: the year-end positions).

Random histories of every event type (tests/engine_strategies.py) over several years, with
ends at year starts in several time zones and at the very instant of an event (an event
at the end belongs to the next period: ``time < until``)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from engine_strategies import histories, options, plans
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxmargin.booking import Booking
from taxmargin.engine import EngineOptions, book, book_until
from taxmargin.models import EventBase
from taxmargin.policies import MethodPlan

ZONES = (UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"))


def _repr(result: Booking) -> str:
    return repr(dataclasses.astuple(result))


@st.composite
def ends(draw: st.DrawFn, events: list[EventBase]) -> list[datetime | None]:
    """Ascending whole-second ends: year starts in a zone, event instants, maybe None last."""
    zone = draw(st.sampled_from(ZONES))
    candidates = {datetime(year, 1, 1, tzinfo=zone).astimezone(UTC) for year in range(2024, 2030)}
    candidates |= {e.time.replace(microsecond=0) for e in events}
    chosen = sorted(draw(st.lists(st.sampled_from(sorted(candidates)), min_size=1, max_size=4, unique=True)))
    return [*chosen, None] if draw(st.booleans()) else list(chosen)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), events=histories(), plan=plans, opts=options)
def test_each_end_is_the_booking_until_it(data: st.DataObject, events: list[EventBase], plan: MethodPlan,
                                          opts: EngineOptions) -> None:
    wanted = data.draw(ends(events))
    together = book_until(events, plan, opts, wanted)
    assert len(together) == len(wanted)
    for end, booking in zip(wanted, together):
        assert _repr(booking) == _repr(book(events, plan, opts, until=end))


def test_a_universal_pool_warning_is_not_carried_into_later_ends() -> None:
    """``_result`` must not change the state: each end counts its own late disposals."""
    from datetime import timedelta

    from taxmargin.models import Amount, SourceRef, Trade

    def trade(day: int, sent: Amount, received: Amount) -> Trade:
        return Trade(time=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day), account="a",
                     source=SourceRef("t.csv", day + 2), sent=sent, received=received,
                     usd_value=sent.quantity if sent.asset == "USD" else received.quantity)

    events = [trade(0, Amount(1000, "USD"), Amount(1, "BTC")), trade(10, Amount(1, "BTC"), Amount(1100, "USD")),
              trade(20, Amount(1000, "USD"), Amount(1, "BTC")), trade(400, Amount(1, "BTC"), Amount(900, "USD"))]
    opts = EngineOptions(pool_by="universal")
    first, second = book_until(events, MethodPlan(), opts, [datetime(2026, 1, 1, tzinfo=UTC), None])
    codes = [[d.message for d in b.diagnostics if d.code == "universal-pool"] for b in (first, second)]
    assert codes == [["1 disposals on or after 2025-01-01 use universal pooling, which is not allowed from "
                      "2025 (tax-rules.md §5.1)"],
                     ["2 disposals on or after 2025-01-01 use universal pooling, which is not allowed from "
                      "2025 (tax-rules.md §5.1)"]]


@pytest.mark.parametrize("wanted", [
    [None, datetime(2025, 1, 1, tzinfo=UTC)],
    [datetime(2026, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)],
    [datetime(2025, 1, 1, 0, 0, 0, 500, tzinfo=UTC)],
])
def test_ends_must_ascend_be_whole_seconds_and_none_only_last(wanted: list[datetime | None]) -> None:
    with pytest.raises(ValueError):
        book_until([], MethodPlan(), EngineOptions(), wanted)
