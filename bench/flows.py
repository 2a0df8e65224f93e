"""Derivatives, margin flows and own-account moves of the generator (mixed into History).

Multi-step flows are generators: each resumption emits at most one event, so a flow's
steps interleave with other activity over days or weeks, as real positions do.

- margin long (cross margin, tax-rules.md §4.5): borrow USDT -> buy BTC/ETH -> interest in
  USDT (§4.4: Form 4952 line 1 and a disposal of the USDT) -> sell, or a liquidation
  (§4.2) -> repay;
- short (§4.3): borrow SOL -> sell it (opens a short) -> interest -> buy to cover (or a
  liquidation buying it back) -> repay (delivery: the short's gain or loss is realized);
- perpetuals (§4.7): realized P&L rows (with the position's opening time as ``acquired``)
  and funding received / paid, settled in USDT;
- cold storage: a withdrawal and its deposit one slot later (matched by the transfers
  stage); USDT ``transfer`` rows between binance and bybit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from market import value

__all__ = ["Flows"]

_FUTURES = "USD-M Futures"
_MARGIN = "Cross Margin"


class Flows:
    """Mixin: needs ``rng``, ``market``, ``book``, ``t``, ``emit``, ``topup``, ``start``,
    ``busy``, ``urgent``, ``pairs_ok``, ``sell_for_usdt``, ``buy_with_usdt``."""

    rng: Any
    market: Any
    book: Any
    t: int
    busy: set[str]
    urgent: Iterator[None] | None
    current: Iterator[None] | None
    pairs_ok: bool

    # ---- perpetuals ---------------------------------------------------------------------
    def bn_pnl(self) -> bool:
        return self._pnl("binance")

    def by_pnl(self) -> bool:
        return self._pnl("bybit")

    def bn_funding(self) -> bool:
        return self._funding("binance")

    def by_funding(self) -> bool:
        return self._funding("bybit")

    def _pnl(self, account: str) -> bool:
        amount = self.market.notional(60) // 4
        opened = self.t - self.rng.randrange(60, 14 * 86_400)
        loss = self.rng.random() < 0.48 and self.book.available(account, "USDT") >= amount
        sign = -1 if loss else 1
        legs = [(_FUTURES, "Realized Profit and Loss", "USDT", sign * amount)]
        if loss:
            self.emit(account, "realized_pnl", legs, sent=(amount, "USDT"), usd=amount, acquired=opened)
            self.book.dispose(account, "USDT", amount)
        else:
            self.emit(account, "realized_pnl", legs, received=(amount, "USDT"), usd=amount, acquired=opened)
            self.book.acquire(account, "USDT", amount, amount)
        return True

    def _funding(self, account: str) -> bool:
        amount = self.market.notional(25) // 10
        paid = self.rng.random() < 0.55 and self.book.available(account, "USDT") >= amount
        legs = [(_FUTURES, "Funding Fee", "USDT", -amount if paid else amount)]
        if paid:
            self.emit(account, "funding", legs, sent=(amount, "USDT"), usd=amount)
            self.book.dispose(account, "USDT", amount)
        else:
            self.emit(account, "funding", legs, received=(amount, "USDT"), usd=amount)
            self.book.acquire(account, "USDT", amount, amount)
        return True

    # ---- margin -----------------------------------------------------------------------
    def start_long(self) -> bool:
        return self.start("long", self._long())

    def start_short(self) -> bool:
        return self.start("short", self._short())

    def _interest(self, owed_usd: int) -> Iterator[None]:
        """0-3 interest payments in USDT while the loan is open."""
        for _ in range(self.rng.randrange(4)):
            amount = max(1, owed_usd // 5_000)
            if self.book.available("binance", "USDT") >= amount:
                self.emit("binance", "interest", [(_MARGIN, "Margin Fee", "USDT", -amount)],
                          sent=(amount, "USDT"), usd=amount)
                self.book.dispose("binance", "USDT", amount)
                yield

    def _long(self) -> Iterator[None]:
        self.busy.add("long")
        try:
            asset = self.rng.choice(("BTC", "ETH"))
            loan = self.market.notional(3_000)
            self.emit("binance", "borrow", [(_MARGIN, "Margin Loan", "USDT", loan)],
                      received=(loan, "USDT"), usd=loan)
            self.book.borrow("binance", "USDT", loan)
            yield
            before = self.book.pool("binance", asset).owned
            if not self.buy_with_usdt(_MARGIN, asset, loan):
                return
            yield
            bought = self.book.pool("binance", asset).owned - before
            yield from self._interest(loan)
            held = min(bought, self.book.pool("binance", asset).owned)
            kind = "liquidation" if self.rng.random() < 0.15 else "trade"
            if held > 0 and self.sell_for_usdt(_MARGIN, asset, held, kind):
                yield
            repay = self.book.max_repay("binance", "USDT")
            if repay > 0:
                op = "Cross Margin Liquidation - Repayment" if kind == "liquidation" else "Margin Repayment"
                self.emit("binance", "repay", [(_MARGIN, op, "USDT", -repay)], sent=(repay, "USDT"), usd=repay)
                self.book.repay("binance", "USDT", repay)
        finally:
            self.busy.discard("long")

    def _short(self) -> Iterator[None]:
        self.busy.add("short")
        try:
            price = self.market.price("SOL", self.t)
            units = self.market.quantity_for("SOL", self.market.notional(2_000), price)
            self.emit("binance", "borrow", [(_MARGIN, "Margin Loan", "SOL", units)],
                      received=(units, "SOL"), usd=value(units, price))
            self.book.borrow("binance", "SOL", units)
            yield
            if not self.sell_for_usdt(_MARGIN, "SOL", units, "trade"):  # no SOL owned: a short
                self.emit("binance", "repay", [(_MARGIN, "Margin Repayment", "SOL", -units)],
                          sent=(units, "SOL"), usd=value(units, price))
                self.book.repay("binance", "SOL", units)
                return
            yield
            yield from self._interest(value(units, price))
            yield from self._cover(units)
            price = self.market.price("SOL", self.t)
            kind = "Margin Repayment"
            self.emit("binance", "repay", [(_MARGIN, kind, "SOL", -units)], sent=(units, "SOL"),
                      usd=value(units, price))
            self.book.repay("binance", "SOL", units)
        finally:
            self.busy.discard("short")

    def _cover(self, units: int) -> Iterator[None]:
        """Buy the borrowed SOL back (a fee in USDT on top: sent side, §4.0(4))."""
        cost = value(units, self.market.price("SOL", self.t))
        fee = cost // 1000
        while self.book.available("binance", "USDT") < cost + fee:
            self.topup("binance")
            yield
        kind = "liquidation" if self.rng.random() < 0.1 else "trade"
        self.emit("binance", kind, [(_MARGIN, "Transaction Buy", "SOL", units),
                                    (_MARGIN, "Transaction Spend", "USDT", -cost),
                                    (_MARGIN, "Transaction Fee", "USDT", -fee)],
                  sent=(cost, "USDT"), received=(units, "SOL"), fee=(fee, "USDT"), usd=cost, fee_usd=fee)
        self.book.dispose("binance", "USDT", cost + fee)
        self.book.acquire("binance", "SOL", units, cost)
        yield

    # ---- own moves --------------------------------------------------------------------
    def start_cold(self) -> bool:
        return self.pairs_ok and self.start("cold", self._cold())

    def _cold(self) -> Iterator[None]:
        """coinbase <-> ledger BTC: a withdrawal, then (next slot) the deposit it became."""
        self.busy.add("cold")
        try:
            back = self.book.pool("ledger", "BTC").owned > 0 and self.rng.random() < 0.4
            source, target = ("ledger", "coinbase") if back else ("coinbase", "ledger")
            units = self.market.lot("BTC", self.book.pool(source, "BTC").owned * self.rng.randrange(20, 101) // 100)
            if not self.book.can_move(source, "BTC", units):
                return
            usd = value(units, self.market.price("BTC", self.t))
            self.emit(source, "withdrawal", sent=(units, "BTC"), usd=usd)
            self.book.move(source, target, "BTC", units)
            self.urgent = self.current  # the deposit must follow within 2 days
            yield
            self.emit(target, "deposit", received=(units, "BTC"), usd=usd)
        finally:
            self.busy.discard("cold")

    def usdt_move(self) -> bool:
        """An own transfer of USDT between binance and bybit (basis travels, §5.1)."""
        source, target = ("binance", "bybit") if self.rng.random() < 0.6 else ("bybit", "binance")
        units = self.book.pool(source, "USDT").owned // 2
        if units < 100 * 10**8 or not self.book.can_move(source, "USDT", units):
            return False
        legs = ([("Spot", "Withdraw", "USDT", -units)] if source == "binance"
                else [("Spot", "Deposit", "USDT", units)])
        self.emit(source, "transfer", legs, sent=(units, "USDT"), usd=units, to_account=target)
        self.book.move(source, target, "USDT", units)
        return True
