"""A seeded, realistic two-year (2024-2025) history of a margin trader, one event per slot.

Accounts and what happens in them (``History.ACTIONS`` holds the weights):

- ``coinbase``: BTC / ETH bought and sold for USD, fees in USD; USD paid in; BTC moved to
  and from ``ledger`` (a cold wallet) as withdrawal + deposit pairs (matched by the
  transfers stage);
- ``kraken``: SOL / LINK (the alt) for USD, fees in USD;
- ``binance``: USDT-quoted trades of BTC / ETH / LINK with fees in BNB (a third asset) or
  in the asset received, BNB bought with USDT, Simple Earn interest, USD-M perpetual
  realized P&L and funding, cross-margin longs (borrow USDT, buy, pay interest in USDT,
  sell or get liquidated, repay) and shorts (borrow SOL, sell, pay interest, buy to cover
  or get liquidated, repay);
- ``bybit``: USDT perpetual realized P&L and funding; USDT moved from / to ``binance``.

USDT comes in as deposits with a stated basis (1:1). Every event carries ``usd_value``
(and ``fee_usd_value`` with a fee), so pricing is trivial. Times are whole seconds,
strictly increasing, spread over 2024-01-01 .. 2025-12-31 UTC. The pool model
(:mod:`ledgerstate`) guarantees no disposal exceeds what is owned + borrowed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from ledgerstate import SCALE, Book
from market import SPAN, START, Market, cents, value
from rows import BinanceWriter, GenericWriter, Leg
from flows import Flows

__all__ = ["History"]

FLOW_P = 0.12  # chance per slot to advance an open multi-step flow
TOPUP = 20_000 * SCALE  # USDT paid in when an account runs low
SPOT_FEES = {"coinbase": 60, "kraken": 26}  # basis points, charged in USD


class History(Flows):
    """Generates ``n`` events into ``out`` (and the binance account's rows into ``bn``)."""

    def __init__(self, seed: int, out: GenericWriter, bn: BinanceWriter | None = None) -> None:
        self.rng = random.Random(seed)
        self.market = Market(self.rng)
        self.book = Book()
        self.out = out
        self.bn = bn
        self.t = START
        self.count = 0
        self.flows: list[Iterator[None]] = []
        self.urgent: Iterator[None] | None = None
        self.current: Iterator[None] | None = None
        self.busy: set[str] = set()
        self.pairs_ok = True
        self.actions: list[Callable[[], bool]] = []
        self.weights: list[float] = []
        for name, weight in self.ACTIONS:
            self.actions.append(getattr(self, name))
            self.weights.append(weight)

    ACTIONS: tuple[tuple[str, float], ...] = (
        ("bn_swap", 22), ("bn_bnb", 1), ("bn_pnl", 10), ("bn_funding", 6), ("bn_earn", 2),
        ("start_long", 1.6), ("start_short", 1.3), ("by_pnl", 8), ("by_funding", 5),
        ("cb_spot", 15), ("kr_spot", 8), ("usd_deposit", 0.5), ("start_cold", 0.3),
        ("usdt_move", 0.3),
    )  # fmt: skip

    # ---- the clock -------------------------------------------------------------------
    def run(self, n: int) -> None:
        gap = SPAN // n
        if gap < 1:
            raise ValueError(f"at most {SPAN} events fit in two years of whole seconds")
        self.pairs_ok = gap < 86_400  # a withdrawal's deposit must follow within 2 days
        for i in range(n):
            self.t = START + (i * SPAN) // n + (self.rng.randrange(gap) if gap > 1 else 0)
            self.step()

    def step(self) -> None:
        """Emit exactly one event: an urgent flow step, an open flow's step, or an action."""
        if self.urgent is not None:
            flow, self.urgent = self.urgent, None
            if self.advance(flow):
                return
        if self.flows and self.rng.random() < FLOW_P:
            if self.advance(self.rng.choice(self.flows)):
                return
        while True:
            action = self.rng.choices(self.actions, cum_weights=self._cum())[0]
            if action():
                return

    def _cum(self) -> list[float]:
        cum = getattr(self, "_cum_weights", None)
        if cum is None:
            total, cum = 0.0, []
            for w in self.weights:
                total += w
                cum.append(total)
            self._cum_weights = cum
        return cum

    def advance(self, flow: Iterator[None]) -> bool:
        """Run one step of ``flow``; True when it emitted an event."""
        before = self.count
        self.current = flow
        try:
            next(flow)
        except StopIteration:
            self.flows.remove(flow)
        return self.count > before

    def start(self, key: str, flow: Iterator[None]) -> bool:
        if key in self.busy:
            return False
        self.flows.append(flow)
        return self.advance(flow)

    # ---- emitting ----------------------------------------------------------------------
    def emit(self, account: str, kind: str, legs: list[Leg] | None = None, **cells: object) -> None:
        self.out.event(self.t, account, kind, **cells)  # type: ignore[arg-type]
        if self.bn is not None and legs and (account == "binance" or kind == "transfer"):
            self.bn.legs(self.t, legs)
        self.count += 1

    def topup(self, account: str) -> bool:
        """Pay in USDT with a stated basis (deposit from outside, tax-rules.md §5.1)."""
        self.emit(account, "deposit", [("Spot", "Deposit", "USDT", TOPUP)],
                  received=(TOPUP, "USDT"), usd=TOPUP, basis=TOPUP, acquired=self.t)
        self.book.acquire(account, "USDT", TOPUP, TOPUP)
        return True

    def fee_in_bnb(self, usdt: int) -> tuple[int, int] | None:
        """A 0.075 % fee paid in BNB, if the account has the BNB: (units, USD value)."""
        price = self.market.price("BNB", self.t)
        units = max(1, usdt * 75 // 100_000 * SCALE // price)
        if self.book.available("binance", "BNB") < units:
            return None
        return units, value(units, price)

    # ---- spot for USD ------------------------------------------------------------------
    def cb_spot(self) -> bool:
        return self._spot("coinbase", ("BTC", "ETH"))

    def kr_spot(self) -> bool:
        return self._spot("kraken", ("SOL", "LINK"))

    def _spot(self, account: str, assets: tuple[str, str]) -> bool:
        """A cash purchase (basis = USD + fee) or cash sale (proceeds = USD - fee), §4.0(4)."""
        asset = self.rng.choice(assets)
        price = self.market.price(asset, self.t)
        quantity = self.market.quantity_for(asset, self.market.notional(), price)
        held = self.book.pool(account, asset).owned
        selling = held > 0 and self.rng.random() < 0.45
        if selling:
            quantity = held if self.rng.random() < 0.1 else min(quantity, held)
        usd = cents(value(quantity, price))
        fee = max(1_000_000, cents(usd * SPOT_FEES[account] // 10_000))
        if usd <= fee:
            return False
        if selling:
            self.emit(account, "trade", sent=(quantity, asset), received=(usd, "USD"),
                      fee=(fee, "USD"), usd=usd, fee_usd=fee)
            self.book.dispose(account, asset, quantity)
        else:
            self.emit(account, "trade", sent=(usd, "USD"), received=(quantity, asset),
                      fee=(fee, "USD"), usd=usd, fee_usd=fee)
            self.book.acquire(account, asset, quantity, usd + fee)
        return True

    def usd_deposit(self) -> bool:
        account = self.rng.choice(("coinbase", "kraken"))
        usd = cents(self.market.notional(5_000))
        self.emit(account, "deposit", received=(usd, "USD"), usd=usd)
        return True

    # ---- binance spot ------------------------------------------------------------------
    def bn_swap(self) -> bool:
        asset = self.rng.choice(("BTC", "ETH", "LINK"))
        held = self.book.pool("binance", asset).owned
        if held > 0 and self.rng.random() < 0.47:
            quantity = min(held, self.market.quantity_for(asset, self.market.notional(),
                                                          self.market.price(asset, self.t)))
            return self.sell_for_usdt("Spot", asset, quantity, "trade")
        return self.buy_with_usdt("Spot", asset, self.market.notional())

    def sell_for_usdt(self, wallet: str, asset: str, quantity: int, kind: str) -> bool:
        """Crypto-for-crypto sale (§4.0(4)): a BNB fee is its own disposal (§4.6); a USDT fee
        is withheld from the USDT received."""
        usdt = value(quantity, self.market.price(asset, self.t))
        if usdt <= 1000:
            return False
        bnb = self.fee_in_bnb(usdt) if kind == "trade" and self.rng.random() < 0.7 else None
        fee = (bnb[0], "BNB") if bnb else (usdt // 1000, "USDT")
        fee_usd = bnb[1] if bnb else usdt // 1000
        self.emit("binance", kind, [(wallet, "Transaction Sold", asset, -quantity),
                                    (wallet, "Transaction Revenue", "USDT", usdt),
                                    (wallet, "Transaction Fee", fee[1], -fee[0])],
                  sent=(quantity, asset), received=(usdt, "USDT"), fee=fee, usd=usdt, fee_usd=fee_usd)
        self.book.dispose("binance", asset, quantity)
        if bnb:
            self.book.dispose("binance", "BNB", bnb[0])
            self.book.acquire("binance", "USDT", usdt, usdt)
        else:
            self.book.acquire("binance", "USDT", usdt - fee_usd, usdt - fee_usd)
        return True

    def buy_with_usdt(self, wallet: str, asset: str, usd: int) -> bool:
        """Crypto-for-crypto purchase: basis = FMV received, less a fee withheld in it."""
        price = self.market.price(asset, self.t)
        quantity = self.market.quantity_for(asset, usd, price)
        usdt = value(quantity, price)
        if self.book.available("binance", "USDT") < usdt:
            return self.topup("binance")
        bnb = self.fee_in_bnb(usdt) if asset != "BNB" and self.rng.random() < 0.7 else None
        withheld = 0 if bnb else max(1, quantity // 1000)
        fee = (bnb[0], "BNB") if bnb else (withheld, asset)
        fee_usd = bnb[1] if bnb else value(withheld, price)
        self.emit("binance", "trade", [(wallet, "Transaction Buy", asset, quantity),
                                       (wallet, "Transaction Spend", "USDT", -usdt),
                                       (wallet, "Transaction Fee", fee[1], -fee[0])],
                  sent=(usdt, "USDT"), received=(quantity, asset), fee=fee, usd=usdt, fee_usd=fee_usd)
        self.book.dispose("binance", "USDT", usdt)
        if bnb:
            self.book.dispose("binance", "BNB", bnb[0])
            self.book.acquire("binance", asset, quantity, usdt)
        else:
            self.book.acquire("binance", asset, quantity - withheld, usdt - fee_usd)
        return True

    def bn_bnb(self) -> bool:
        return self.buy_with_usdt("Spot", "BNB", self.market.notional(150))

    def bn_earn(self) -> bool:
        amount = self.market.notional(40) // 10
        self.emit("binance", "income", [("Earn", "Simple Earn Flexible Interest", "USDT", amount)],
                  received=(amount, "USDT"), usd=amount)
        self.book.acquire("binance", "USDT", amount, amount)
        return True
