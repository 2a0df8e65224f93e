"""Coinbase Pro / Exchange account statement (three header variants).

``type`` vocabulary [BT-coinbasepro] [ROTKI]: ``match`` (one per leg of a fill), ``fee``
(the fill's fee), ``deposit``, ``withdrawal`` (moves from/to Coinbase retail or outside:
Deposit/Withdrawal, paired later by the transfer-matching stage), ``conversion`` (USD↔USDC,
two rows of one order), ``rebate`` (fee rebate, taken as income). One trade = the two
``match`` rows and the ``fee`` row sharing ``trade id`` and ``order id`` (P13); the trade's
``event_id`` equals the fills report's (:func:`~taxmargin.importers.coinbase_pro.pro_trade_id`).
Times are ISO 8601 ``Z`` (UTC).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from taxmargin.errors import RowError
from taxmargin.importers.base import CsvLayout, FileText, ImportResult, RowContext
from taxmargin.importers.coinbase_common import ResultBuilder, fail_rows
from taxmargin.importers.coinbase_pro import ACCOUNT, pro_trade_id
from taxmargin.models import USD, Amount, Deposit, Fee, Income, SourceRef, Trade, Withdrawal

__all__ = ["CoinbaseProAccount", "CoinbaseProAccountV1", "CoinbaseProAccountTitle"]

KINDS = frozenset({"match", "fee", "deposit", "withdrawal", "conversion", "rebate"})


@dataclass(frozen=True, slots=True)
class _Row:
    source: SourceRef
    kind: str
    time: datetime
    amount: Decimal  # signed
    unit: str
    transfer_id: str
    trade_id: str
    order_id: str


class CoinbaseProAccount(CsvLayout):
    """Account statement with ``portfolio`` (2020+)."""

    name = "coinbase-pro-account"
    description = "Coinbase Pro / Exchange account statement"
    #: canonical key -> column
    mapping: ClassVar[dict[str, str]] = {
        "type": "type", "time": "time", "amount": "amount", "balance": "balance",
        "unit": "amount/balance unit", "transfer": "transfer id", "trade": "trade id", "order": "order id",
    }
    columns: ClassVar[tuple[str, ...]] = ("portfolio", *mapping.values())
    strict_columns = True

    def parse(self, file: FileText) -> ImportResult:
        builder = ResultBuilder(self.name)
        rows: list[_Row] = []
        for item in self.rows(file):
            builder.rows_read += 1
            if not isinstance(item, RowContext):
                builder.reject([item])
                continue
            row = self._read(item)
            if row is None:
                builder.reject(item.errors)
            else:
                rows.append(row)
        _build(rows, builder, self.mapping)
        return builder.result()

    def _read(self, ctx: RowContext) -> _Row | None:
        col = self.mapping
        kind = ctx.get(col["type"]).lower()
        if kind not in KINDS:
            ctx.fail(col["type"], "unknown statement type")
        time = ctx.time(col["time"])
        amount = ctx.decimal(col["amount"], signed=True)
        ctx.decimal(col["balance"], signed=True, required=False)
        unit = ctx.get(col["unit"]).upper()
        if not unit.isalnum():
            ctx.fail(col["unit"], "is not an asset code")
        if amount == 0:
            ctx.fail(col["amount"], "must not be zero")
        if kind in ("match", "conversion") and not ctx.get(col["trade"]) and not ctx.get(col["order"]):
            ctx.fail(col["trade"], f"a {kind} row needs a trade id or order id")
        if ctx.errors or time is None or amount is None:
            return None
        return _Row(ctx.source, kind, time, amount, unit, ctx.get(col["transfer"]),
                    ctx.get(col["trade"]), ctx.get(col["order"]))


class CoinbaseProAccountV1(CoinbaseProAccount):
    name = "coinbase-pro-account-v1"
    description = "Coinbase Pro account statement (without portfolio column)"
    columns = tuple(CoinbaseProAccount.mapping.values())


class CoinbaseProAccountTitle(CoinbaseProAccount):
    name = "coinbase-pro-account-title"
    description = "Coinbase Pro account statement, Title-Case header (Timestamp column)"
    mapping = {
        "type": "Type", "time": "Timestamp", "amount": "Amount", "balance": "Balance",
        "unit": "Amount/balance unit", "transfer": "Transfer id", "trade": "Trade id", "order": "Order id",
    }
    columns = ("Portfolio", *mapping.values())


def _build(rows: list[_Row], builder: ResultBuilder, col: dict[str, str]) -> None:
    groups: dict[tuple[str, str, str], list[_Row]] = defaultdict(list)
    for row in rows:
        if row.kind in ("match", "fee") and row.trade_id:
            groups[("trade", row.trade_id, row.order_id)].append(row)
        elif row.kind == "conversion":
            groups[("conversion", row.order_id or row.trade_id, "")].append(row)
        else:
            _single(row, builder)
    for (kind, _, _), group in groups.items():
        _trade(group, builder, col, conversion=kind == "conversion")


def _single(row: _Row, builder: ResultBuilder) -> None:
    units = Amount(abs(row.amount), row.unit)
    usd = units.quantity if row.unit == USD else None
    at, src = row.time, row.source
    if row.kind == "deposit" and row.amount > 0:
        builder.add(Deposit(time=at, account=ACCOUNT, source=src, event_id=row.transfer_id, received=units,
                            usd_value=usd, note="Coinbase Pro deposit"))
    elif row.kind == "withdrawal" and row.amount < 0:
        builder.add(Withdrawal(time=at, account=ACCOUNT, source=src, event_id=row.transfer_id, sent=units,
                               usd_value=usd, note="Coinbase Pro withdrawal"))
    elif row.kind == "fee" and row.amount < 0:
        builder.add(Fee(time=at, account=ACCOUNT, source=src, sent=units, usd_value=usd, note="Coinbase Pro fee"))
    elif row.kind == "rebate" and row.amount > 0:
        builder.add(Income(time=at, account=ACCOUNT, source=src, received=units, usd_value=usd,
                           note="Coinbase Pro fee rebate"))
    else:
        builder.reject([RowError(row.source, "amount", str(row.amount), f"wrong sign for a '{row.kind}' row")])


def _trade(group: list[_Row], builder: ResultBuilder, col: dict[str, str], *, conversion: bool) -> None:
    """Two opposite legs (+ fee rows) -> one Trade; anything else rejects the group."""
    legs = [r for r in group if r.kind != "fee"]
    fees = [r for r in group if r.kind == "fee"]
    sent = [r for r in legs if r.amount < 0]
    received = [r for r in legs if r.amount > 0]
    fee_units = {r.unit for r in fees}
    sources = [r.source for r in group]
    if len(sent) != 1 or len(received) != 1:
        builder.reject(fail_rows(sources, col["trade"], group[0].trade_id, "trade leg without its counter-leg"))
        return
    if len(fee_units) > 1 or any(r.amount > 0 for r in fees):
        builder.reject(fail_rows(sources, col["amount"], "", "fee rows of one trade in several assets or positive"))
        return
    out, inn = sent[0], received[0]
    fee = Amount(sum((-r.amount for r in fees), Decimal(0)), fees[0].unit) if fees else None
    usd = inn.amount if inn.unit == USD else -out.amount if out.unit == USD else None
    builder.add(Trade(
        time=min(r.time for r in group), account=ACCOUNT, source=min(sources),
        event_id="" if conversion else pro_trade_id((out.unit, inn.unit), out.trade_id),
        sent=Amount(-out.amount, out.unit), received=Amount(inn.amount, inn.unit), fee=fee,
        usd_value=usd, fee_usd=fee.quantity if fee and fee.asset == USD else None,
        note="conversion" if conversion else "fill",
    ), rows=len(group))
