"""Coinbase retail rows -> events (all report versions).

Vocabulary (exchange-formats.md §3): ``Buy``/``Sell`` and ``Advanced Trade Buy/Sell`` are
cash trades in the report currency (buy: ``Subtotal`` paid + ``Fees``; sell: ``Subtotal``
received, ``Fees`` deducted); an advanced trade quoted in another crypto takes its quote
leg from ``Notes``. ``Convert`` (and ``Retail Simple Dust``) is a crypto-for-crypto trade
whose received leg is only in ``Notes`` — or, in files that write both legs, a pair of
rows with the same time and Notes. Rewards (staking, learning, Coinbase Earn, inflation,
interest payout, rebates) are ordinary income at FMV (tax-rules.md §4.5 lending/staking
analogue; N2014-21 A-3). Sends/receives and the retail <-> Pro/Exchange moves are
withdrawals/deposits (the transfer-matching stage pairs own-account moves). A donation
leaves without a disposal. Internal moves (staking/unstaking transfers, vault, savings)
and asset migrations (ETH -> ETH2 converts, ETH2 -> ETH Send/Receive pairs, ``Retail Eth2
Deprecation``, ``Asset Migration``) are non-taxable rows (U6: one pool per exchange
account). ``usd_value``/``fee_usd`` are set only when the report currency is USD.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from taxmargin.errors import RowError, Severity
from taxmargin.importers.coinbase_common import ResultBuilder
from taxmargin.importers.coinbase_notes import advanced_quote, convert_legs
from taxmargin.importers.coinbase_rows import ASSET_ALIASES, CbRow
from taxmargin.models import (
    USD,
    Amount,
    Deposit,
    EventBase,
    Income,
    Spend,
    Trade,
    Withdrawal,
)

__all__ = ["build_events", "ACCOUNT"]

ACCOUNT = "coinbase"

BUYS = frozenset({"buy", "advanced trade buy"})
SELLS = frozenset({"sell", "advanced trade sell"})
CONVERTS = frozenset({"convert", "retail simple dust"})
INCOME = frozenset({
    "rewards income", "reward income", "inflation reward", "staking income", "coinbase earn",
    "learning reward", "interest payout", "subscription rebate", "subscription rebates (24 hours)",
    "credit",
})
INFLOWS = frozenset({"receive", "deposit", "pro withdrawal", "exchange withdrawal"})
OUTFLOWS = frozenset({"send", "withdrawal", "pro deposit", "exchange deposit", "prime deposit",
                      "donation", "admin debit"})
SPENDS = frozenset({"card spend", "subscription"})
INTERNAL = {
    "retail staking transfer": "move into Coinbase staking (same account, U6)",
    "retail unstaking transfer": "move out of Coinbase staking (same account, U6)",
    "vault withdrawal": "move out of a Coinbase vault (same account, U6)",
    "cash to savings": "move to Coinbase savings (same account, U6)",
    "savings to cash": "move from Coinbase savings (same account, U6)",
    "transfer": "transfer between Coinbase wallets of one account (U6)",
}
MIGRATIONS = frozenset({"retail eth2 deprecation", "asset migration"})
UNSUPPORTED = {
    "retail mgx dex buy": "Coinbase Wallet DEX rows are not supported: enter them with the generic CSV",
    "retail mgx dex send": "Coinbase Wallet DEX rows are not supported: enter them with the generic CSV",
}
TYPE_COLUMN = "Transaction Type"


def _usd(row: CbRow, value: Decimal | None) -> Decimal | None:
    """A value the file states in USD (report currency USD), else None."""
    return value if row.currency == USD and value is not None and value > 0 else None


def _value(row: CbRow) -> Decimal | None:
    return row.subtotal if row.subtotal else row.total


def _fee(row: CbRow) -> Amount | None:
    return Amount(row.fees, row.currency) if row.fees else None


def _reject(builder: ResultBuilder, row: CbRow, column: str, message: str, value: str | None = None) -> None:
    builder.reject([RowError(row.source, column, row.kind_text if value is None else value, message)])


class _Ids:
    """Event ids from the ``ID`` column; a second event with one ID gets ``ID:n``."""

    def __init__(self) -> None:
        self.used: dict[str, int] = defaultdict(int)

    def take(self, row: CbRow) -> str:
        if not row.row_id:
            return ""
        self.used[row.row_id] += 1
        count = self.used[row.row_id]
        return row.row_id if count == 1 else f"{row.row_id}:{count}"


def _dedupe_ids(rows: list[CbRow], builder: ResultBuilder) -> list[CbRow]:
    """Rows sharing an ``ID``: the legs of one conversion are kept; a repeat with the same
    data is a known duplicate; a repeat with conflicting data is rejected (issue 4)."""
    seen: dict[str, list[CbRow]] = defaultdict(list)
    kept: list[CbRow] = []
    for row in rows:
        earlier = seen[row.row_id] if row.row_id else []
        same = next((e for e in earlier if e.cells == row.cells), None)
        clash = next((e for e in earlier if (e.kind, e.asset_written, e.negative) == (row.kind, row.asset_written, row.negative)), None)
        if same is not None:
            builder.skip(row.source, f"repeats line {same.source.line} (same ID, same data)")
        elif clash is not None:
            builder.reject([RowError(row.source, "ID", row.row_id,
                                     f"duplicate ID with conflicting data (first on line {clash.source.line})")])
        else:
            kept.append(row)
        if row.row_id:
            seen[row.row_id].append(row)
    return kept


def _eth2_pairs(rows: list[CbRow]) -> set[int]:
    """Indexes of Send ETH2 / Receive ETH (or reverse) pairs of one quantity within 2 s.
    Receives are indexed by (asset as written, quantity, second): linear in the rows."""
    receives: dict[tuple[str, Decimal, int], list[int]] = defaultdict(list)
    for j, row in enumerate(rows):
        if row.kind == "receive":
            receives[(row.asset_written, row.quantity, int(row.time.timestamp()))].append(j)
    paired: set[int] = set()
    for i, out in enumerate(rows):
        if out.kind != "send":
            continue
        others = {w for w, a in ASSET_ALIASES.items() if a == out.asset} | {out.asset}
        second = int(out.time.timestamp())
        keys = [(w, out.quantity, second + d) for w in others - {out.asset_written} for d in range(-2, 3)]
        match = next((j for key in keys for j in receives.get(key, []) if j not in paired), None)
        if match is not None:
            paired |= {i, match}
    return paired


def build_events(rows: list[CbRow], builder: ResultBuilder) -> None:
    """Turn validated rows into events, non-taxable rows and rejections in ``builder``."""
    rows = _dedupe_ids(rows, builder)
    migrations = _eth2_pairs(rows)
    ids = _Ids()
    converts: dict[tuple[object, ...], list[CbRow]] = defaultdict(list)
    if any(r.asset_written != r.asset for r in rows):
        builder.note_once("asset-alias", "Coinbase ETH2 (staked ETH) is pooled with ETH", None)
    for index, row in enumerate(rows):
        if index in migrations:
            builder.skip(row.source, f"asset migration {row.asset_written} ({row.kind_text}): ETH2→ETH, not a disposal")
        elif row.kind in CONVERTS:
            converts[(row.time, row.notes)].append(row)
        else:
            _single(row, builder, ids)
    for group in converts.values():
        _convert_group(group, builder, ids)


def _single(row: CbRow, builder: ResultBuilder, ids: _Ids) -> None:
    if row.kind in BUYS or row.kind in SELLS:
        _cash_trade(row, builder, ids)
    elif row.kind in INCOME:
        _income(row, builder, ids)
    elif row.kind in INFLOWS or row.kind in OUTFLOWS:
        _transfer(row, builder, ids)
    elif row.kind in SPENDS:
        builder.add(Spend(time=row.time, account=ACCOUNT, source=row.source, event_id=ids.take(row),
                          sent=Amount(row.quantity, row.asset), usd_value=_usd(row, _value(row)),
                          note=row.kind_text))
    elif row.kind in INTERNAL:
        builder.skip(row.source, INTERNAL[row.kind])
    elif row.kind in MIGRATIONS:
        _migration(row, builder)
    elif row.kind in UNSUPPORTED:
        _reject(builder, row, TYPE_COLUMN, UNSUPPORTED[row.kind])
    else:
        _reject(builder, row, TYPE_COLUMN, "unknown transaction type")


def _migration(row: CbRow, builder: ResultBuilder) -> None:
    if row.asset_written in ("ETH", "ETH2"):
        builder.skip(row.source, f"asset migration ETH2→ETH ({row.kind_text}): not a disposal")
        return
    builder.skip(row.source, f"asset migration ({row.kind_text}, {row.asset_written}): not a disposal")
    builder.note("asset-migration",
                 f"{row.kind_text} of {row.asset_written}: basis does not follow the migrated units "
                 "automatically; review (enter a transfer of basis with the generic CSV if needed)",
                 row.source, severity=Severity.WARNING)


def _cash_trade(row: CbRow, builder: ResultBuilder, ids: _Ids) -> None:
    """Buy: Subtotal (or Total − Fees, or v0 Total) paid in the report currency + Fees.
    Sell: Subtotal (or Total + Fees) received, Fees deducted (tax-rules.md §4.0(4))."""
    buying = row.kind in BUYS
    if row.asset == row.currency:
        builder.skip(row.source, f"{row.currency} bought with {row.currency} (no exchange)")
        return
    quote = advanced_quote(row.notes) if row.kind.startswith("advanced") else None
    if quote is not None and quote.asset != row.currency:
        cash = Amount(quote.quantity, quote.asset)
        fee = None  # the report gives the fee only as a value in its own currency
    else:
        gross = row.subtotal
        if gross is None and row.total is not None:
            extra = row.fees or Decimal(0)
            gross = row.total - extra if buying else row.total + extra
        if not gross:
            _reject(builder, row, "Subtotal", f"a {row.kind_text} needs Subtotal or Total", "")
            return
        cash = Amount(gross, row.currency)
        fee = _fee(row)
    coin = Amount(row.quantity, row.asset)
    builder.add(Trade(
        time=row.time, account=ACCOUNT, source=row.source, event_id=ids.take(row),
        sent=cash if buying else coin, received=coin if buying else cash, fee=fee,
        usd_value=_trade_usd(row, cash, buying),
        fee_usd=_usd(row, row.fees) if fee is not None else None, note=row.kind_text,
    ))


def _trade_usd(row: CbRow, cash: Amount, buying: bool) -> Decimal | None:
    """USD value of what a cash trade received, when the file states it: the Subtotal of a
    USD report, or the USD proceeds of a sell (v0 has no Subtotal)."""
    if row.subtotal:
        return _usd(row, row.subtotal)
    return cash.quantity if not buying and cash.asset == USD else None


def _income(row: CbRow, builder: ResultBuilder, ids: _Ids) -> None:
    if row.negative:
        _reject(builder, row, "Quantity Transacted", "income with a negative quantity", f"-{row.quantity}")
        return
    builder.add(Income(time=row.time, account=ACCOUNT, source=row.source, event_id=ids.take(row),
                       received=Amount(row.quantity, row.asset), usd_value=_usd(row, _value(row)),
                       note=row.kind_text))


def _transfer(row: CbRow, builder: ResultBuilder, ids: _Ids) -> None:
    """Sends, receives, fiat deposits/withdrawals, retail <-> Pro/Exchange moves."""
    inflow = row.kind in INFLOWS
    if inflow and row.negative:
        _reject(builder, row, "Quantity Transacted", f"negative quantity for a '{row.kind_text}' row",
                f"-{row.quantity}")
        return
    note = row.kind_text
    if row.kind == "donation":
        note = "Donation: leaves without a disposal (charitable gift, not deducted here)"
    elif row.kind == "admin debit":
        note = "Admin Debit (correction by Coinbase; review)"
    units = Amount(row.quantity, row.asset)
    event: EventBase
    if inflow:
        event = Deposit(time=row.time, account=ACCOUNT, source=row.source, event_id=ids.take(row),
                        received=units, usd_value=_usd(row, _value(row)), note=note)
    else:
        event = Withdrawal(time=row.time, account=ACCOUNT, source=row.source, event_id=ids.take(row),
                           sent=units, usd_value=_usd(row, _value(row)), note=note)
    builder.add(event)


def _convert_group(group: list[CbRow], builder: ResultBuilder, ids: _Ids) -> None:
    """Rows of one conversion (same time and Notes): sold-asset rows take the received leg
    from their Notes unless a received-leg row of the same conversion is present."""
    legs = convert_legs(group[0].notes)
    if legs is None:
        for row in group:
            _reject(builder, row, "Notes", f"{row.kind_text}: the received leg is not in Notes", row.notes)
        return
    source, target = legs
    if source.asset == target.asset:
        _same_asset_convert(group, builder, source.quantity == target.quantity)
        return
    sold = [r for r in group if r.asset == source.asset]
    bought = [r for r in group if r.asset == target.asset]
    for row in group:
        if row not in sold and row not in bought:
            _reject(builder, row, "Asset", "asset is neither side of the conversion in Notes", row.asset_written)
    for index, row in enumerate(sold):
        partner = bought[index] if index < len(bought) else None
        received = Amount(partner.quantity, partner.asset) if partner else Amount(target.quantity, target.asset)
        builder.add(Trade(
            time=row.time, account=ACCOUNT, source=row.source, event_id=ids.take(row),
            sent=Amount(row.quantity, row.asset), received=received,
            usd_value=_usd(partner or row, (partner or row).subtotal), note=row.kind_text,
        ), rows=2 if partner else 1)
    for row in bought[len(sold):]:
        _reject(builder, row, "Asset", "trade leg without its counter-leg (sold side missing)", row.asset_written)


def _same_asset_convert(group: list[CbRow], builder: ResultBuilder, equal: bool) -> None:
    for row in group:
        if equal:
            builder.skip(row.source, "asset migration ETH→ETH2 (Convert): Coinbase ETH2 is staked ETH, not a disposal")
        else:
            _reject(builder, row, "Notes", "conversion between one asset with different quantities", row.notes)
