"""Spot-only history for the rp2 comparison: one account, ETH and SOL bought and sold for USD.

Built so that rp2 and taxmargin must agree to the cent, whatever the lot method:

- **No holding near one year.** rp2 calls a gain long-term at >= 365 days, taxmargin after
  the calendar anniversary (tax-rules.md §6); they differ only between 364 and 367 days.
  Trading happens in two bursts, 2024-01-01 .. 2024-10-17 (days 0-289) and 2025-11-22 ..
  2025-12-31 (days 691-730): any lot is sold less than 290 or more than 401 days after it
  was bought, under FIFO, LIFO or HIFO alike.
- **Fees that cannot reorder HIFO.** rp2 ranks lots by spot price without fees, taxmargin
  by basis per unit including fees. Every fee is exactly 0.1 % of the trade's USD amount,
  so basis per unit = 1.001 x price and both orders are the same; buy prices are unique
  per asset (no ties to break differently).
- **Sale fees as rp2 can state them.** rp2 takes the amount realized as
  ``crypto_out_no_fee x spot_price`` and has no USD fee on a sale, so its sale rows carry the
  net price (0.999 x price) and taxmargin's the gross USD with a USD fee: both realize
  ``quantity x price x 0.999`` exactly (taxmargin: cash sale, proceeds = USD - fee, §4.0(4)).
- **Numbers rp2 reads exactly.** rp2 reads cells as floats and re-parses them with 11
  decimals; quantities (4 dp), prices (4 dp), net prices (7 dp) and fees (11 dp, < $10)
  survive that round trip, which :func:`check_float_exact` asserts for every number.
- **Long-term lots exist.** During the first burst a sale never takes the last 30 % of
  the units bought in that burst, so lots bought in 2024 are still there to be sold
  long-term in 2025 (FIFO takes them first, LIFO last).
- One account (``coinbase``), so the 2025 per-account rule changes nothing; strictly
  increasing times.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["SpotTrade", "spot_history", "check_float_exact", "BURSTS"]

DAY = 86_400
START = 1_704_067_200  # 2024-01-01T00:00:00Z
#: (first second, end second exclusive) of the two trading bursts
BURSTS = ((START, START + 290 * DAY), (START + 691 * DAY, START + 731 * DAY))
FEE_RATE = Decimal("0.001")
TICK = Decimal("0.0001")
LOT = Decimal("0.0001")
ASSETS = {"ETH": 2_300.0, "SOL": 100.0}


@dataclass(frozen=True, slots=True)
class SpotTrade:
    ts: int
    buy: bool
    asset: str
    quantity: Decimal  # 4 decimals
    price: Decimal  # USD per unit, 4 decimals (unique among an asset's buys)

    @property
    def usd(self) -> Decimal:
        return self.quantity * self.price

    @property
    def fee(self) -> Decimal:
        return self.usd * FEE_RATE

    @property
    def net_price(self) -> Decimal:
        return self.price * (1 - FEE_RATE)


def check_float_exact(value: Decimal) -> None:
    """rp2 reads a number cell as a float and re-parses it as ``f"{x:.11f}"``."""
    if Decimal(f"{float(value):.11f}") != value:
        raise ValueError(f"{value} does not survive rp2's float reading")


def _times(trades: int, rng: random.Random) -> list[int]:
    first = int(trades * 0.7)
    out: list[int] = []
    for (lo, hi), count in zip(BURSTS, (first, trades - first)):
        if count == 0:
            continue
        gap = (hi - lo) // count
        out.extend(lo + i * gap + rng.randrange(max(gap, 1)) for i in range(count))
    return out


def spot_history(trades: int, seed: int) -> list[SpotTrade]:
    """``trades`` buys and sells (never more than held), deterministic for ``seed``."""
    rng = random.Random(seed)
    log_price = {a: math.log(p) for a, p in ASSETS.items()}
    held = {a: Decimal(0) for a in ASSETS}
    core = {a: Decimal(0) for a in ASSETS}  # units kept through the first burst
    used: dict[str, set[Decimal]] = {a: set() for a in ASSETS}
    out: list[SpotTrade] = []
    last = START
    for ts in _times(trades, rng):
        asset = rng.choice(("ETH", "SOL"))
        step = 0.6 * math.sqrt(min(ts - last, 30 * DAY) / (365 * DAY)) * rng.gauss(0, 1)
        low, high = math.log(ASSETS[asset] / 2), math.log(ASSETS[asset] * 2)
        moved = log_price[asset] + step  # reflected into [start / 2, 2 x start]
        log_price[asset] = min(max(moved, 2 * low - moved), 2 * high - moved)
        last = ts
        price = Decimal(round(math.exp(log_price[asset]), 4)).quantize(TICK)
        usd = min(max(rng.lognormvariate(math.log(600), 0.9), 30.0), 9_000.0)
        quantity = (Decimal(usd) / price).quantize(LOT)
        first_burst = ts < BURSTS[0][1]
        free = held[asset] - (core[asset] if first_burst else 0)
        buy = free < LOT or rng.random() < 0.52
        if not buy:
            quantity = min(quantity, free)
        else:
            while price in used[asset]:
                price += TICK
            used[asset].add(price)
            if first_burst:
                core[asset] += (quantity * Decimal("0.3")).quantize(LOT)
        trade = SpotTrade(ts, buy, asset, quantity, price)
        for number in (trade.quantity, trade.price, trade.fee, trade.net_price):
            check_float_exact(number)
        held[asset] += quantity if buy else -quantity
        out.append(trade)
    return out
