"""binance.com spot trade history, one row per fill (exchange-formats.md §1.2).

* old: ``Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin`` — ``Market`` is a
  concatenated pair split with the quote list [BT-binance]; comma-delimited, and the
  semicolon re-save of EU Excel (P4) [ET-files ``binance_v001.csv``] as its own class.
* new ("statement"): ``Date(UTC),Pair,Side,Price,Executed,Amount,Fee`` (or ``Quantity``
  instead of ``Executed``); amounts carry the asset (``0.1800000000SOL``,
  ``19.8054BUSD``, fee ``0.0198054BUSD``) and thousands commas (P5) [BT-binance] [ET-MP].
  Isolated-margin trade exports use the same columns: all are the one pool ``binance``.

Time zone: ``Date(UTC)`` states UTC. Every row is one fill -> one Trade (BUY: gives the
quote, receives the base; SELL the reverse), fee in its own asset. No order or trade id
in these files: ``event_id`` stays empty and identical rows are separate fills (P12).
"""

from __future__ import annotations

import abc
from datetime import datetime
from typing import ClassVar

from taxmargin.errors import RowError
from taxmargin.importers.base import CsvLayout, FileText, ImportResult, Layout, RowContext
from taxmargin.importers.binance_common import as_layouts, Collector, parse_exchange_time, split_pair, split_suffixed
from taxmargin.importers.binance_trades_common import read_fee, read_number, read_pair, read_side, read_suffixed
from taxmargin.models import Amount, SourceRef, Trade
from taxmargin.money import DecimalParseError, parse_decimal

__all__ = ["SpotTradesOld", "SpotTradesOldSemicolon", "SpotTradesNew", "SpotTradesNewQuantity", "LAYOUTS", "fill_trade"]

ACCOUNT = "binance"
DATE = "Date(UTC)"


def read_time(ctx: RowContext, column: str = DATE) -> datetime | None:
    """The stated-UTC ``Date(UTC)`` cell, or None with the error recorded on ``ctx``."""
    raw = ctx.get(column)
    if raw == "":
        ctx.fail(column, "is required")
        return None
    try:
        return parse_exchange_time(raw)
    except ValueError as exc:
        ctx.fail(column, str(exc))
        return None


def fill_trade(source: SourceRef, time: datetime, side: str, base: Amount, quote: Amount, fee: Amount | None, note: str) -> Trade:
    """One fill: BUY gives ``quote`` for ``base``; SELL gives ``base`` for ``quote``."""
    sent, received = (quote, base) if side == "BUY" else (base, quote)
    return Trade(time=time, account=ACCOUNT, source=source, sent=sent, received=received,
                 fee=fee if fee is not None and fee.quantity > 0 else None, note=note)


class _Fills(CsvLayout, abc.ABC):
    """Row loop shared by the spot layouts: one Trade per good row."""

    strict_columns = True
    decimal_comma: ClassVar[bool] = False

    @abc.abstractmethod
    def trade(self, ctx: RowContext) -> Trade | None:
        """The fill of one row, or None with the column errors recorded on ``ctx``."""

    def parse(self, file: FileText) -> ImportResult:
        out = Collector(self.name)
        for item in self.rows(file):
            out.rows_read += 1
            if isinstance(item, RowError):
                out.reject([item])
                continue
            trade = self.trade(item)
            if trade is None or item.errors:
                out.reject(item.errors)
            else:
                out.event(trade)
        return out.result()


