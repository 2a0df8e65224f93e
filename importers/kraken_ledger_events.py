"""Kraken ledger rows -> events (the ``type``/``subtype`` vocabulary of [KR-L] [BT-kraken]).

=========================  ===============================================================
``trade`` / ``settled`` /  grouped by refid -> Trade (:mod:`kraken_ledger_groups`)
``spend``+``receive`` /
``adjustment``
``margin`` (``margin       realised P/L and position fees -> RealizedPnl; several rows of
trade``)                   one refid = liquidation
``rollover``               interest on the borrowed part of an open position, charged
                           every 4 h (fee column) -> Interest (Form 4952, tax-rules.md §3.2)
``deposit``/``withdrawal`` Deposit / Withdrawal with the row's fee; a negative deposit or a
                           positive withdrawal reverses a failed one [BT-kraken]; a move
                           between spot and a staking code (``DOT`` ↔ ``DOT.S``) of one
                           quantity is non-taxable (one pool, U6)
``staking``, ``earn``      reward -> Income; allocation/deallocation/migration/autoallocate
                           -> non-taxable (moves into/out of Earn)
``dividend``, ``invite     Income
bonus``
``transfer``               spot↔staking/futures subtypes -> non-taxable; ``airdrop`` or no
                           subtype with a credit -> Income (fork/airdrop); a debit without
                           subtype (delisting) -> Spend; ``delistingconversion`` -> Income
                           (new units) / Spend (old units), flagged for review
=========================  ===============================================================

``KFEE`` fee-credit rows are non-taxable (not an asset). Ids: trades use the refid (shared
with ``trades.csv``); every other event uses the ledger row's own ``txid``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from taxmargin.errors import RowError
from taxmargin.importers.coinbase_common import ResultBuilder
from taxmargin.importers.kraken_common import ACCOUNT, KFEE, has_wallet_suffix
from taxmargin.importers.kraken_ledger_groups import fee_of, fee_usd_of, margin_group, trade_group, usd_of
from taxmargin.importers.kraken_rows import LedgerRow
from taxmargin.models import Amount, Deposit, EventBase, Income, Interest, Spend, Withdrawal

__all__ = ["build_ledger_events"]

GROUPED = {"trade": "trade", "settled": "settled", "spend": "spend", "receive": "spend", "adjustment": "adjustment"}
MARGIN = frozenset({"margin", "margin trade"})
INTERNAL_TRANSFERS = frozenset({
    "spottostaking", "stakingtospot", "spotfromstaking", "stakingfromspot", "spottofutures", "spotfromfutures",
})
EARN_MOVES = frozenset({"migration", "autoallocate", "autoallocation", "allocation", "deallocation"})
INCOME_KINDS = {"staking": "staking reward", "dividend": "dividend", "invite bonus": "invite bonus"}
MOVE_WINDOW = timedelta(days=7)


def build_ledger_events(rows: list[LedgerRow], builder: ResultBuilder) -> None:
    """Every row to an event, a non-taxable row or a rejection (recorded in ``builder``)."""
    groups: dict[tuple[str, str], list[LedgerRow]] = defaultdict(list)
    margins: dict[str, list[LedgerRow]] = defaultdict(list)
    singles: list[LedgerRow] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.txid in first_line:
            _reject(row, "txid", row.txid, f"duplicate ledger txid (first on line {first_line[row.txid]})", builder)
            continue
        first_line[row.txid] = row.source.line
        if row.asset == KFEE or row.fee_asset == KFEE:
            builder.skip(row.source, "Kraken fee credits (KFEE) are not an asset")
        elif row.kind in GROUPED:
            groups[(GROUPED[row.kind], row.refid)].append(row)
        elif row.kind in MARGIN:
            margins[row.refid].append(row)
        else:
            singles.append(row)
    moves = _wallet_moves(singles)
    for row in singles:
        if row.txid in moves:
            builder.skip(row.source, f"move of {row.asset} between Kraken spot and staking wallets (U6)")
        else:
            _single(row, builder)
    for (kind, _), group in groups.items():
        trade_group(kind, group, builder)
    for group in margins.values():
        margin_group(group, builder)


def _wallet_moves(rows: list[LedgerRow]) -> set[str]:
    """txids of deposit/withdrawal pairs that move one quantity between a spot code and a
    staking code of the same coin (``withdrawal DOT`` + ``deposit DOT.S``), ≤ 7 days apart."""
    spot: dict[tuple[str, Decimal], list[LedgerRow]] = defaultdict(list)
    staked: list[LedgerRow] = []
    for row in rows:
        if row.kind in ("deposit", "withdrawal"):
            if has_wallet_suffix(row.raw_asset):
                staked.append(row)
            else:
                spot[(row.asset, row.amount)].append(row)
    paired: set[str] = set()
    for move in staked:
        for other in spot.get((move.asset, -move.amount), []):
            if other.txid not in paired and abs(other.time - move.time) <= MOVE_WINDOW:
                paired |= {other.txid, move.txid}
                break
    return paired


def _reject(row: LedgerRow, column: str, value: str, message: str, builder: ResultBuilder) -> None:
    builder.reject([RowError(row.source, column, value, message)])


def _single(row: LedgerRow, builder: ResultBuilder) -> None:
    if row.kind in ("deposit", "withdrawal"):
        _deposit_withdrawal(row, builder)
    elif row.kind == "rollover":
        _rollover(row, builder)
    elif row.kind in INCOME_KINDS:
        _income(row, INCOME_KINDS[row.kind], builder)
    elif row.kind == "earn":
        _earn(row, builder)
    elif row.kind == "transfer":
        _transfer(row, builder)
    else:
        _reject(row, "type", row.kind, "unknown ledger type", builder)


def _deposit_withdrawal(row: LedgerRow, builder: ResultBuilder) -> None:
    if row.amount == 0:
        _reject(row, "amount", "0", f"a {row.kind} without an amount", builder)
        return
    units = Amount(abs(row.amount), row.asset)
    reversal = (row.kind == "deposit") != (row.amount > 0)
    note = f"reversal of a failed {row.kind}" if reversal else ""
    usd = usd_of(row, units.quantity, units.asset)
    event: EventBase
    if row.amount > 0:
        event = Deposit(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid, received=units,
                        fee=fee_of(row), fee_usd=fee_usd_of(row), usd_value=usd, note=note)
    else:
        event = Withdrawal(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid, sent=units,
                           fee=fee_of(row), fee_usd=fee_usd_of(row), usd_value=usd, note=note)
    builder.add(event)


def _rollover(row: LedgerRow, builder: ResultBuilder) -> None:
    """Rollover fee = interest paid on the position's borrowed part [KR-L] [KR-D]."""
    if row.amount > 0 or (row.amount < 0 and row.fee_asset != row.asset):
        _reject(row, "amount", str(row.amount), "a rollover must not credit the account", builder)
        return
    paid = Amount(row.fee - row.amount, row.fee_asset)
    if paid.quantity == 0:
        builder.skip(row.source, "rollover of zero")
        return
    builder.add(Interest(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid, sent=paid,
                         usd_value=fee_usd_of(row) if row.amount == 0 else usd_of(row, paid.quantity, paid.asset),
                         note="margin rollover (interest on a position's borrowed part)"))


