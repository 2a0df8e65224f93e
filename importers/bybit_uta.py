"""Bybit Unified Trading Account (UTA) transaction log — three header versions.

Layouts (exchange-formats.md §5):

* ``bybit-uta`` — "AssetChangeDetails_uta_<uid>_…csv" (2024-2026): preamble line
  ``UID: <uid>,Company Name: ,Country: `` (the UID never enters an event), then
  ``Uid,Currency,Contract,Type,Direction,Quantity,Position,Filled Price,Funding,Fee Paid,
  Cash Flow,Change,Wallet Balance,Action,Time(UTC)``. Sources: real export in
  everytrade-io/everytrade-plugins ``parser-files/bybiteu_uta_v001.csv`` [ET-files]; public
  test code [pub-bybit-tests]; a public test suite with fixtures in the real layout (small
  balance conversions of type ``--``, inverse perpetuals settled in ETH); Bybit API
  "Get Transaction Log" type list (TRANSFER_IN, TRANSFER_OUT, TRADE, SETTLEMENT, DELIVERY,
  LIQUIDATION, BONUS, FEE_REFUND, INTEREST, CURRENCY_BUY, CURRENCY_SELL —
  bybit-exchange.github.io/docs/v5/account/transaction-log).
* ``bybit-uta-ids`` — ``Currency,…,Action,OrderId,TradeId,Time`` with milliseconds, no zone
  in the header (tests only [pub-bybit-tests]): UTC assumed, ``assumed-timezone``.
* ``bybit-contract-log`` — older ``Time,Currency,Contract,Type,…,Wallet Balance,Fee Rate,
  Trade ID,Order ID`` with lower-case types (``trade``, ``funding``, ``liquidation``,
  ``deposit``, ``withdraw``, ``transferIn``, ``transferOut``) [BT-bybit]; UTC assumed.

Time zone: ``Time(UTC)`` is UTC; the others state none (UTC assumed, diagnostic).

Columns: ``Change`` = ``Cash Flow`` + ``Funding`` + ``Fee Paid`` (checked per row);
``Fee Paid`` < 0 is a fee paid, > 0 a rebate (P17); ``--`` = no value; ``Wallet Balance``
is the coin's balance after the row (negative = borrowed in spot margin).

Pitfalls handled: P2 (preamble found by content), P8 (20-decimal numbers, exact Decimal),
P11 (newest first: rows sorted oldest first, line as tie-break), P12 (identical rows are
kept), P13 (a spot fill is two rows: grouped by second, contract, direction and price;
fee on the received leg). Liquidation: the constructed sample's ``LIQUIDATION`` type, also in
the API list. Transfers (``TRANSFER_IN/OUT``) move units between own Bybit accounts: one
pool (tax-rules.md §5.1, U6) -> non-taxable rows. Unknown types are rejected (fail loudly).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC
from typing import ClassVar

from taxmargin.importers.base import (
    BalanceCheckpoint,
    BalanceRow,
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    RowContext,
    balance_checkpoints,
)
from taxmargin.importers.bybit_shared import (
    NO_VALUE,
    Collector,
    layouts,
    number,
    read_rows,
    row_time,
    where,
)
from taxmargin.importers.bybit_uta_events import (
    ACCOUNT,
    UtaRow,
    conversion,
    debt_changes,
    derivative,
    single,
    spot_fill,
)

from taxmargin.models import (
    Amount,
    Deposit,
    EventBase,
    Income,
    Interest,
    SourceRef,
    Withdrawal,
)
from taxmargin.money import ZERO

__all__ = ["LAYOUTS", "BybitContractLog", "BybitUta", "BybitUtaIds"]

_COMMON = ("Currency", "Contract", "Type", "Direction", "Quantity", "Position", "Filled Price",
           "Funding", "Fee Paid", "Cash Flow", "Change", "Wallet Balance")

#: Old lower-case type names -> current names.
_ALIASES = {"TRANSFERIN": "TRANSFER_IN", "TRANSFEROUT": "TRANSFER_OUT", "FUNDING": "SETTLEMENT",
            "EXCHANGEIN": "CURRENCY_BUY", "EXCHANGEOUT": "CURRENCY_SELL", "WITHDRAWAL": "WITHDRAW"}
_TRADES = frozenset({"TRADE", "LIQUIDATION"})
_DERIVATIVE_ONLY = frozenset({"SETTLEMENT", "DELIVERY"})
_CONVERSIONS = frozenset({"--", "CURRENCY_BUY", "CURRENCY_SELL"})
_SINGLES = frozenset({"TRANSFER_IN", "TRANSFER_OUT", "INTEREST", "BONUS", "AIRDROP", "FEE_REFUND",
                      "DEPOSIT", "WITHDRAW"})


class _UtaLog(CsvLayout):
    """Shared reading of the three versions; subclasses name their columns."""

    time_column: ClassVar[str] = "Time(UTC)"
    trade_id_column: ClassVar[str] = ""
    action_column: ClassVar[str] = ""
    zone_stated: ClassVar[bool] = True

    def parse(self, file: FileText) -> ImportResult:
        col = Collector(self.name)
        if not self.zone_stated:
            col.warn("assumed-timezone", f"column '{self.time_column}' states no zone: UTC assumed",
                     SourceRef(file.name, (self.find_header(file) or 0) + 1))
        rows: list[UtaRow] = []
        for ctx in read_rows(self, file, col):
            row = self._row(ctx)
            if row is None:
                col.reject(ctx.errors)
            else:
                rows.append(row)
        rows.sort(key=lambda r: (r.time, r.source))
        _book(col, rows)
        result = col.result()
        return replace(result, balances=_checkpoints(rows, result))

    def _row(self, ctx: RowContext) -> UtaRow | None:
        time = row_time(ctx, self.time_column, UTC)
        currency = ctx.get("Currency").upper()
        if not currency:
            ctx.fail("Currency", "is required")
        kind = ctx.get("Type").upper().replace(" ", "_")
        kind = _ALIASES.get(kind, kind)
        if kind not in _TRADES | _DERIVATIVE_ONLY | _CONVERSIONS | _SINGLES:
            ctx.fail("Type", "unknown transaction type")
        funding, fee = number(ctx, "Funding", required=False), number(ctx, "Fee Paid", required=False)
        cash, change = number(ctx, "Cash Flow", required=False), number(ctx, "Change")
        raw_balance = ctx.get("Wallet Balance")
        balance = None if raw_balance in NO_VALUE else number(ctx, "Wallet Balance")
        if time is None or None in (funding, fee, cash, change) or ctx.errors:
            return None
        assert funding is not None and fee is not None and cash is not None and change is not None
        if cash + funding + fee != change:
            ctx.fail("Change", "is not Cash Flow + Funding + Fee Paid")
            return None
        trade_id = ctx.get(self.trade_id_column) if self.trade_id_column else ""
        return UtaRow(
            source=ctx.source, time=time, currency=currency, contract=ctx.get("Contract"), kind=kind,
            direction=ctx.get("Direction"), action=ctx.get(self.action_column).upper() if self.action_column else "",
            price=ctx.get("Filled Price"), funding=funding, fee_paid=fee, cash_flow=cash, change=change,
            balance=balance, trade_id="" if trade_id in NO_VALUE or trade_id == "0" else trade_id,
        )


def _is_derivative(row: UtaRow) -> bool:
    if row.kind in _DERIVATIVE_ONLY:
        return True
    if row.action in ("OPEN", "CLOSE", "SETTLEMENT"):
        return True
    return row.direction.lower().startswith(("open", "close"))


def _single_event(row: UtaRow) -> EventBase | None | str:
    """The event of a one-row type; None = internal transfer; str = what is wrong."""
    base = where(row.time, ACCOUNT, row.source)
    qty, kind = abs(row.change), row.kind
    if kind in ("TRANSFER_IN", "TRANSFER_OUT"):
        return None
    if kind == "INTEREST":
        return Interest(**base, sent=Amount(qty, row.currency), note="spot margin interest") if row.change < 0 \
            else "interest row that credits the account"
    if kind in ("BONUS", "AIRDROP", "FEE_REFUND", "DEPOSIT"):
        if row.change <= 0:
            return f"{kind} row that does not credit the account"
        cls = Deposit if kind == "DEPOSIT" else Income
        return cls(**base, received=Amount(qty, row.currency), note=kind.lower().replace("_", " "))
    if row.change >= 0:
        return "withdrawal row that does not debit the account"
    return Withdrawal(**base, sent=Amount(qty, row.currency))


def _book(col: Collector, rows: list[UtaRow]) -> None:
    """Route every row to its builder (rows are oldest first)."""
    debt = debt_changes(rows)
    fills: dict[tuple[object, ...], list[UtaRow]] = defaultdict(list)
    conversions: dict[object, list[UtaRow]] = defaultdict(list)
    for row in rows:
        if row.kind in _TRADES | _DERIVATIVE_ONLY and _is_derivative(row):
            derivative(col, row, debt)
        elif row.kind in _TRADES:
            key = (row.time, row.contract, row.direction, row.price, row.kind, row.trade_id)
            fills[key].append(row)
        elif row.kind in _CONVERSIONS:
            conversions[(row.time, row.kind == "--")].append(row)
        else:
            event = _single_event(row)
            if isinstance(event, str):
                col.fail([row.source], "Type", row.kind, event)
            else:
                single(col, row, debt, event)
    for group in fills.values():
        spot_fill(col, group, debt)
    for group in conversions.values():
        conversion(col, group, debt)


def _checkpoints(rows: list[UtaRow], result: ImportResult) -> tuple[BalanceCheckpoint, ...]:
    """``Wallet Balance`` as checkpoints of account ``bybit`` (issue 7). A negative wallet
    balance is a liability (the implied ``Borrow`` events, ``bybit_uta_events``): units
    held = max(balance, 0). Transfers between own Bybit accounts and Earn moves are rows
    without events (``skipped``)."""
    skipped = {row.source for row in result.non_taxable}
    stated = [
        BalanceRow(source=row.source, time=row.time, account=ACCOUNT, asset=row.currency, stream="",
                   before=max(row.balance - row.change, ZERO), after=max(row.balance, ZERO),
                   skipped=row.source in skipped)
        for row in rows
        if row.balance is not None
    ]
    return balance_checkpoints(stated)


class BybitUta(_UtaLog):
    name = "bybit-uta"
    description = "Bybit Unified Trading Account transaction log (UID preamble, Time(UTC))"
    columns = ("Uid", *_COMMON, "Action", "Time(UTC)")
    action_column = "Action"


class BybitUtaIds(_UtaLog):
    name = "bybit-uta-ids"
    description = "Bybit UTA transaction log with OrderId/TradeId and millisecond Time"
    columns = (*_COMMON, "Action", "OrderId", "TradeId", "Time")
    time_column = "Time"
    trade_id_column = "TradeId"
    action_column = "Action"
    zone_stated = False


class BybitContractLog(_UtaLog):
    name = "bybit-contract-log"
    description = "Bybit contract/UTA log, older version (Fee Rate, Trade ID, Order ID)"
    columns = ("Time", *_COMMON, "Fee Rate", "Trade ID", "Order ID")
    time_column = "Time"
    trade_id_column = "Trade ID"
    zone_stated = False


LAYOUTS: tuple[Layout, ...] = layouts(BybitUta(), BybitUtaIds(), BybitContractLog())
