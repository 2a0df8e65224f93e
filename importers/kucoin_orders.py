"""KuCoin spot and margin order history (filled orders / trade history), old and new layouts.

Layouts (exchange-formats.md §6, P10, P16):

* ``kucoin-trades-rotki`` — ``tradeCreatedAt,symbol,side,price,size,funds,fee,feeCurrency``
  (rotki's fixture ``kucoin_order_history.csv`` and importer [ROTKI]; no trailing newline).
* ``kucoin-trades-v3`` — ``tradeCreatedAt,orderId,symbol,side,price,size,funds,fee,liquidity,
  feeCurrency,orderType`` (+ a trailing empty column) [BT-kucoin].
* ``kucoin-orders-v5`` / ``kucoin-orders-v5-notax`` — the "Spot Orders_Filled Orders" bundle
  member: ``UID,Account Type,Order ID,Order Time(UTC…),Symbol,Side,Order Type,Order Price,
  Order Amount,Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume (USDT),Filled
  Time(UTC…),Fee,Fee Currency,Tax,Status`` (optional ``Account Mode``), and the same without
  ``Tax`` [BT-kucoin]. One row per order: ``Order ID`` is the event id.
* ``kucoin-fills-v5`` / ``kucoin-fills-v5-bare`` — ``UID,Account Type,Order ID,Symbol,Side,
  Order Type,Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume (USDT),Filled
  Time(UTC…),Fee,Tax,Maker/Taker,Fee Currency``, and the same with a bare ``Filled Time``
  [BT-kucoin]. Rows may be fills of one order: no event id.

Margin orders: KuCoin's margin fills export was not found in any source (§13: "margin
order fills: name and header unknown"); rows whose ``Account Type`` names a margin account
are read like spot rows (same pool, tax-rules.md §5.1, U6) and noted.

Time zone: the offset written in the header is honoured (``Filled Time(UTC+02:00)``,
P10). Headers with no zone (``tradeCreatedAt``, bare ``Filled Time``) use BittyTax's
default for KuCoin, Asia/Singapore (UTC+8, no daylight saving), with an
``assumed-timezone`` diagnostic.

Semantics: ``size``/``Filled Amount`` is the base quantity, ``funds``/``Filled Volume`` the
quote quantity before the fee, which is charged in ``feeCurrency`` on top (the account
ledger shows a 900 EUR buy debiting 900.9 with fee 0.9 [JAL]). A buy sends the quote and
receives the base. A non-zero ``Tax`` (asset not stated) is rejected; an unfilled order is
non-taxable. Placeholder rows ``No matching records found.`` (P16) are non-taxable.
"""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from decimal import Decimal
from typing import ClassVar

from taxmargin.importers.base import (
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    RowContext,
)
from taxmargin.importers.bybit_shared import (
    Collector,
    OffsetHeaderLayout,
    layouts,
    number,
    read_rows,
    row_time,
)

from taxmargin.models import Amount, SourceRef, Trade

__all__ = ["LAYOUTS", "SINGAPORE", "is_placeholder"]

ACCOUNT = "kucoin"
#: BittyTax's default zone for KuCoin files without one (``tz="Asia/Singapore"``).
SINGAPORE = timezone(timedelta(hours=8), "UTC+08:00")


def is_placeholder(ctx: RowContext) -> bool:
    """KuCoin writes ``No matching records found.`` into an empty report (P16)."""
    return any(v.strip().lower().startswith("no matching records") for v in ctx.cells.values())


class _Orders:
    """Column names of one version; the reading is shared."""

    time_col: ClassVar[str]
    symbol_col: ClassVar[str] = "Symbol"
    side_col: ClassVar[str] = "Side"
    base_col: ClassVar[str] = "Filled Amount"
    quote_col: ClassVar[str] = "Filled Volume"
    fee_col: ClassVar[str] = "Fee"
    fee_asset_col: ClassVar[str] = "Fee Currency"
    tax_col: ClassVar[str] = ""
    id_col: ClassVar[str] = ""
    name: ClassVar[str]

    def zone(self, file: FileText) -> tuple[str, tzinfo, bool]:
        """(time column as written, its zone, whether the zone was stated)."""
        return self.time_col, SINGAPORE, False

    def read(self, layout: CsvLayout, file: FileText) -> ImportResult:
        col = Collector(self.name)
        time_col, zone, stated = self.zone(file)
        if not stated:
            col.warn("assumed-timezone", f"column '{time_col}' states no zone: UTC+8 assumed (BittyTax)",
                     SourceRef(file.name, (layout.find_header(file) or 0) + 1))
        seen: dict[str, tuple[SourceRef, tuple[str, ...]]] = {}
        for ctx in read_rows(layout, file, col):
            if is_placeholder(ctx):
                col.skip(ctx.source, "placeholder row of an empty report")
                continue
            trade = self._trade(ctx, time_col, zone)
            if trade is not None and trade.event_id:
                content = tuple(sorted(ctx.cells.values()))
                first = seen.setdefault(trade.event_id, (ctx.source, content))
                if first[0] != ctx.source and first[1] != content:
                    ctx.fail(self.id_col, f"same id as line {first[0].line} with different data")
                    trade = None
            if trade is None:
                if ctx.errors:
                    col.reject(ctx.errors)
                else:
                    col.skip(ctx.source, "order not filled")
            else:
                col.event(trade, [ctx.source])
        return col.result()

    def _trade(self, ctx: RowContext, time_col: str, zone: tzinfo) -> Trade | None:
        when = row_time(ctx, time_col, zone)
        parts = ctx.get(self.symbol_col).upper().replace("/", "-").split("-")
        if len(parts) != 2 or not all(parts):
            ctx.fail(self.symbol_col, "not a BASE-QUOTE pair")
        side = ctx.get(self.side_col).lower()
        if side not in ("buy", "sell"):
            ctx.fail(self.side_col, "must be buy or sell")
        base_qty, quote_qty = number(ctx, self.base_col), number(ctx, self.quote_col)
        fee = number(ctx, self.fee_col, required=False)
        tax = number(ctx, self.tax_col, required=False) if self.tax_col else Decimal(0)
        if tax:
            ctx.fail(self.tax_col, "a non-zero tax is not supported (its asset is not stated)")
        fee_asset = ctx.get(self.fee_asset_col).upper()
        if fee and not fee_asset:
            ctx.fail(self.fee_asset_col, "is required when a fee is charged")
        for column, value in ((self.base_col, base_qty), (self.quote_col, quote_qty), (self.fee_col, fee)):
            if value is not None and value < 0:
                ctx.fail(column, "must not be negative")
        if ctx.errors or when is None or base_qty is None or quote_qty is None or fee is None:
            return None
        if base_qty == 0:
            return None
        base, quote = Amount(base_qty, parts[0]), Amount(quote_qty, parts[1])
        sent, received = (quote, base) if side == "buy" else (base, quote)
        note = ""
        account_type = ctx.get("Account Type")
        if "margin" in account_type.lower():
            note = f"{account_type} order"
        order_id = ctx.get(self.id_col) if self.id_col else ""
        return Trade(time=when, account=ACCOUNT, source=ctx.source, sent=sent, received=received,
                     fee=Amount(fee, fee_asset) if fee else None, note=note,
                     event_id=f"{ACCOUNT}:{order_id}" if order_id else "")


