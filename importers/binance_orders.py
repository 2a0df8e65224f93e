"""binance.com order history with nested fill rows (exchange-formats.md §1.2) [ET-files].

Header ``Date(UTC),Pair,Type,Order Price,Order Amount,AvgTrading Price,Filled,Total,status``
(comma, or the semicolon re-save P4 as its own class). Under each order row, when it has
fills, come a repeated sub-header whose first cell is empty
(``;Date(UTC);Trading Price;Filled;Total;Fee;;;``) and one row per fill
(``;2020-03-19 17:02:52;6236.39;0.041600;259.43382400;0.01612653BNB;;;``).

Events: one Trade per fill (time, base quantity ``Filled``, quote ``Total``, fee with its
asset suffix), side and pair from the order row above. The order row itself and the
sub-header are non-taxable rows (a summary and a heading). An order with ``Filled`` > 0 but
no fill rows becomes one Trade from the order row (fee unknown: Diagnostic
``missing-fills``); an order with nothing filled is non-taxable. When the fills do not add
up to the order's ``Filled``, a Diagnostic ``fills-mismatch`` is given.
Time zone: ``Date(UTC)`` states UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from taxmargin.errors import RowError, Severity
from taxmargin.importers.base import CsvLayout, FileText, ImportResult, Layout, RowContext
from taxmargin.importers.binance_common import as_layouts, Collector
from taxmargin.importers.binance_spot import fill_trade, read_time
from taxmargin.importers.binance_trades_common import read_fee, read_number, read_pair, read_side
from taxmargin.models import Amount

__all__ = ["OrderHistory", "OrderHistorySemicolon", "LAYOUTS"]

#: Fill-row columns (the sub-header's names) -> the order-header column their cells fall under.
FILL_COLUMNS = {"Date(UTC)": "Pair", "Trading Price": "Type", "Filled": "Order Price", "Total": "Order Amount",
                "Fee": "AvgTrading Price"}


@dataclass
class _Order:
    ctx: RowContext
    base: str
    quote: str
    side: str
    filled: Decimal
    fills: list[Decimal] = field(default_factory=list)
    fill_rows: int = 0  # fill rows seen, including rejected ones


class OrderHistory(CsvLayout):
    name = "binance-order-history"
    description = "binance.com order history with nested fill rows (Date(UTC),Pair,Type,Order Price,...)"
    columns = ("Date(UTC)", "Pair", "Type", "Order Price", "Order Amount", "AvgTrading Price", "Filled", "Total", "status")
    strict_columns = True
    decimal_comma: ClassVar[bool] = False

    def _order(self, ctx: RowContext) -> _Order | None:
        read_time(ctx)
        pair = read_pair(ctx, "Pair")
        side = read_side(ctx, "Type")
        filled = read_number(ctx, "Filled", decimal_comma=self.decimal_comma, positive=False)
        if ctx.errors or pair is None or side is None or filled is None:
            return None
        return _Order(ctx, pair[0], pair[1], side, filled)

    def _fill(self, row: RowContext, order: _Order, out: Collector) -> None:
        """One Trade from a fill row; its cells are re-keyed with the sub-header's names."""
        ctx = RowContext(row.source, {name: row.get(column) for name, column in FILL_COLUMNS.items()})
        comma = self.decimal_comma
        time = read_time(ctx)
        read_number(ctx, "Trading Price", decimal_comma=comma)
        base_q = read_number(ctx, "Filled", decimal_comma=comma)
        quote_q = read_number(ctx, "Total", decimal_comma=comma)
        fee = read_fee(ctx, "Fee", (order.base, order.quote, "BNB"), decimal_comma=comma)
        if ctx.errors or time is None or base_q is None or quote_q is None or fee is None:
            out.reject(ctx.errors)
            return
        order.fills.append(base_q)
        fee_amount = Amount(fee[0], fee[1]) if fee[0] else None
        out.event(fill_trade(ctx.source, time, order.side, Amount(base_q, order.base), Amount(quote_q, order.quote),
                             fee_amount, f"order fill {order.base}{order.quote} {order.side} (order at line {order.ctx.source.line})"))

    def _close(self, order: _Order | None, out: Collector) -> None:
        """Account for the order row once its fills are known."""
        if order is None:
            return
        source = order.ctx.source
        if order.fill_rows:
            out.skip(source, "order summary row: its fill rows are the trades")
            if sum(order.fills) != order.filled:
                out.note(Severity.WARNING, "fills-mismatch",
                         f"fills add up to {sum(order.fills)} {order.base}, the order says {order.filled}", source)
        elif order.filled == 0:
            out.skip(source, f"order not filled (status '{order.ctx.get('status')}')")
        else:
            self._order_as_trade(order, out)

    def _order_as_trade(self, order: _Order, out: Collector) -> None:
        ctx = order.ctx
        time = read_time(ctx)
        total = read_number(ctx, "Total", decimal_comma=self.decimal_comma)
        if time is None or total is None:
            out.reject(ctx.errors)
            return
        out.event(fill_trade(ctx.source, time, order.side, Amount(order.filled, order.base), Amount(total, order.quote),
                             None, f"order {order.base}{order.quote} {order.side} without fill rows"))
        out.note(Severity.WARNING, "missing-fills",
                 "filled order without fill rows: booked from the order row; its fee is not in the file", ctx.source)

    def parse(self, file: FileText) -> ImportResult:
        out = Collector(self.name)
        order: _Order | None = None
        seen_order = False
        for item in self.rows(file):
            out.rows_read += 1
            if isinstance(item, RowError):
                out.reject([item])
            elif item.get("Date(UTC)"):
                self._close(order, out)
                seen_order = True
                order = self._order(item)
                if order is None:
                    out.reject(item.errors)
            elif item.get(FILL_COLUMNS["Date(UTC)"]) == "Date(UTC)":
                out.skip(item.source, "sub-header of the fill rows")
            elif order is None:
                message = "fill row of an order row that was rejected" if seen_order else "fill row without an order row above it"
                out.fail(item.source, "Date(UTC)", "", message)
            else:
                order.fill_rows += 1
                self._fill(item, order, out)
        self._close(order, out)
        return out.result()


class OrderHistorySemicolon(OrderHistory):
    name = "binance-order-history-semicolon"
    description = "binance.com order history with nested fills, semicolon re-save (Date(UTC);Pair;Type;...)"
    delimiter = ";"
    decimal_comma = True


LAYOUTS: tuple[Layout, ...] = as_layouts(OrderHistory(), OrderHistorySemicolon())
