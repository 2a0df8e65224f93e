"""Lot-selection policies and the dated plan that says which one applies (tax-rules.md §5).

A policy only decides an *order*: it maps the fixed facts of an open lot (acquisition
time, basis per unit including fees, creation order) to a sort key; the engine
(``taxmargin.engine``) alone consumes and splits lots (design.md §4). Keys depend only on
facts that never change while a lot is open, so a partially consumed lot keeps its place
in the engine's heaps.

- ``fifo``: earliest acquired first, ties by creation order. The default within each pool
  [REG1012 (j)(1), (j)(3)(i)]; transfer-in dates are disregarded (a moved lot keeps its
  original acquisition time and creation order).
- ``lifo``: latest acquired first.
- ``hifo``: highest basis per unit *including purchase fees* first, ties by earliest
  acquired (rp2's HIFO by spot price ignoring fees is the mistake to avoid).
- ``spec-id``: the lots named by the disposal's ``lots`` column, in that order; whatever
  they do not cover (or a disposal naming none) falls back to FIFO.

HIFO, LIFO and spec-ID are ways of making a specific identification, not accounting
methods [REG1012 (j)(4)]. Which one applies is a *standing order* with an effective time:
it governs disposals strictly after that time and never rewrites earlier ones (tax-rules.md
§5.3 rule 1). :class:`MethodPlan` is that dated plan; :data:`POLICIES` the explicit
registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from taxmargin.errors import InputError

if TYPE_CHECKING:
    from taxmargin.profile import Profile

__all__ = [
    "POLICIES",
    "Fifo",
    "HeapEntry",
    "Hifo",
    "Lifo",
    "LotFacts",
    "MethodPlan",
    "PlanOrder",
    "Policy",
    "SortKey",
    "SpecificId",
    "fifo_entry",
    "heap_entry",
    "micros",
    "plan_from_profile",
]

#: A lot's place in an ordering: smaller comes first. Only ints and Decimals (exact).
SortKey = tuple[int | Decimal, ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros(time: datetime) -> int:
    """Exact integer microseconds since 1970-01-01 UTC (negatable, unlike a datetime)."""
    return (time - _EPOCH) // _MICRO


class LotFacts(Protocol):
    """What a policy may look at: facts fixed for the life of an open lot."""

    @property
    def acquired(self) -> datetime: ...

    @property
    def unit_basis_usd(self) -> Decimal: ...

    @property
    def seq(self) -> int: ...


class Policy(Protocol):
    """An ordering of a pool's open lots (design.md §4)."""

    @property
    def name(self) -> str: ...

    @property
    def uses_named_lots(self) -> bool:
        """True when the disposal's ``lots`` column is honoured before the key order."""
        ...

    def key(self, lot: LotFacts) -> SortKey: ...