class _Stated(_Orders):
    """Versions whose time column states its zone in the header."""

    def zone(self, file: FileText) -> tuple[str, tzinfo, bool]:
        assert isinstance(self, OffsetHeaderLayout)
        cell, zone = self.time_column(file, self.time_col)
        return cell, zone, True


class KucoinTradesRotki(_Orders, CsvLayout):
    name = "kucoin-trades-rotki"
    description = "KuCoin trade history (tradeCreatedAt, 8 columns, rotki fixture)"
    columns: ClassVar[tuple[str, ...]] = (
        "tradeCreatedAt", "symbol", "side", "price", "size", "funds", "fee", "feeCurrency")
    strict_columns = True
    time_col, symbol_col, side_col = "tradeCreatedAt", "symbol", "side"
    base_col, quote_col, fee_col, fee_asset_col = "size", "funds", "fee", "feeCurrency"

    def parse(self, file: FileText) -> ImportResult:
        return self.read(self, file)


class KucoinTradesV3(KucoinTradesRotki):
    name = "kucoin-trades-v3"
    description = "KuCoin trade history (tradeCreatedAt, orderId, liquidity, orderType)"
    columns = ("tradeCreatedAt", "orderId", "symbol", "side", "price", "size", "funds", "fee",
               "liquidity", "feeCurrency", "orderType")


_V5 = ("UID", "Account Type", "Order ID", "Symbol", "Side", "Order Type", "Order Price", "Order Amount",
       "Avg. Filled Price", "Filled Amount", "Filled Volume", "Filled Volume (USDT)", "Fee", "Fee Currency")


class KucoinOrdersV5(_Stated, OffsetHeaderLayout):
    name = "kucoin-orders-v5"
    description = "KuCoin Spot Orders_Filled Orders (Order/Filled Time with zone, Tax, Status)"
    columns: ClassVar[tuple[str, ...]] = (*_V5, "Tax", "Status")
    extra_columns = ("Account Mode",)
    strict_columns = True
    time_columns = ("Order Time", "Filled Time")
    time_col, tax_col, id_col = "Filled Time", "Tax", "Order ID"

    def parse(self, file: FileText) -> ImportResult:
        return self.read(self, file)


class KucoinOrdersV5NoTax(KucoinOrdersV5):
    name = "kucoin-orders-v5-notax"
    description = "KuCoin Spot Orders_Filled Orders without the Tax column"
    columns = (*_V5, "Status")
    tax_col = ""


_FILLS = ("UID", "Account Type", "Order ID", "Symbol", "Side", "Order Type", "Avg. Filled Price",
          "Filled Amount", "Filled Volume", "Filled Volume (USDT)", "Fee", "Tax", "Maker/Taker", "Fee Currency")


class KucoinFillsV5(_Stated, OffsetHeaderLayout):
    name = "kucoin-fills-v5"
    description = "KuCoin filled orders with Maker/Taker (Filled Time with zone)"
    columns = _FILLS
    strict_columns = True
    time_columns = ("Filled Time",)
    time_col, tax_col = "Filled Time", "Tax"

    def parse(self, file: FileText) -> ImportResult:
        return self.read(self, file)


class KucoinFillsV5Bare(_Orders, CsvLayout):
    name = "kucoin-fills-v5-bare"
    description = "KuCoin filled orders with Maker/Taker and a bare Filled Time (UTC+8 assumed)"
    columns = (*_FILLS, "Filled Time")
    strict_columns = True
    time_col, tax_col = "Filled Time", "Tax"

    def parse(self, file: FileText) -> ImportResult:
        return self.read(self, file)


LAYOUTS: tuple[Layout, ...] = layouts(
    KucoinTradesRotki(), KucoinTradesV3(), KucoinOrdersV5(), KucoinOrdersV5NoTax(), KucoinFillsV5(),
    KucoinFillsV5Bare(),
)
