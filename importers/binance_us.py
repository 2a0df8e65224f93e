"""Binance.US history export (exchange-formats.md §2, corrected by §12).

Layouts (each its own class; the column sets differ, so exactly one matches):

* v1 (<=2021 -> mid-2024), underscore header ``User_Id,Time,Category,Operation,Order_Id,
  Transaction_Id,Primary_Asset,Realized_Amount_For_Primary_Asset,..._In_USD_Value,...,
  Payment_Method,Withdrawal_Method,Additional_Note`` — real files [WINK]: UTF-8 BOM, only
  the empty cells quoted or every text cell quoted, rows not in time order (P1, P11).
* v2 (2024-08 ->), spaced header with mixed capitalisation (``Realized Amount for Primary
  Asset in USD``, ``Withdraw Method``) [BT-binance_us], matched exactly.

One row per event, legs in columns. Time zone: none stated anywhere; every importer assumes
UTC [DALI-BUS] -> UTC with a Diagnostic ``assumed-timezone`` (once per file). Times may
carry milliseconds or an ISO offset (honoured).

Categories (§12): ``Deposit`` -> Deposit; ``Withdrawal`` -> Withdrawal; ``Distribution`` ->
Income (a negative amount, e.g. a staking service fee, -> Fee); ``Spot Trading`` Buy/Sell
-> Trade with Base = the pair's base (Buy receives it); ``Quick Buy``, ``Quick Sell``,
``Buy``, ``Sell``, ``Convert`` -> Trade with Base = what the user GIVES and Quote = what the
user GETS, whatever the Operation [WINK]. A ``Spot Trading`` quote amount left empty for a
USD quote is read from the quote's USD column (USD is USD).

Fee reading (documented choice, §12 pitfall "whether the fee is inside Base/Quote is
unverified"): the fee is an EXTRA debit on top of the Base/Quote amounts (BittyTax's
reading): Trade.fee / Withdrawal.fee carry it. So the real Quick Sell of 1141.5 ADA for
1289.5062 USD with fee 6.48 USD nets USD +1283.0262 for that row (EXPECTED.md, first
reading).

USD values: the file states them, so events carry ``usd_value`` (received side for trades,
deposits and income; sent side for withdrawals and fees) and ``fee_usd``; an empty USD
cell stays None (the pricing stage fills it). ``event_id`` = ``binance-us:<Transaction
Id>``; an id repeated inside one file is a RowError on the later row. ``User_Id`` is never
copied (privacy). Account: ``binance-us``. Binance.US has no margin.
"""

from __future__ import annotations

from datetime import timezone
from decimal import Decimal
from typing import ClassVar

from taxmargin.errors import RowError, Severity
from taxmargin.importers.base import CsvLayout, FileText, ImportResult, Layout, RowContext, parse_utc
from taxmargin.importers.binance_common import as_layouts, Collector, valid_asset
from taxmargin.importers.binance_us_rows import UsRow, row_events

__all__ = ["BinanceUsV1", "BinanceUsV2", "LAYOUTS"]

#: canonical field -> v1 column, v2 column
FIELDS: dict[str, tuple[str, str]] = {
    "user": ("User_Id", "User ID"),
    "time": ("Time", "Time"),
    "category": ("Category", "Category"),
    "operation": ("Operation", "Operation"),
    "order_id": ("Order_Id", "Order ID"),
    "tx_id": ("Transaction_Id", "Transaction ID"),
    "primary_asset": ("Primary_Asset", "Primary Asset"),
    "primary": ("Realized_Amount_For_Primary_Asset", "Realized Amount For Primary Asset"),
    "primary_usd": ("Realized_Amount_For_Primary_Asset_In_USD_Value", "Realized Amount for Primary Asset in USD"),
    "base_asset": ("Base_Asset", "Base Asset"),
    "base": ("Realized_Amount_For_Base_Asset", "Realized Amount For Base Asset"),
    "base_usd": ("Realized_Amount_For_Base_Asset_In_USD_Value", "Realized Amount For Base Asset In USD"),
    "quote_asset": ("Quote_Asset", "Quote Asset"),
    "quote": ("Realized_Amount_For_Quote_Asset", "Realized Amount for Quote Asset"),
    "quote_usd": ("Realized_Amount_For_Quote_Asset_In_USD_Value", "Realized Amount for Quote Asset in USD"),
    "fee_asset": ("Fee_Asset", "Fee Asset"),
    "fee": ("Realized_Amount_For_Fee_Asset", "Realized Amount for Fee Asset"),
    "fee_usd": ("Realized_Amount_For_Fee_Asset_In_USD_Value", "Realized Amount for Fee Asset in USD"),
    "payment_method": ("Payment_Method", "Payment Method"),
    "withdrawal_method": ("Withdrawal_Method", "Withdraw Method"),
    "note": ("Additional_Note", "Additional Note"),
}
_AMOUNTS = ("primary", "primary_usd", "base", "base_usd", "quote", "quote_usd", "fee", "fee_usd")
_ASSETS = ("primary_asset", "base_asset", "quote_asset", "fee_asset")


class _BinanceUs(CsvLayout):
    version: ClassVar[int] = 0
    strict_columns = True

    def column(self, field: str) -> str:
        return FIELDS[field][self.version]

    def _read(self, ctx: RowContext) -> UsRow | None:
        col = self.column
        time = None
        raw_time = ctx.get(col("time"))
        try:
            time = parse_utc(raw_time, timezone.utc) if raw_time else None
        except ValueError as exc:
            ctx.fail(col("time"), str(exc))
        if not raw_time:
            ctx.fail(col("time"), "is required")
        amounts: dict[str, Decimal | None] = {f: ctx.decimal(col(f), signed=True, required=False) for f in _AMOUNTS}
        assets = {f: ctx.get(col(f)).upper() for f in _ASSETS}
        for f, asset in assets.items():
            if asset and not valid_asset(asset):
                ctx.fail(col(f), "not an asset code")
        for field in ("category", "operation"):
            if not ctx.get(col(field)):
                ctx.fail(col(field), "is required")
        if ctx.errors or time is None:
            return None
        return UsRow(ctx, col, time, ctx.get(col("category")), ctx.get(col("operation")), assets, amounts)

    def parse(self, file: FileText) -> ImportResult:
        out = Collector(self.name)
        seen: dict[str, int] = {}
        for item in self.rows(file):
            out.rows_read += 1
            if isinstance(item, RowError):
                out.reject([item])
                continue
            row = self._read(item)
            tx_id = item.get(self.column("tx_id"))
            if row is not None and tx_id and tx_id in seen:
                item.fail(self.column("tx_id"), f"the same id is on line {seen[tx_id]}")
                row = None
            if row is None:
                out.reject(item.errors)
                continue
            if tx_id:
                seen[tx_id] = item.source.line
            row_events(row, tx_id, out)
        out.note(Severity.WARNING, "assumed-timezone",
                 f"{file.name}: Binance.US states no time zone; UTC assumed (as every known importer does)", None)
        return out.result()


class BinanceUsV1(_BinanceUs):
    name = "binance-us-v1"
    description = "Binance.US history export, underscore header (User_Id,Time,Category,...), up to mid-2024"
    version = 0
    columns = tuple(v[0] for v in FIELDS.values())


class BinanceUsV2(_BinanceUs):
    name = "binance-us-v2"
    description = "Binance.US history export, spaced header (User ID,Time,Category,...), 2024-08 on"
    version = 1
    columns = tuple(v[1] for v in FIELDS.values())


LAYOUTS: tuple[Layout, ...] = as_layouts(BinanceUsV1(), BinanceUsV2())
