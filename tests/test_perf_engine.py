"""Issue 6 (performance) of the booking stage, the whole engine: ``book`` (dispatch table,
trades, P&L and funding with their helpers inlined, ``dispose`` over ``take_ordered``,
``State.open_lot``, pools without lot ids, the lazily pruned time index) against a
reference run that books the same events with the general code restated as it was before
issue 6 (tests/engine_reference.py), on random histories of every event type, for every
method, standing orders, spec-ID lots and universal pools.

Representations are compared with ``repr``, which shows every Decimal's exponent.
(The part-by-part checks: test_perf_engine_parts.)
"""

from __future__ import annotations

import dataclasses

import pytest
from engine_reference import reference_book
from engine_strategies import histories, options, plans
from hypothesis import HealthCheck, given, settings

from taxmargin.booking import Booking
from taxmargin.engine import EngineOptions, book
from taxmargin.models import EventBase
from taxmargin.policies import MethodPlan


def _booking_repr(result: Booking) -> str:
    return repr(dataclasses.astuple(result))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(events=histories(), plan=plans, opts=options)
def test_book_is_the_general_engine(monkeypatch: pytest.MonkeyPatch, events: list[EventBase], plan: MethodPlan,
                                    opts: EngineOptions) -> None:
    fast = book(events, plan, opts)
    reference = reference_book(events, plan, opts, monkeypatch)
    assert _booking_repr(fast) == _booking_repr(reference)
