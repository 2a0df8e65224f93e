"""Hypothesis strategies for the engine's equivalence tests (test_perf_engine*): quantities
and values with different exponents, random histories of every event type, method plans
(standing orders included) and engine options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from taxmargin.engine import EngineOptions
from taxmargin.models import (
    Amount,
    Borrow,
    Deposit,
    EventBase,
    Fee,
    Funding,
    Income,
    Interest,
    Liquidation,
    RealizedPnl,
    Repay,
    SourceRef,
    Spend,
    Trade,
    Transfer,
    Withdrawal,
    WriteOff,
)
from taxmargin.policies import POLICIES, MethodPlan, PlanOrder

START = datetime(2024, 1, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


#: Quantities and values with different exponents (0.5, 0.50000000, 5E+1 ...).
quantities = st.builds(lambda d, e: Decimal(d).scaleb(e), st.integers(1, 10**6), st.integers(-9, 1))
values = st.builds(lambda d, e: Decimal(d).scaleb(e), st.integers(0, 10**7), st.integers(-8, 0))


# ---- random histories ----------------------------------------------------------------------
ACCOUNTS = ("a", "b")
CRYPTO = ("BTC", "ETH", "BNB")
SIDES = ("BTC", "ETH", "BNB", "USD", "EUR", "USDT")
KINDS = (Trade, Trade, Trade, Trade, Liquidation, Deposit, Withdrawal, Transfer, Borrow, Repay,
         Interest, Fee, Income, Spend, RealizedPnl, RealizedPnl, Funding, Funding, WriteOff)


@st.composite
def histories(draw: st.DrawFn) -> list[EventBase]:
    events: list[EventBase] = []
    time = START
    for line in range(2, draw(st.integers(1, 45)) + 2):
        if draw(st.booleans()):
            time += timedelta(minutes=draw(st.integers(1, 60 * 24 * 200)))
        cls = draw(st.sampled_from(KINDS))
        amount = st.builds(Amount, quantities, st.sampled_from(SIDES))
        crypto = st.builds(Amount, quantities, st.sampled_from(CRYPTO))
        fields: dict[str, Any] = {
            "time": time, "account": draw(st.sampled_from(ACCOUNTS)),
            "source": SourceRef("h.csv", line), "event_id": draw(st.sampled_from(("", f"e{line}"))),
            "usd_value": draw(st.one_of(st.none(), values, values)),
        }
        if draw(st.booleans()):
            fields["fee"] = draw(amount)
            fields["fee_usd"] = draw(st.one_of(st.none(), values))
        if cls in (Trade, Liquidation):
            fields["sent"], fields["received"] = draw(amount), draw(amount)
        elif cls in (Deposit, Borrow, Income):
            fields["received"] = draw(crypto)
        elif cls in (RealizedPnl, Funding):
            fields[draw(st.sampled_from(("sent", "received")))] = draw(crypto)
        else:
            fields["sent"] = draw(crypto)
        if cls is Transfer:
            fields["to_account"] = draw(st.sampled_from(ACCOUNTS))
        if cls is Deposit:
            fields["basis_usd"] = draw(st.one_of(st.none(), values))
            fields["acquired"] = draw(st.one_of(st.none(), st.just(time - timedelta(days=400))))
        if cls is RealizedPnl:
            fields["acquired"] = draw(st.one_of(st.none(), st.just(time - timedelta(days=3))))
        if draw(st.integers(0, 4)) == 0:
            fields["lots"] = tuple(f"e{n}" for n in draw(st.lists(st.integers(2, line), max_size=3)))
        events.append(cls(**fields))
    return events


plans = st.one_of(
    st.sampled_from(tuple(MethodPlan(default=name) for name in POLICIES)),
    st.builds(lambda default, method, days: MethodPlan(default=default, orders=(
        PlanOrder(account="a", method=method, start=START + timedelta(days=days)),)),
        st.sampled_from(tuple(POLICIES)), st.sampled_from(tuple(POLICIES)), st.integers(0, 400)),
)
options = st.builds(
    EngineOptions, pool_by=st.sampled_from(("account", "account", "universal")),
    funding_treatment=st.sampled_from(("ordinary_in_nondeductible_out", "net_into_capital_pnl")),
    liquidation_deficit=st.sampled_from(("amount_realized", "cod_income")),
)
