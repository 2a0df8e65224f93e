"""Binance.US rows -> events (the rules are in the module doc of importers/binance_us.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from taxmargin.errors import Severity
from taxmargin.importers.base import RowContext
from taxmargin.importers.binance_common import Collector
from taxmargin.models import Amount, Deposit, EventBase, Fee, Income, Trade, Withdrawal

__all__ = ["UsRow", "row_events", "ACCOUNT"]

ACCOUNT = "binance-us"
OPERATIONS: dict[str, frozenset[str]] = {
    "Deposit": frozenset({"USD Deposit", "Crypto Deposit"}),
    "Withdrawal": frozenset({"Crypto Withdrawal", "USD Withdrawal"}),
    "Distribution": frozenset({"Referral Commission", "Referral Rewards", "Staking Rewards", "Others"}),
    "Spot Trading": frozenset({"Buy", "Sell"}),
    **{c: frozenset({"Buy", "Sell", "Convert"}) for c in ("Quick Buy", "Quick Sell", "Buy", "Sell", "Convert")},
}
#: Quote assets whose empty amount may be read from the USD column (§2) [BT-binance_us].
USD_LIKE = ("USD", "USDT", "BUSD")


@dataclass(frozen=True, slots=True)
class UsRow:
    """A row whose cells parsed; ``col`` maps a canonical field to this version's column."""

    ctx: RowContext
    col: Callable[[str], str]
    time: datetime
    category: str
    operation: str
    assets: dict[str, str]
    amounts: dict[str, Decimal | None]

    def amount(self, field: str, *, signed: bool = False) -> Amount | None:
        """The Amount of ``field`` in its asset (absolute value when ``signed``); records an
        error when it is missing, or negative where only ``Distribution`` may be."""
        quantity = self.amounts[field]
        asset = self.assets[f"{field}_asset"]
        if quantity is None or quantity == 0 or not asset:
            missing = field if quantity is None or quantity == 0 else f"{field}_asset"
            self.ctx.fail(self.col(missing), "is required for this category")
            return None
        if quantity < 0 and not signed:
            self.ctx.fail(self.col(field), f"must not be negative for category '{self.category}'")
            return None
        return Amount(abs(quantity), asset)

    def usd(self, field: str) -> Decimal | None:
        value = self.amounts[f"{field}_usd"]
        return None if value is None else abs(value)

    def fee(self) -> tuple[Amount | None, Decimal | None]:
        quantity, asset = self.amounts["fee"], self.assets["fee_asset"]
        if quantity is None or quantity == 0:
            return None, None
        if not asset:
            self.ctx.fail(self.col("fee_asset"), "is required when a fee amount is given")
            return None, None
        return Amount(abs(quantity), asset), self.usd("fee")


def _quote(row: UsRow, out: Collector) -> Amount | None:
    """The quote leg; an empty USD/USDT/BUSD quote amount is read from its USD column (§2)."""
    asset = row.assets["quote_asset"]
    if row.amounts["quote"] is None and asset in USD_LIKE and row.usd("quote"):
        value = row.usd("quote")
        if asset != "USD":
            out.note(Severity.INFO, "assumed-quantity",
                     f"empty {asset} quote amount read from its USD value {value} (1 {asset} = 1 USD)", row.ctx.source)
        return Amount(value, asset) if value else None
    return row.amount("quote")


def _make(cls: type[EventBase], row: UsRow, tx_id: str, *, sent: Amount | None = None,
          received: Amount | None = None, fee: Amount | None = None, fee_usd: Decimal | None = None,
          usd_value: Decimal | None = None) -> EventBase:
    return cls(time=row.time, account=ACCOUNT, source=row.ctx.source,
               event_id=f"binance-us:{tx_id}" if tx_id else "", note=f"{row.category}: {row.operation}",
               sent=sent, received=received, fee=fee, fee_usd=fee_usd, usd_value=usd_value)


def _trade(row: UsRow, out: Collector, tx_id: str) -> EventBase | None:
    """Spot Trading: Base = pair base. Quick Buy/Sell, Buy, Sell, Convert: Base given (§12)."""
    given, got = row.amount("base"), _quote(row, out)
    fee, fee_usd = row.fee()
    if given is None or got is None:
        return None
    sent, received, value = given, got, row.usd("quote")
    if row.category == "Spot Trading" and row.operation == "Buy":
        sent, received, value = got, given, row.usd("base")
    return _make(Trade, row, tx_id, sent=sent, received=received, fee=fee, fee_usd=fee_usd, usd_value=value)


def _event(row: UsRow, out: Collector, tx_id: str) -> EventBase | None:
    if row.category not in ("Deposit", "Withdrawal", "Distribution"):
        return _trade(row, out, tx_id)
    amount = row.amount("primary", signed=row.category == "Distribution")
    fee, fee_usd = row.fee()
    value = row.usd("primary")
    if amount is None:
        return None
    if row.category == "Deposit":
        return _make(Deposit, row, tx_id, received=amount, fee=fee, fee_usd=fee_usd, usd_value=value)
    if row.category == "Withdrawal":
        return _make(Withdrawal, row, tx_id, sent=amount, fee=fee, fee_usd=fee_usd, usd_value=value)
    if (row.amounts["primary"] or 0) < 0:  # a negative distribution (staking service fee)
        return _make(Fee, row, tx_id, sent=amount, usd_value=value)
    return _make(Income, row, tx_id, received=amount, usd_value=value)


def row_events(row: UsRow, tx_id: str, out: Collector) -> None:
    """Record the event of one Binance.US row (or its errors) in ``out``."""
    ops = OPERATIONS.get(row.category)
    if ops is None:
        row.ctx.fail(row.col("category"), "unknown Binance.US category")
    elif row.operation not in ops:
        row.ctx.fail(row.col("operation"), f"unknown operation for category '{row.category}'")
    event = None if row.ctx.errors else _event(row, out, tx_id)
    if event is None or row.ctx.errors:
        out.reject(row.ctx.errors)
    else:
        out.event(event)
