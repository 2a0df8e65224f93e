"""Issue 6 (performance), ``dispose``'s shortcut for its commonest case: the first lot in
policy order is larger than the quantity disposed of (it is split and covers it all), the
row names no lots and no borrowed units are negative. The shortcut must give exactly what
the general path (``take_ordered`` and the piece loop) gives, and every other case must
still go the general way: both are checked here against the restated pre-issue-6
``dispose`` (tests/engine_reference.py), with ``repr`` (every Decimal's exponent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from engine_reference import _ref_acquire, _ref_dispose
from engine_strategies import START, quantities, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxmargin.booking import Purpose
from taxmargin.engine import EngineOptions
from taxmargin.engine import dispose as dispose_module
from taxmargin.engine.consume import take_ordered
from taxmargin.engine.dispose import acquire, dispose
from taxmargin.engine.state import State
from taxmargin.models import Amount, SourceRef, Trade
from taxmargin.policies import MethodPlan

Step = tuple[str, str, Decimal, Decimal, int]


def _event(line: int, account: str, hours: int, lots: tuple[str, ...] = ()) -> Trade:
    return Trade(time=START + timedelta(hours=hours), account=account, source=SourceRef("f.csv", line),
                 sent=Amount(Decimal(1), "BTC"), received=Amount(Decimal(1), "USD"), lots=lots)


def _state(method: str, pool_by: str) -> State:
    return State(MethodPlan(default=method), EngineOptions(pool_by=pool_by))


def _snapshot(st_: State) -> str:
    pools = [(key, sorted(pool.lots.items()), pool.held, pool.unspent, list(pool.shorts))
             for key, pool in sorted(st_.pools.items())]
    return repr((st_.disposals, pools, st_.diagnostics))  # methods_used: see run._options


def _run(steps: list[Step], method: str, pool_by: str, unspent: Decimal, reference: bool,
         monkeypatch: pytest.MonkeyPatch) -> str:
    """Book ``steps`` (buy or sell, account, quantity, amount, hours) with ``dispose`` or the
    reference, in a state of its own."""
    st_ = _state(method, pool_by)
    if reference:
        st_.single_method = None
    sell: Callable[..., None] = _ref_dispose if reference else dispose
    buy: Callable[..., None] = _ref_acquire if reference else acquire
    for line, (kind, account, quantity, amount, hours) in enumerate(steps, start=2):
        if kind == "buy":
            buy(st_, _event(line, account, hours), "BTC", quantity, amount)
            st_.pool(account, "BTC").unspent = unspent
        else:
            named = ("f.csv:2#0",) if kind == "named" else ()
            sell(st_, _event(line, account, hours, named), "BTC", quantity, amount, Purpose.SALE)
    return _snapshot(st_)


steps = st.lists(st.tuples(st.sampled_from(("buy", "buy", "sell", "sell", "named")), st.sampled_from(("a", "b")),
                           quantities, values, st.integers(0, 300)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, method=st.sampled_from(("fifo", "lifo", "hifo", "spec-id")),
       pool_by=st.sampled_from(("account", "universal")),
       unspent=st.sampled_from((Decimal(0), Decimal("0.00"), Decimal(5), Decimal(-1))))
def test_dispose_is_the_reference_dispose(monkeypatch: pytest.MonkeyPatch, steps: list[Step], method: str,
                                          pool_by: str, unspent: Decimal) -> None:
    """Random buys and sells (some naming a lot) of one asset, every method, account and
    universal pools (a lot of another account at the top), unspent borrowed units zero,
    positive or negative: the shortcut and the general path together are the reference."""
    fast = _run(steps, method, pool_by, unspent, False, monkeypatch)
    assert fast == _run(steps, method, pool_by, unspent, True, monkeypatch)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls of ``take_ordered`` (the general path) made by ``dispose``."""
    calls: list[int] = []

    def counted(*args: Any) -> Any:
        calls.append(1)
        return take_ordered(*args)

    monkeypatch.setattr(dispose_module, "take_ordered", counted)
    return calls


Setup = Callable[[State], None]


