"""Property tests of the lot engine (design.md §8.10): random valid histories of buys,
sells, swaps, transfers, withdrawals, income, borrows, shorts and repays.

Checked: units and basis are conserved, no lot is disposed of before it was acquired,
every short is open or closed by a delivery (units and proceeds), the end state matches
a simple quantity model, and the result does not depend on the input order.

Splits are exact Decimal divisions in the 60-digit context (no quantizing), so sums are
compared to within 1e-30 USD (far below a cent).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from taxmargin.booking import Booking, Purpose
from taxmargin.engine import EngineOptions, book
from taxmargin.models import (
    EVENT_TYPES,
    Amount,
    Borrow,
    EventBase,
    Income,
    Repay,
    SourceRef,
    Trade,
    Transfer,
    Withdrawal,
)
from taxmargin.policies import MethodPlan, PlanOrder

ACCOUNTS = ("a", "b")
ASSETS = ("BTC", "ETH")
START = datetime(2024, 1, 1, tzinfo=UTC)
ZERO = Decimal(0)
TINY = Decimal("1e-30")

Key = tuple[str, str]


@dataclass
class Model:
    """What a correct engine must end with, tracked by quantity only."""

    owned: dict[Key, Decimal] = field(default_factory=dict)
    unspent: dict[Key, Decimal] = field(default_factory=dict)
    short: dict[Key, Decimal] = field(default_factory=dict)
    liability: dict[Key, Decimal] = field(default_factory=dict)
    acquired_units: Decimal = ZERO
    basis_in: Decimal = ZERO
    withdrawn_units: Decimal = ZERO
    withdrew: bool = False
    shorted_units: Decimal = ZERO
    sale_proceeds: Decimal = ZERO  # amount realized of every sale (owned + shorted parts)
    events: list[EventBase] = field(default_factory=list)

    def get(self, table: dict[Key, Decimal], key: Key) -> Decimal:
        return table.get(key, ZERO)

    def add(self, table: dict[Key, Decimal], key: Key, amount: Decimal) -> None:
        table[key] = self.get(table, key) + amount


def amounts(low: int = 1, high: int = 400) -> st.SearchStrategy[Decimal]:
    """Quantities with up to 2 decimals (exact)."""
    return st.integers(low, high).map(lambda n: Decimal(n) / 100)


def usd(low: int = 1, high: int = 90000) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(Decimal)


class Builder:
    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.model = Model()
        self.time = START

    def emit(self, cls: type[EventBase], **fields: Any) -> None:
        if not self.data.draw(st.booleans(), label="same instant"):
            self.time += timedelta(hours=self.data.draw(st.integers(1, 2000), label="hours"))
        line = len(self.model.events) + 2
        event = cls(time=self.time, source=SourceRef("prop.csv", line), event_id=f"e{line}",
                    **fields)
        self.model.events.append(event)

    def pick(self) -> tuple[str, str]:
        return (self.data.draw(st.sampled_from(ACCOUNTS)), self.data.draw(st.sampled_from(ASSETS)))

    def out(self, key: Key, wanted: Decimal) -> Decimal:
        """Take ``wanted`` (<= owned + unspent) from the model: owned first, rest shorted."""
        m = self.model
        owned = min(wanted, m.get(m.owned, key))
        m.add(m.owned, key, -owned)
        shorted = wanted - owned
        m.add(m.unspent, key, -shorted)
        m.add(m.short, key, shorted)
        m.shorted_units += shorted
        return shorted

    def available(self, key: Key) -> Decimal:
        return self.model.get(self.model.owned, key) + self.model.get(self.model.unspent, key)

    # -- operations -----------------------------------------------------------------------
    def buy(self, key: Key | None = None) -> None:
        account, asset = key or self.pick()
        quantity, cost, fee = self.data.draw(amounts()), self.data.draw(usd()), self.data.draw(usd(0, 50))
        self.emit(Trade, account=account, sent=Amount(cost, "USD"), received=Amount(quantity, asset),
                  fee=Amount(fee, "USD") if fee else None)
        m = self.model
        m.add(m.owned, (account, asset), quantity)
        m.acquired_units += quantity
        m.basis_in += cost + fee  # §4.0(4): cash purchase, fee in basis

    def sell(self, key: Key | None = None) -> None:
        key = key or self.pick()
        have = self.available(key)
        if have <= 0:
            return
        quantity = have * self.data.draw(st.integers(1, 100)) / 100  # a share of the balance
        got = self.data.draw(usd())
        self.emit(Trade, account=key[0], sent=Amount(quantity, key[1]), received=Amount(got, "USD"))
        self.out(key, quantity)
        self.model.sale_proceeds += got

    def swap(self) -> None:
        account, asset = self.pick()
        other = "ETH" if asset == "BTC" else "BTC"
        have = self.available((account, asset))
        if have <= 0:
            return
        quantity = have * self.data.draw(st.integers(1, 100)) / 100
        got, value = self.data.draw(amounts()), self.data.draw(usd())
        self.emit(Trade, account=account, sent=Amount(quantity, asset), received=Amount(got, other),
                  usd_value=value)
        self.out((account, asset), quantity)
        m = self.model
        m.sale_proceeds += value  # §4.0(4): amount realized = FMV received
        m.add(m.owned, (account, other), got)
        m.acquired_units += got
        m.basis_in += value

    def transfer(self) -> None:
        account, asset = self.pick()
        target = "b" if account == "a" else "a"
        have = self.model.get(self.model.owned, (account, asset))
        if have <= 0:
            return
        quantity = have * self.data.draw(st.integers(1, 100)) / 100
        self.emit(Transfer, account=account, sent=Amount(quantity, asset), to_account=target)
        m = self.model
        m.add(m.owned, (account, asset), -quantity)
        m.add(m.owned, (target, asset), quantity)

    def withdraw(self) -> None:
        account, asset = self.pick()
        have = self.model.get(self.model.owned, (account, asset))
        if have <= 0:
            return
        quantity = have * self.data.draw(st.integers(1, 100)) / 100
        self.emit(Withdrawal, account=account, sent=Amount(quantity, asset))
        m = self.model
        m.add(m.owned, (account, asset), -quantity)
        m.withdrawn_units += quantity
        m.withdrew = True

    def income(self) -> None:
        account, asset = self.pick()
        quantity, value = self.data.draw(amounts()), self.data.draw(usd())
        self.emit(Income, account=account, received=Amount(quantity, asset), usd_value=value)
        m = self.model
        m.add(m.owned, (account, asset), quantity)
        m.acquired_units += quantity
        m.basis_in += value

    def borrow(self, key: Key | None = None) -> None:
        key = key or self.pick()
        quantity = self.data.draw(amounts())
        self.emit(Borrow, account=key[0], received=Amount(quantity, key[1]))
        m = self.model
        m.add(m.liability, key, quantity)
        m.add(m.unspent, key, quantity)

    def repay(self, key: Key | None = None) -> None:
        key = key or self.pick()
        m = self.model
        back = m.get(m.unspent, key)
        deliverable = min(m.get(m.short, key), m.get(m.owned, key))
        if back + deliverable <= 0:
            return
        quantity = (back + deliverable) * self.data.draw(st.integers(1, 100)) / 100
        self.emit(Repay, account=key[0], sent=Amount(quantity, key[1]))
        returned = min(quantity, back)
        delivered = quantity - returned
        m.add(m.unspent, key, -returned)
        m.add(m.short, key, -delivered)
        m.add(m.owned, key, -delivered)
        m.add(m.liability, key, -quantity)

    def short_round(self) -> None:
        """Borrow, sell (usually more than owned), buy back, repay: a short cycle (§4.3)."""
        key = self.pick()
        self.borrow(key)
        self.sell(key)
        if self.data.draw(st.booleans(), label="cover"):
            self.buy(key)
            self.repay(key)


OPS = ("buy", "buy", "sell", "swap", "transfer", "withdraw", "income", "borrow", "repay",
       "short_round", "short_round")


@st.composite
def histories(draw: st.DrawFn) -> Model:
    builder = Builder(draw(st.data()))
    for _ in range(draw(st.integers(1, 40))):
        getattr(builder, draw(st.sampled_from(OPS)))()
    return builder.model


def _plans() -> st.SearchStrategy[MethodPlan]:
    method = st.sampled_from(("fifo", "lifo", "hifo", "spec-id"))
    order = st.builds(lambda acc, m, h: PlanOrder(acc, m, START + timedelta(hours=h)),
                      st.sampled_from(ACCOUNTS), method, st.integers(0, 40000))
    return st.builds(MethodPlan, method, st.lists(order, max_size=3).map(tuple))


SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _total(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO)


@SETTINGS
@given(histories(), _plans())
def test_conservation_and_end_state(model: Model, plan: MethodPlan) -> None:
    b = book(model.events, plan)
    codes = {d.code for d in b.diagnostics}
    assert not codes & {"negative-balance", "missing-basis", "missing-price", "spec-id"}
    disposed = _total([d.quantity for d in b.disposals])
    open_units = _total([lot.quantity for lot in b.open_lots])
    # units: acquired = disposed + open + withdrawn (transfers stay inside the system)
    assert model.acquired_units == disposed + open_units + model.withdrawn_units
    if not model.withdrew:  # withdrawn lots carry basis the model cannot know
        basis_out = _total([d.basis_usd for d in b.disposals] + [lot.basis_usd for lot in b.open_lots])
        assert abs(model.basis_in - basis_out) < TINY
    assert all(d.acquired <= d.disposed for d in b.disposals)
    assert all(not d.missing_basis and d.purpose in (Purpose.SALE, Purpose.SHORT) for d in b.disposals)
    _check_shorts(model, b)
    _check_end_state(model, b)
    event("has short closings" if any(d.short_sale for d in b.disposals) else "no short closing")
    event("has open shorts" if b.open_shorts else "no open short")


def _check_shorts(model: Model, b: Booking) -> None:
    closed = [d for d in b.disposals if d.short_sale]
    # every unit sold short is still open or was closed by a delivery
    assert model.shorted_units == _total([s.quantity for s in b.open_shorts] + [d.quantity for d in closed])
    # and the amount realized of every sale is reported, held by an open short, or both
    proceeds = _total([d.proceeds_usd for d in b.disposals] + [s.proceeds_usd for s in b.open_shorts])
    assert abs(model.sale_proceeds - proceeds) < TINY
    assert all(d.purpose is Purpose.SHORT for d in closed)


def _check_end_state(model: Model, b: Booking) -> None:
    def table(values: dict[Key, Decimal]) -> dict[Key, Decimal]:
        return {key: value for key, value in values.items() if value != 0}

    lots: dict[Key, Decimal] = {}
    for lot in b.open_lots:
        lots[(lot.account, lot.asset)] = lots.get((lot.account, lot.asset), ZERO) + lot.quantity
    shorts: dict[Key, Decimal] = {}
    for short in b.open_shorts:
        shorts[(short.account, short.asset)] = shorts.get((short.account, short.asset), ZERO) + short.quantity
    assert lots == table(model.owned)
    assert shorts == table(model.short)
    assert {(x.account, x.asset): x.quantity for x in b.liabilities} == table(model.liability)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories(), _plans(), st.randoms(use_true_random=False))
def test_same_output_for_any_input_order(model: Model, plan: MethodPlan, rnd: random.Random) -> None:
    expected = book(model.events, plan)
    shuffled = list(model.events)
    rnd.shuffle(shuffled)
    assert book(shuffled, plan) == expected
    assert book(model.events, plan) == expected  # and the same on a second run


# -- robustness: any history, however wrong, is booked without an exception -------------------

_AMOUNT = st.builds(lambda q, a: Amount(Decimal(q) / 100, a), st.integers(0, 500),
                    st.sampled_from(("BTC", "ETH", "USDT", "USD", "EUR")))
_MAYBE_USD = st.one_of(st.none(), st.integers(0, 90000).map(Decimal))


@st.composite
def wild_events(draw: st.DrawFn) -> list[EventBase]:
    """Arbitrary events: oversells, repays without loans, missing prices, zero amounts,
    unknown spec-ID names, every event type, fees in any asset."""
    events: list[EventBase] = []
    for line in range(2, draw(st.integers(1, 30)) + 2):
        cls = draw(st.sampled_from(sorted(EVENT_TYPES.values(), key=lambda c: c.type_name)))
        sides = draw(st.sampled_from(("sent", "received", "both")))
        events.append(cls(
            time=START + timedelta(minutes=draw(st.integers(0, 5000))),
            account=draw(st.sampled_from(ACCOUNTS)),
            source=SourceRef("wild.csv", line),
            event_id=f"w{line}",
            sent=draw(_AMOUNT) if sides != "received" else None,
            received=draw(_AMOUNT) if sides != "sent" else None,
            fee=draw(st.one_of(st.none(), _AMOUNT)),
            fee_usd=draw(_MAYBE_USD),
            usd_value=draw(_MAYBE_USD),
            lots=tuple(draw(st.lists(st.sampled_from(("w2", "w3", "nope")), max_size=2))),
            **_type_fields(draw, cls),
        ))
    return events


def _type_fields(draw: st.DrawFn, cls: type[EventBase]) -> dict[str, Any]:
    if cls is Transfer:
        return {"to_account": draw(st.sampled_from(("a", "b", "")))}
    if cls.type_name in ("deposit", "realized_pnl"):
        moment = START + timedelta(minutes=draw(st.integers(-5000, 9000)))
        fields: dict[str, Any] = {"acquired": draw(st.one_of(st.none(), st.just(moment)))}
        if cls.type_name == "deposit":
            fields["basis_usd"] = draw(_MAYBE_USD)
        return fields
    return {}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wild_events(), _plans(), st.sampled_from(("account", "universal")),
       st.sampled_from(("amount_realized", "cod_income")))
def test_any_history_is_booked(events: list[EventBase], plan: MethodPlan, pool_by: str,
                               deficit: str) -> None:
    b = book(events, plan, EngineOptions(pool_by=pool_by, liquidation_deficit=deficit))
    assert all(d.acquired <= d.disposed for d in b.disposals)
    assert all(d.quantity > 0 for d in b.disposals)
    assert all(x.source is not None for x in b.diagnostics if x.code != "universal-pool")
    # an unpriced crypto income is never a silent zero
    if any(e.type_name == "income" and e.usd_value is None and e.received is not None
           and e.received.asset != "USD" for e in events):
        assert "missing-price" in {x.code for x in b.diagnostics}
