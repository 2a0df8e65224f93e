"""The mutable state of one ``book`` call: pools, results so far, diagnostics.

It is created, mutated and discarded inside :func:`taxmargin.engine.book` only; the
values it collects (``Disposal``, ``IncomeItem``, ...) are frozen.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from taxmargin.booking import Disposal, FundingPayment, IncomeItem, InterestPayment
from taxmargin.engine.lots import Lot
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

    def next_seq(self) -> int:
        """A fresh number, increasing in booking order (lot/short creation order)."""
        self._counter += 1
        return self._counter

    def pool(self, account: str, asset: str) -> Pool:
        """The pool of ``asset`` for ``account`` (one pool per asset when universal)."""
        key = (account if self.options.pool_by == "account" else UNIVERSAL, asset)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = Pool(key[0], asset)
            self.by_asset.setdefault(asset, []).append(pool)
        return pool

    def policy(self, account: str, time: datetime) -> Policy:
        """The lot-selection policy in force for a disposal (tax-rules.md §5.3)."""
        name = self.plan.method_for(account, time)
        self.methods_used.add(name)
        return POLICIES[name]

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
        if event.usd_value is None and side is not None and side.asset == USD:
            return side.quantity
        return self.usd(event, event.usd_value, str(side) if side else "the event")

    def fee_value(self, event: EventBase) -> Decimal:
        """The fee's ``fee_usd``; a USD fee without one is worth its quantity."""
        fee = event.fee
        if fee is None:
            return ZERO
        if event.fee_usd is None and fee.asset == USD:
            return fee.quantity
        return self.usd(event, event.fee_usd, f"fee {fee}")

    def lot_id(self, event: EventBase) -> str:
        """The id of a lot acquired by ``event``: its ``event_id`` or ``path:line#seq``."""
        return event.event_id or f"{event.source.path}:{event.source.line}#{event.seq}"

    def new_lot(self, event: EventBase, quantity: Decimal, basis: Decimal, *,
                acquired: datetime | None = None, missing_basis: bool = False,
                from_liquidation: bool = False) -> Lot:
        """A fresh lot acquired by ``event`` (serial = creation order)."""
        seq = self.next_seq()
        return Lot(
            serial=seq, seq=seq, lot_id=self.lot_id(event), account=event.account,
            quantity=quantity, basis_usd=basis, acquired=acquired or event.time,
            unit_basis_usd=basis / quantity, sources=(event.source,),
            missing_basis=missing_basis, from_liquidation=from_liquidation,
        )
