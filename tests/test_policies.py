"""Lot-selection policies and the dated plan (tax-rules.md §5.2, §5.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from engine_scenarios import when

from taxmargin.errors import InputError
from taxmargin.policies import (
    POLICIES,
    Fifo,
    Hifo,
    Lifo,
    MethodPlan,
    PlanOrder,
    SpecificId,
    plan_from_profile,
)
from taxmargin.profile import parse_profile


@dataclass(frozen=True)
class Facts:
    name: str
    acquired: datetime
    unit_basis_usd: Decimal
    seq: int


# Lot B costs 50,000 + 50 fee per unit; lot C 50,040 with no fee: by spot price C is
# "higher", by basis including fees B is (design.md §9: rp2's HIFO-by-price is the bug).
LOTS = [
    Facts("A", when("2024-01-10"), Decimal(30300), 1),
    Facts("B", when("2024-02-10"), Decimal(50050), 2),
    Facts("C", when("2024-03-10"), Decimal(50040), 3),
    Facts("D", when("2024-01-10"), Decimal(50050), 4),  # same time as A, created later
]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("fifo", ["A", "D", "B", "C"]),  # earliest first; A/D tie -> creation order (§5.2)
        ("lifo", ["C", "B", "D", "A"]),  # latest first; tie -> latest created
        ("hifo", ["D", "B", "C", "A"]),  # 50,050 (D older than B), 50,050, 50,040, 30,300
        ("spec-id", ["A", "D", "B", "C"]),  # unnamed remainder: FIFO (§5.3 rule 2)
    ],
)
def test_policy_orders(method: str, expected: list[str]) -> None:
    policy = POLICIES[method]
    assert [lot.name for lot in sorted(LOTS, key=policy.key)] == expected
    assert policy.name == method


def test_registry_is_explicit() -> None:
    assert set(POLICIES) == {"fifo", "lifo", "hifo", "spec-id"}
    assert isinstance(POLICIES["fifo"], Fifo) and isinstance(POLICIES["lifo"], Lifo)
    assert isinstance(POLICIES["hifo"], Hifo) and isinstance(POLICIES["spec-id"], SpecificId)
    assert [p.uses_named_lots for p in POLICIES.values()] == [False, False, False, True]


PLAN = MethodPlan(
    default="fifo",
    orders=(
        PlanOrder("kraken", "hifo", when("2025-02-01T00:00:00")),
        PlanOrder("kraken", "lifo", when("2025-06-01T00:00:00")),
        PlanOrder("binance", "spec-id", when("2025-01-01T00:00:00")),
    ),
)


@pytest.mark.parametrize(
    ("account", "time", "method"),
    [
        ("kraken", "2025-01-31T23:59:59", "fifo"),  # before any order: default
        ("kraken", "2025-02-01T00:00:00", "fifo"),  # at the start: "strictly after" (§5.3 r.1)
        ("kraken", "2025-02-01T00:00:01", "hifo"),
        ("kraken", "2025-06-01T00:00:01", "lifo"),  # the latest order in force wins
        ("binance", "2025-03-01T00:00:00", "spec-id"),
        ("coinbase", "2025-03-01T00:00:00", "fifo"),  # orders are per account
    ],
)
def test_method_for_is_prospective(account: str, time: str, method: str) -> None:
    assert PLAN.method_for(account, when(time)) == method


def test_later_order_with_same_start_wins() -> None:
    start = when("2025-01-01")
    plan = MethodPlan(orders=(PlanOrder("x", "hifo", start), PlanOrder("x", "lifo", start)))
    assert plan.method_for("x", when("2025-02-01")) == "lifo"


def test_plan_from_profile_and_override() -> None:
    profile = parse_profile({
        "method": "lifo",
        "standing_orders": [{"account": "kraken", "method": "hifo", "from": "2025-02-01T00:00:00Z"}],
    })
    plan = plan_from_profile(profile)
    assert plan.default == "lifo"
    assert plan.orders == (PlanOrder("kraken", "hifo", when("2025-02-01T00:00:00")),)
    overridden = plan_from_profile(profile, override="fifo")  # CLI --method
    assert overridden.default == "fifo" and overridden.orders == plan.orders
    assert plan_from_profile(parse_profile({})) == MethodPlan()


@pytest.mark.parametrize("bad", ["average", "FIFO", ""])
def test_unknown_method_is_an_input_error(bad: str) -> None:
    with pytest.raises(InputError, match="unknown lot-selection method"):
        MethodPlan(default=bad)
    with pytest.raises(InputError):
        PlanOrder("x", bad, when("2025-01-01"))


def test_naive_start_rejected() -> None:
    with pytest.raises(InputError, match="time zone"):
        PlanOrder("x", "fifo", datetime(2025, 1, 1))