@dataclass(frozen=True, slots=True)
class Fifo:
    """First in, first out [REG1012 (j)(3)(i)]: (acquired, creation order)."""

    name: ClassVar[str] = "fifo"
    uses_named_lots: ClassVar[bool] = False

    def key(self, lot: LotFacts) -> SortKey:
        return ((lot.acquired - _EPOCH) // _MICRO, lot.seq)  # (micros(acquired), seq)


@dataclass(frozen=True, slots=True)
class Lifo:
    """Last in, first out: latest acquired first, ties by latest created."""

    name: ClassVar[str] = "lifo"
    uses_named_lots: ClassVar[bool] = False

    def key(self, lot: LotFacts) -> SortKey:
        return (-((lot.acquired - _EPOCH) // _MICRO), -lot.seq)  # (-micros(acquired), -seq)


@dataclass(frozen=True, slots=True)
class Hifo:
    """Highest basis per unit (purchase fees included) first; ties by earliest acquired."""

    name: ClassVar[str] = "hifo"
    uses_named_lots: ClassVar[bool] = False

    def key(self, lot: LotFacts) -> SortKey:
        return (-lot.unit_basis_usd, (lot.acquired - _EPOCH) // _MICRO, lot.seq)


@dataclass(frozen=True, slots=True)
class SpecificId:
    """The lots the disposal names (in that order), then FIFO for any remainder."""

    name: ClassVar[str] = "spec-id"
    uses_named_lots: ClassVar[bool] = True

    def key(self, lot: LotFacts) -> SortKey:
        return (micros(lot.acquired), lot.seq)


#: A heap entry of the engine's pools: ``(*policy.key(lot), serial)``, flat (cheaper to
#: compare than ``(key, serial)``, and one tuple per lot instead of two). Typed ``Any``
#: item by item: the key's ints and Decimals, then the serial (an int) last.
HeapEntry = tuple[Any, ...]


def fifo_entry(lot: LotFacts, serial: int) -> HeapEntry:
    """The FIFO (and spec-ID) heap entry, ``(micros(acquired), seq, serial)``: also the
    entry of a pool's time index (``engine.pool``), which reuses it."""
    return ((lot.acquired - _EPOCH) // _MICRO, lot.seq, serial)


def _lifo_entry(lot: LotFacts, serial: int) -> HeapEntry:
    return (-((lot.acquired - _EPOCH) // _MICRO), -lot.seq, serial)


def _hifo_entry(lot: LotFacts, serial: int) -> HeapEntry:
    return (-lot.unit_basis_usd, (lot.acquired - _EPOCH) // _MICRO, lot.seq, serial)


def heap_entry(policy: Policy) -> Callable[[LotFacts, int], HeapEntry]:
    """The function ``(lot, serial) -> (*policy.key(lot), serial)``: written out for the
    built-in policies (the engine makes one per lot and heap), generic otherwise."""
    if isinstance(policy, (Fifo, SpecificId)):
        return fifo_entry
    if isinstance(policy, Lifo):
        return _lifo_entry
    if isinstance(policy, Hifo):
        return _hifo_entry
    key = policy.key
    return lambda lot, serial: (*key(lot), serial)


#: Explicit registry: method name (profile ``method``, CLI ``--method``) -> policy.
POLICIES: dict[str, Policy] = {
    "fifo": Fifo(),
    "lifo": Lifo(),
    "hifo": Hifo(),
    "spec-id": SpecificId(),
}


def _check_method(method: str, where: str) -> None:
    if method not in POLICIES:
        known = ", ".join(POLICIES)
        raise InputError(f"{where}: unknown lot-selection method {method!r} (use one of {known})")


@dataclass(frozen=True, slots=True)
class PlanOrder:
    """A standing order: ``method`` governs disposals in ``account`` strictly after ``start``."""

    account: str
    method: str
    start: datetime

    def __post_init__(self) -> None:
        _check_method(self.method, f"standing order for {self.account!r}")
        if self.start.tzinfo is None:
            raise InputError(f"standing order for {self.account!r}: start time needs a time zone")


@dataclass(frozen=True, slots=True)
class MethodPlan:
    """The dated plan of lot-selection methods (tax-rules.md §5.3 rules 1–2).

    ``default`` applies wherever no standing order of the account is in force.
    """

    default: str = "fifo"
    orders: tuple[PlanOrder, ...] = ()

    def __post_init__(self) -> None:
        _check_method(self.default, "method")

    def method_for(self, account: str, time: datetime) -> str:
        """The method for a disposal in ``account`` at ``time``: the order of that account
        with the latest ``start`` strictly before ``time`` (a later entry wins a tie), else
        ``default``. Prospective only: an order never reaches back before its start."""
        best: PlanOrder | None = None
        for order in self.orders:
            in_force = order.account == account and order.start < time
            if in_force and (best is None or order.start >= best.start):
                best = order
        return self.default if best is None else best.method


def plan_from_profile(profile: Profile, override: str | None = None) -> MethodPlan:
    """The plan of a profile (interfaces.md §3): ``method`` is the default unless the CLI
    ``--method`` (``override``) replaces it; ``[[standing_orders]]`` become dated orders."""
    default = override if override is not None else profile.method
    orders = tuple(
        PlanOrder(account=order.account, method=order.method, start=order.from_)
        for order in profile.standing_orders
    )
    return MethodPlan(default=default, orders=orders)
