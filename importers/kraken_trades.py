"""Kraken ``trades.csv``: one row per fill, every header version (exchange-formats.md §4.2).

Versions: old 22 columns (``postxid,posstatus,…``), 13 columns (≈2020–2024), 13 + ``costusd``,
11 columns (without ``margin``, ``misc``), current 24 columns (2024→, ``aclass``,
``subclass``, ``posttxid``, ``posstatuscode``…) and 24 + ``costusd`` (seen in tests). Times
are UTC with fractional seconds; pairs are ``USDT/GBP`` or slash-less ``XXBTZUSD``.

Relation to ``ledgers.csv`` (the authoritative file, [KR-D]; BittyTax deprecates the trades
parser for that reason): a spot fill's ``txid`` is the ``refid`` of its two ledger rows, so
the Trade made here has ``event_id = txid`` — the same id the ledger importer gives that
trade — and importing both files stores each trade once. The fee here is Kraken's estimate
in the quote currency; the ledger shows the asset really charged (P14). So these results
have ``authority`` :data:`~taxmargin.importers.base.AUTHORITY_CROSS_CHECK` and the ledger's
``AUTHORITY_LEDGER``: imported in either order, the ledger's event is the one stored, and
``Ledger.store`` cross-checks the two (``cross-check`` diagnostics where they differ).

Margin rows (``margin`` > 0, ``closing`` in ``misc``, an ``ordertype`` of ``liquidation
market``, or a position status) are opens/closes of a P/L-settled position: no units change
hands, the P/L, fees and rollover interest are ledger rows (``margin``, ``rollover``). They are
non-taxable rows here ("margin position leg; P&L comes from ledgers.csv") so nothing is
counted twice; a liquidation additionally raises a ``liquidation`` warning. Real 2024 rows
carry a ``posttxid`` even for spot trades [ROYE]: it does not mark a margin trade.
"""

from __future__ import annotations

from dataclasses import replace

from taxmargin.errors import Severity
from taxmargin.importers.base import AUTHORITY_CROSS_CHECK, FileText, ImportResult, RowContext
from taxmargin.importers.coinbase_common import ResultBuilder
from taxmargin.importers.kraken_common import ACCOUNT, KrakenCsvLayout, split_pair
from taxmargin.models import USD, Amount, Trade

__all__ = [
    "KrakenTrades22",
    "KrakenTrades13",
    "KrakenTrades13Usd",
    "KrakenTrades11",
    "KrakenTrades24",
    "KrakenTrades24Usd",
    "TRADES_LAYOUTS",
]

_T13 = ("txid", "ordertxid", "pair", "time", "type", "ordertype", "price", "cost", "fee", "vol",
        "margin", "misc", "ledgers")
_T24 = ("txid", "ordertxid", "pair", "aclass", "subclass", "time", "type", "ordertype", "price", "cost",
        "fee", "vol", "margin", "misc", "ledgers", "posttxid", "posstatuscode", "cprice", "ccost", "cfee",
        "cvol", "cmargin", "net", "trades")


class _KrakenTrades(KrakenCsvLayout):
    def parse(self, file: FileText) -> ImportResult:
        builder = ResultBuilder(self.name)
        margin_rows = 0
        for item in self.good_rows(file, builder):
            margin_rows += _row(item, builder)
        _file_notes(builder, margin_rows)
        # only cross-checks ledgers.csv: the ledger's event is kept whichever file comes first
        return replace(builder.result(), authority=AUTHORITY_CROSS_CHECK)


def _file_notes(builder: ResultBuilder, margin_rows: int) -> None:
    if builder.rows_read:
        builder.note("assumed-timezone", "Kraken trades.csv times carry no zone; taken as UTC (Kraken's documented zone)")
        builder.note("kraken-trades-vs-ledger",
                     "trades.csv repeats the trades of ledgers.csv (same ids, stored once); its fee is "
                     "Kraken's quote-currency estimate — ledgers.csv is authoritative (P14): with both "
                     "imported, in either order, the ledger's events are kept and these cross-check them")
    if margin_rows:
        builder.note("kraken-margin-needs-ledger",
                     f"{margin_rows} margin position row(s): their P/L, fees and rollover interest are "
                     "only in ledgers.csv — import it", severity=Severity.WARNING)


