"""Deterministic market for the generator: prices, sizes and the event clock.

Prices follow a seeded geometric random walk per asset, advanced only when the asset is
used (sigma scaled by the square root of the time since its last update), so the cost is
one Gaussian per priced event whatever the number of events. Prices are integers in
1e-8 USD per unit, rounded to the asset's tick; quantities to its lot size.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ledgerstate import SCALE

__all__ = ["START", "END", "SPAN", "YEAR", "Market", "value", "cents", "ASSETS"]

START = 1_704_067_200  # 2024-01-01T00:00:00Z
END = 1_767_225_600  # 2026-01-01T00:00:00Z (exclusive)
SPAN = END - START
YEAR = 365.25 * 86400


@dataclass(frozen=True, slots=True)
class Spec:
    start_usd: float
    tick_decimals: int  # price tick
    lot_decimals: int  # quantity step


ASSETS: dict[str, Spec] = {
    "BTC": Spec(42_000.0, 2, 5),
    "ETH": Spec(2_300.0, 2, 4),
    "SOL": Spec(100.0, 2, 2),
    "LINK": Spec(15.0, 3, 2),
    "BNB": Spec(310.0, 2, 3),
}
_DRIFT = 0.30  # per year
_VOL = 0.60  # per square-root year


def value(quantity: int, price: int) -> int:
    """USD value (1e-8 units) of ``quantity`` units at ``price`` (floor)."""
    return quantity * price // SCALE


def cents(amount: int) -> int:
    """Round a 1e-8 USD amount half-up to whole cents (still in 1e-8 units)."""
    return (amount + 500_000) // 1_000_000 * 1_000_000


class Market:
    """Prices and order sizes; all randomness comes from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._log = {name: math.log(spec.start_usd) for name, spec in ASSETS.items()}
        self._last = {name: START for name in ASSETS}

    def price(self, asset: str, ts: int) -> int:
        """The asset's price at ``ts`` (1e-8 USD per unit, on its tick). USDT is $1."""
        if asset in ("USDT", "USD"):
            return SCALE
        dt = max(ts - self._last[asset], 0) / YEAR
        if dt > 0:
            step = (_DRIFT - _VOL * _VOL / 2) * dt + _VOL * math.sqrt(dt) * self.rng.gauss(0.0, 1.0)
            self._log[asset] += step
            self._last[asset] = ts
        tick = 10 ** (8 - ASSETS[asset].tick_decimals)
        return max(tick, round(math.exp(self._log[asset]) * SCALE / tick) * tick)

    def lot(self, asset: str, quantity: int) -> int:
        """``quantity`` rounded down to the asset's lot size (at least one lot)."""
        step = 10 ** (8 - ASSETS[asset].lot_decimals) if asset in ASSETS else 1
        return max(step, quantity // step * step)

    def notional(self, median_usd: float = 800.0) -> int:
        """An order size in USD (1e-8 units): lognormal, between $20 and $50,000."""
        usd = min(max(self.rng.lognormvariate(math.log(median_usd), 1.0), 20.0), 50_000.0)
        return int(usd * 100) * 1_000_000

    def quantity_for(self, asset: str, usd: int, price: int) -> int:
        return self.lot(asset, usd * SCALE // price)