def _income(row: LedgerRow, note: str, builder: ResultBuilder) -> None:
    if row.amount <= 0:
        _reject(row, "amount", str(row.amount), f"a {row.kind} row must credit the account", builder)
        return
    units = Amount(row.amount, row.asset)
    builder.add(Income(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid, received=units,
                       fee=fee_of(row), fee_usd=fee_usd_of(row), usd_value=usd_of(row, units.quantity, units.asset),
                       note=note))


def _earn(row: LedgerRow, builder: ResultBuilder) -> None:
    if row.subtype in EARN_MOVES or (row.subtype == "" and row.fee == 0):
        builder.skip(row.source, f"move into/out of Kraken Earn ({row.subtype or 'no subtype'}; same account, U6)")
    elif row.subtype == "reward":
        _income(row, "earn reward", builder)
    else:
        _reject(row, "subtype", row.subtype, "unknown earn subtype", builder)


def _transfer(row: LedgerRow, builder: ResultBuilder) -> None:
    if row.subtype in INTERNAL_TRANSFERS:
        builder.skip(row.source, f"move between Kraken wallets ({row.subtype}; same account, U6)")
        return
    if row.subtype not in ("", "airdrop", "delistingconversion"):
        _reject(row, "subtype", row.subtype, "unknown transfer subtype", builder)
        return
    if row.amount > 0:
        label = "delisting conversion: new units (review)" if row.subtype else "airdrop or fork"
        _income(row, "airdrop" if row.subtype == "airdrop" else label, builder)
    elif row.amount < 0 and row.subtype != "airdrop":
        units = Amount(-row.amount, row.asset)
        label = "delisting conversion: old units (review)" if row.subtype else "delisting (units removed; review)"
        builder.add(Spend(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid, sent=units,
                          fee=fee_of(row), fee_usd=fee_usd_of(row), usd_value=usd_of(row, units.quantity, units.asset),
                          note=label))
    else:
        _reject(row, "amount", str(row.amount), "transfer without a usable amount", builder)