def _nothing(st_: State) -> None:
    """The pool's FIFO heap is built (by an earlier disposal, say)."""
    st_.pool("a", "BTC").heap(dispose_module._HEAP_ORDER["fifo"])


def _first_disposal(st_: State) -> None:
    """No heap yet: the general path builds it."""


def _negative_unspent(st_: State) -> None:
    _nothing(st_)
    st_.pool("a", "BTC").unspent = Decimal(-1)


def _closed_top(st_: State) -> None:
    """The top of the FIFO heap is a lot closed without popping it (a stale entry)."""
    _nothing(st_)
    pool = st_.pool("a", "BTC")
    pool.close(min(pool.lots))


def _bloated_heap(st_: State) -> None:
    """More than 2 * open lots + 32 heap entries: the heap must be rebuilt first."""
    _nothing(st_)
    pool = st_.pool("a", "BTC")
    for line in range(100, 140):
        acquire(st_, _event(line, "a", 20), "BTC", Decimal(1), Decimal(1))
    for serial in sorted(pool.lots)[3:]:
        pool.close(serial)


@pytest.mark.parametrize(("quantity", "lots", "setup", "general"), [
    (Decimal("0.5"), (), _nothing, False),  # the first lot (2) covers it: the shortcut
    (Decimal("2"), (), _nothing, True),  # exactly the first lot: no split
    (Decimal("2.0"), (), _nothing, True),
    (Decimal("3"), (), _nothing, True),  # more than the first lot
    (Decimal("0.5"), ("f.csv:3#0",), _nothing, True),  # names a lot
    (Decimal("0.5"), (), _first_disposal, True),
    (Decimal("0.5"), (), _negative_unspent, True),
    (Decimal("0.5"), (), _closed_top, True),
    (Decimal("0.5"), (), _bloated_heap, True),
])
def test_only_the_common_case_takes_the_shortcut(monkeypatch: pytest.MonkeyPatch, quantity: Decimal,
                                                 lots: tuple[str, ...], setup: Setup, general: bool) -> None:
    results = []
    for reference in (False, True):
        st_ = _state("fifo", "account")
        if reference:
            st_.single_method = None
        for line, size in ((2, "2"), (3, "1.5"), (4, "7")):
            acquire(st_, _event(line, "a", line), "BTC", Decimal(size), Decimal(100))
        setup(st_)
        if reference:
            _ref_dispose(st_, _event(9, "a", 10, lots), "BTC", quantity, Decimal("33.3"), Purpose.SALE)
        else:
            calls = _counting(monkeypatch)
            dispose(st_, _event(9, "a", 10, lots), "BTC", quantity, Decimal("33.3"), Purpose.SALE)
            assert bool(calls) == general
        results.append(_snapshot(st_))
    assert results[0] == results[1]


@pytest.mark.parametrize(("quantity", "proceeds"), [
    (Decimal("5E+1"), Decimal(100)),  # ZERO + 5E+1 is 50: the share is 1.0E+2, not 100
    (Decimal("0.50"), Decimal("100.00")),
    (Decimal(3), Decimal(1) / Decimal(7)),  # 60 digits: proceeds * quantity is rounded
])
def test_the_shortcut_keeps_every_exponent(monkeypatch: pytest.MonkeyPatch, quantity: Decimal,
                                           proceeds: Decimal) -> None:
    """The shortcut's share is ``proceeds * quantity / (ZERO + quantity)`` as in the
    general path, not ``proceeds`` (same value, maybe another exponent or rounding)."""
    results = []
    for reference in (False, True):
        st_ = _state("fifo", "account")
        acquire(st_, _event(2, "a", 1), "BTC", Decimal(70), Decimal(1) / Decimal(3))
        _nothing(st_)
        if reference:
            _ref_dispose(st_, _event(3, "a", 2), "BTC", quantity, proceeds, Purpose.SALE)
        else:
            calls = _counting(monkeypatch)
            dispose(st_, _event(3, "a", 2), "BTC", quantity, proceeds, Purpose.SALE)
            assert not calls
        results.append(_snapshot(st_))
    assert results[0] == results[1]