def _is_margin(ctx: RowContext) -> bool:
    misc = {part.strip().lower() for part in ctx.get("misc").split(",")}
    margin = ctx.decimal("margin", required=False)
    return bool(
        (margin is not None and margin > 0) or "closing" in misc or "liquidation" in ctx.get("ordertype").lower()
        or ctx.get("posstatus") or ctx.get("posstatuscode")
    )


def _margin_leg(ctx: RowContext, what: str, builder: ResultBuilder) -> None:
    """A margin open/close: non-taxable here, the P&L is in the ledger; liquidations warn."""
    liquidation = "liquidation" in ctx.get("ordertype").lower()
    kind = "liquidation of a margin position" if liquidation else "margin position leg"
    builder.skip(ctx.source, f"{kind}; P&L comes from ledgers.csv")
    if liquidation:
        builder.note("liquidation", f"margin position liquidated ({ctx.get('ordertype')} {what}); "
                     "its realised loss is in ledgers.csv", ctx.source, severity=Severity.WARNING)


def _row(ctx: RowContext, builder: ResultBuilder) -> int:
    """Record one row in ``builder``; returns 1 for a margin row, else 0."""
    pair = split_pair(ctx.get("pair"))
    if pair is None:
        ctx.fail("pair", "is not a known trading pair")
    side = ctx.get("type").lower()
    if side not in ("buy", "sell"):
        ctx.fail("type", "must be buy or sell")
    time = ctx.time("time")
    cost, vol = ctx.decimal("cost"), ctx.decimal("vol")
    fee = ctx.decimal("fee", required=False)
    ctx.decimal("price")
    if not ctx.get("txid"):
        ctx.fail("txid", "is required")
    for column, value in (("cost", cost), ("vol", vol)):
        if value == 0:
            ctx.fail(column, "must not be zero")
    margin = _is_margin(ctx)
    if ctx.errors or pair is None or time is None or not cost or not vol:
        builder.reject(ctx.errors)
        return 0
    if margin:
        _margin_leg(ctx, f"{side} {vol} {pair[0]}", builder)
        return 1
    base, quote = pair
    coin, cash = Amount(vol, base), Amount(cost, quote)
    cost_usd = ctx.decimal("costusd", required=False)
    builder.add(Trade(
        time=time, account=ACCOUNT, source=ctx.source, event_id=ctx.get("txid"),
        sent=cash if side == "buy" else coin, received=coin if side == "buy" else cash,
        fee=Amount(fee, quote) if fee else None,
        usd_value=cost_usd if cost_usd else (cost if quote == USD else None),
        fee_usd=fee if fee and quote == USD else None, note=f"{side} {ctx.get('pair')} (trades.csv)",
    ))
    return 0


class KrakenTrades22(_KrakenTrades):
    name = "kraken-trades-22"
    description = "Kraken trades.csv, old 22-column header (postxid, posstatus)"
    columns = (*_T13, "postxid", "posstatus", "cprice", "ccost", "cfee", "cvol", "cmargin", "net", "trades")


class KrakenTrades13(_KrakenTrades):
    name = "kraken-trades-13"
    description = "Kraken trades.csv, 13-column header (≈2020–2024)"
    columns = _T13


class KrakenTrades13Usd(_KrakenTrades):
    name = "kraken-trades-13-usd"
    description = "Kraken trades.csv, 13-column header + costusd"
    columns = (*_T13, "costusd")


class KrakenTrades11(_KrakenTrades):
    name = "kraken-trades-11"
    description = "Kraken trades.csv, 11-column header (no margin, misc)"
    columns = tuple(c for c in _T13 if c not in ("margin", "misc"))


class KrakenTrades24(_KrakenTrades):
    name = "kraken-trades-24"
    description = "Kraken trades.csv, current 24-column header (2024→)"
    columns = _T24


class KrakenTrades24Usd(_KrakenTrades):
    name = "kraken-trades-24-usd"
    description = "Kraken trades.csv, current header + costusd"
    columns = (*_T24[:-1], "costusd", "trades")


TRADES_LAYOUTS = (
    KrakenTrades22(),
    KrakenTrades13(),
    KrakenTrades13Usd(),
    KrakenTrades11(),
    KrakenTrades24(),
    KrakenTrades24Usd(),
)
