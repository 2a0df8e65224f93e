"""The generator's own model of every pool: what the engine must end up with.

Quantities and USD amounts are integers scaled by :data:`SCALE` (1e-8), so the model is
exact and fast. The rules mirror the lot engine's (``taxmargin/engine``; tax-rules.md
§4.0, §4.3, §4.5): a disposal takes owned units first, then borrowed units still in the
account (that opens a short); a repayment gives back unspent borrowed units first and then
delivers owned units against open shorts. The generator only emits events the model says
are covered, so a generated history never has a missing basis or a negative balance.

Per pool it also counts what the engine's output must conserve (checked by
``tests/test_bench_generator.py``): units and basis put into lots, units taken out of lots
by disposals (or deliveries), units moved between own accounts, and the units still open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["SCALE", "FIAT", "Pool", "Book", "dec"]

SCALE = 10**8
#: Cash assets the generator uses (no lots, never a negative balance: taxmargin.models.FIAT).
FIAT = frozenset({"USD"})


def dec(value: int) -> Decimal:
    """An integer amount in 1e-8 units as an exact Decimal."""
    return Decimal(value).scaleb(-8)


@dataclass(slots=True)
class Pool:
    """One (account, asset) pool as the engine will see it."""

    owned: int = 0  # units in open lots
    unspent: int = 0  # borrowed units still in the account
    liability: int = 0  # borrowed units owed
    short: int = 0  # borrowed units sold and not yet delivered
    acquired: int = 0  # units put into lots here (acquisitions, not moves)
    acquired_basis: int = 0  # their basis, USD * 1e8
    disposed: int = 0  # units taken out of lots by disposals and short deliveries
    moved_in: int = 0
    moved_out: int = 0


@dataclass(slots=True)
class Book:
    """All pools; every mutation asserts the engine will not report a problem."""

    pools: dict[tuple[str, str], Pool] = field(default_factory=dict)

    def pool(self, account: str, asset: str) -> Pool:
        key = (account, asset)
        found = self.pools.get(key)
        if found is None:
            found = self.pools[key] = Pool()
        return found

    def available(self, account: str, asset: str) -> int:
        """Units a disposal may take without a missing basis (owned + unspent borrowed)."""
        if asset in FIAT:
            return 1 << 62
        p = self.pool(account, asset)
        return p.owned + p.unspent

    def acquire(self, account: str, asset: str, quantity: int, basis: int) -> None:
        if asset in FIAT or quantity <= 0:
            return
        p = self.pool(account, asset)
        p.owned += quantity
        p.acquired += quantity
        p.acquired_basis += basis

    def dispose(self, account: str, asset: str, quantity: int) -> None:
        """Owned lots first; the rest sells borrowed units short (tax-rules.md §4.3)."""
        if asset in FIAT or quantity <= 0:
            return
        p = self.pool(account, asset)
        take = min(quantity, p.owned)
        p.owned -= take
        p.disposed += take
        rest = quantity - take
        if rest > p.unspent:
            raise AssertionError(f"generator bug: {account}/{asset} disposes {rest} not held")
        p.unspent -= rest
        p.short += rest

    def borrow(self, account: str, asset: str, quantity: int) -> None:
        p = self.pool(account, asset)
        p.liability += quantity
        if asset not in FIAT:
            p.unspent += quantity

    def max_repay(self, account: str, asset: str) -> int:
        """The most that can be repaid now without a ``repay-untracked`` or missing basis."""
        p = self.pool(account, asset)
        if asset in FIAT:
            return p.liability
        return min(p.liability, p.unspent + min(p.short, p.owned))

    def repay(self, account: str, asset: str, quantity: int) -> None:
        """Unspent borrowed units go back first; the rest is delivered against shorts."""
        p = self.pool(account, asset)
        if quantity > self.max_repay(account, asset):
            raise AssertionError(f"generator bug: {account}/{asset} repays {quantity} it cannot")
        p.liability -= quantity
        if asset in FIAT:
            return
        back = min(quantity, p.unspent)
        p.unspent -= back
        deliver = quantity - back
        p.short -= deliver
        p.owned -= deliver
        p.disposed += deliver

    def can_move(self, account: str, asset: str, quantity: int) -> bool:
        """A move out of ``account`` uses owned lots only and never taints a loan (§3.2)."""
        p = self.pool(account, asset)
        return 0 < quantity <= p.owned and p.liability == 0

    def move(self, source: str, target: str, asset: str, quantity: int) -> None:
        if not self.can_move(source, asset, quantity):
            raise AssertionError(f"generator bug: cannot move {quantity} {asset} from {source}")
        a, b = self.pool(source, asset), self.pool(target, asset)
        a.owned -= quantity
        a.moved_out += quantity
        b.owned += quantity
        b.moved_in += quantity
