"""The mutable state of one ``book`` call: pools, results so far, diagnostics.

It is created, mutated and discarded inside :func:`taxmargin.engine.book` only; the
values it collects (``Disposal``, ``IncomeItem``, ...) are frozen.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from taxmargin.booking import Disposal, FundingPayment, IncomeItem, InterestPayment
from taxmargin.engine.lots import Lot, make_lot
from taxmargin.engine.options import EngineOptions
from taxmargin.engine.pool import Pool, PoolKey
from taxmargin.errors import Diagnostic, Severity
from taxmargin.models import USD, Amount, EventBase, SourceRef
from taxmargin.policies import POLICIES, MethodPlan, Policy

__all__ = ["UNIVERSAL", "ZERO", "State"]

ZERO = Decimal(0)
#: Account part of the pool key when ``pool_by = "universal"``.
UNIVERSAL = "*"


class State:
    """Everything the engine knows while booking events in order."""

    def __init__(self, plan: MethodPlan, options: EngineOptions) -> None:
        self.plan = plan
        self.options = options
        self.pools: dict[PoolKey, Pool] = {}
        self.by_asset: dict[str, list[Pool]] = {}
        self.disposals: list[Disposal] = []
        self.income: list[IncomeItem] = []
        self.interest: list[InterestPayment] = []
        self.funding_paid: list[FundingPayment] = []
        self.diagnostics: list[Diagnostic] = []
        self.methods_used: set[str] = set()
        self.used: dict[str, str] = {}  # uncertainty options that affected the result
        self.tainted: dict[str, set[str]] = {}  # account -> borrowed assets moved out (§3.2)
        #: account -> (second of its latest liquidation, indexes of that liquidation's sales)
        self.last_liquidation: dict[str, tuple[datetime, list[int]]] = {}
        self._counter = 0
        #: accounts with a standing order: only their disposals need the dated plan
        self._planned = frozenset(order.account for order in plan.orders)
        #: the one method of a plan without standing orders (else None): a disposal may use
        #: it without :meth:`method`, since ``methods_used`` (empty or this method) then
        #: reports it either way (``run._options``)
        self.single_method: str | None = None if plan.orders else plan.default
        #: pools per account (else one per asset, ``UNIVERSAL``); read by the hot paths that
        #: look a pool up in ``pools`` themselves before falling back to :meth:`pool`
        self.by_account = options.pool_by == "account"
        #: pools keep lot ids (``Pool.by_id``) only if some method of the plan names lots
        self._track_ids = any(
            POLICIES[name].uses_named_lots
            for name in (plan.default, *(order.method for order in plan.orders))
        )

    def next_seq(self) -> int:
        """A fresh number, increasing in booking order (lot/short creation order)."""
        self._counter += 1
        return self._counter

    def pool(self, account: str, asset: str) -> Pool:
        """The pool of ``asset`` for ``account`` (one pool per asset when universal)."""
        key = (account if self.by_account else UNIVERSAL, asset)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = Pool(key[0], asset, track_ids=self._track_ids)
            self.by_asset.setdefault(asset, []).append(pool)
        return pool

    def policy(self, account: str, time: datetime) -> Policy:
        """The lot-selection policy in force for a disposal (tax-rules.md §5.3)."""
        return POLICIES[self.method(account, time)]

    def method(self, account: str, time: datetime) -> str:
        """The name of :meth:`policy` (recorded as used): the plan's dated answer for an
        account with a standing order, else the default without looking at dates."""
        name = self.plan.method_for(account, time) if account in self._planned else self.plan.default
        self.methods_used.add(name)
        return name

    def diag(self, severity: Severity, code: str, message: str, source: SourceRef | None) -> None:
        self.diagnostics.append(Diagnostic(severity, code, message, source))

    def usd(self, event: EventBase, value: Decimal | None, what: str) -> Decimal:
        """``value`` or, when pricing left it empty, 0 with a ``missing-price`` warning."""
        if value is not None:
            return value
        self.diag(
            Severity.WARNING, "missing-price",
            f"{event.type_name}: no USD value for {what}; 0 used", event.source,
        )
        return ZERO

    def main_usd(self, event: EventBase, side: Amount | None) -> Decimal:
        """The event's ``usd_value``; when empty and the main side is USD, its quantity."""
        value = event.usd_value
        if value is not None:
            return value
        if side is not None and side.asset == USD:
            return side.quantity
        return self.usd(event, value, str(side) if side else "the event")

    def fee_value(self, event: EventBase) -> Decimal:
        """The fee's ``fee_usd``; a USD fee without one is worth its quantity."""
        fee = event.fee
        if fee is None:
            return ZERO
        value = event.fee_usd
        if value is not None:
            return value
        if fee.asset == USD:
            return fee.quantity
        return self.usd(event, value, f"fee {fee}")

    def new_lot(self, event: EventBase, quantity: Decimal, basis: Decimal, *,
                acquired: datetime | None = None, missing_basis: bool = False,
                from_liquidation: bool = False) -> Lot:
        """A fresh lot acquired by ``event`` (serial = creation order); its id is the
        event's ``event_id`` or ``path:line#seq``."""
        self._counter += 1  # next_seq(), inlined on this hot path
        seq = self._counter
        return make_lot(
            seq, seq, event.event_id or f"{event.source.path}:{event.source.line}#{event.seq}",
            event.account, quantity, basis, acquired or event.time, basis / quantity,
            (event.source,), missing_basis, from_liquidation,
        )

    def open_lot(self, event: EventBase, asset: str, quantity: Decimal, basis: Decimal,
                 acquired: datetime | None, missing_basis: bool, from_liquidation: bool) -> None:
        """Add :meth:`new_lot` to the pool of ``asset`` in the event's account (the
        caller has checked that ``asset`` is not fiat and ``quantity`` > 0): the engine's
        hot path for every acquisition, with ``new_lot`` and ``pool`` inlined (same lot,
        same pool)."""
        self._counter += 1
        seq = self._counter
        account = event.account
        pool = self.pools.get((account if self.by_account else UNIVERSAL, asset))
        if pool is None:
            pool = self.pool(account, asset)
        pool.add(make_lot(
            seq, seq, event.event_id or f"{event.source.path}:{event.source.line}#{event.seq}",
            account, quantity, basis, acquired or event.time, basis / quantity,
            (event.source,), missing_basis, from_liquidation,
        ))