class SpotTradesOld(_Fills):
    name = "binance-spot-trades-old"
    description = "binance.com spot trade history (Date(UTC),Market,Type,...,Fee Coin)"
    columns = ("Date(UTC)", "Market", "Type", "Price", "Amount", "Total", "Fee", "Fee Coin")

    def trade(self, ctx: RowContext) -> Trade | None:
        time = read_time(ctx)
        pair = read_pair(ctx, "Market")
        side = read_side(ctx, "Type")
        comma = self.decimal_comma
        read_number(ctx, "Price", decimal_comma=comma)
        base_q = read_number(ctx, "Amount", decimal_comma=comma)
        quote_q = read_number(ctx, "Total", decimal_comma=comma)
        fee_q = read_number(ctx, "Fee", decimal_comma=comma, positive=False)
        fee_asset = ctx.get("Fee Coin").upper()
        if fee_q and not fee_asset:
            ctx.fail("Fee Coin", "is required when Fee is not zero")
        if ctx.errors or time is None or pair is None or side is None or base_q is None or quote_q is None:
            return None
        fee = Amount(fee_q, fee_asset) if fee_q else None
        return fill_trade(ctx.source, time, side, Amount(base_q, pair[0]), Amount(quote_q, pair[1]), fee,
                          f"spot fill {ctx.get('Market')} {side}")


class SpotTradesOldSemicolon(SpotTradesOld):
    name = "binance-spot-trades-old-semicolon"
    description = "binance.com spot trade history, semicolon re-save (Date(UTC);Market;Type;...)"
    delimiter = ";"
    decimal_comma = True


def _fits(cell: str, asset: str) -> bool:
    """``cell`` is a plain number or ``<number><asset>``."""
    if split_suffixed(cell, asset) is not None:
        return True
    try:
        parse_decimal(cell)
    except DecimalParseError:
        return False
    return True


def pair_from_cells(pair: str, base_cell: str, quote_cell: str) -> tuple[str, str] | None:
    """Split ``pair`` so that the base/quote cells' suffixes agree (P5), quote list as tiebreak."""
    lengths = [k for k in range(1, len(pair)) if _fits(base_cell, pair[:k]) and _fits(quote_cell, pair[k:])]
    return split_pair(pair, lengths) if lengths else None


class SpotTradesNew(_Fills):
    name = "binance-spot-trades-new"
    description = "binance.com spot trade history with suffixed amounts (Date(UTC),Pair,Side,Price,Executed,Amount,Fee)"
    columns = ("Date(UTC)", "Pair", "Side", "Price", "Executed", "Amount", "Fee")
    base_column: ClassVar[str] = "Executed"

    def trade(self, ctx: RowContext) -> Trade | None:
        time = read_time(ctx)
        side = read_side(ctx, "Side")
        pair_text = ctx.get("Pair").upper()
        missing = [c for c in ("Pair", self.base_column, "Amount") if not ctx.get(c)]
        for column in missing:
            ctx.fail(column, "is required")
        split = None if missing else pair_from_cells(pair_text, ctx.get(self.base_column), ctx.get("Amount"))
        if split is None:
            if not missing:
                ctx.fail("Pair", "does not match the assets of the amount columns")
            return None
        base, quote = split
        read_number(ctx, "Price")
        base_q = read_suffixed(ctx, self.base_column, base)
        quote_q = read_suffixed(ctx, "Amount", quote)
        fee = read_fee(ctx, "Fee", (base, quote, "BNB"))
        if ctx.errors or time is None or side is None or base_q is None or quote_q is None or fee is None:
            return None
        fee_amount = Amount(fee[0], fee[1]) if fee[0] else None
        return fill_trade(ctx.source, time, side, Amount(base_q, base), Amount(quote_q, quote), fee_amount,
                          f"spot fill {pair_text} {side}")


class SpotTradesNewQuantity(SpotTradesNew):
    name = "binance-spot-trades-new-quantity"
    description = "binance.com spot trade history with suffixed amounts, 'Quantity' column variant"
    columns = ("Date(UTC)", "Pair", "Side", "Price", "Quantity", "Amount", "Fee")
    base_column = "Quantity"


LAYOUTS: tuple[Layout, ...] = as_layouts(SpotTradesOld(), SpotTradesOldSemicolon(), SpotTradesNew(), SpotTradesNewQuantity())
