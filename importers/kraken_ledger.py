"""Kraken ``ledgers.csv``: the authoritative balance file, every header version.

Versions (exchange-formats.md §4.1): oldest (no ``subtype``), classic (≈2019–2023),
classic + ``amountusd``, + ``wallet``, + ``wallet`` + ``amountusd``, current (2024→, with
``subclass`` and ``wallet``) and current + ``amountusd,feeusd,balanceusd,feecurrency``
(seen in tests only). Each header must match exactly, so versions never clash. Rows are
read here (:class:`LedgerRow`) and turned into events by
:mod:`taxmargin.importers.kraken_ledger_events`.

``amount`` is signed and excludes ``fee``; ``fee`` is charged in the row's asset (or in
``feecurrency`` when that column is filled); ``balance`` = previous + amount − fee, which is
checked per asset and wallet (a ``balance-mismatch`` warning points at gaps in the
export) and kept as the file's balance checkpoints (:func:`ledger_checkpoints`, issue 7).
Rows with an empty ``txid`` are pending/failed and are skipped [FEEL] [BT-kraken].
``time`` has no zone: Kraken documents UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from taxmargin.errors import Severity
from taxmargin.importers.base import (
    AUTHORITY_LEDGER,
    BalanceCheckpoint,
    BalanceRow,
    FileText,
    ImportResult,
    RowContext,
    balance_checkpoints,
)
from taxmargin.importers.coinbase_common import ResultBuilder
from taxmargin.importers.kraken_common import ACCOUNT, KFEE, KrakenCsvLayout, kraken_asset
from taxmargin.importers.kraken_ledger_events import build_ledger_events
from taxmargin.importers.kraken_rows import LedgerRow
from taxmargin.models import SourceRef

__all__ = [
    "KrakenLedgerOldest",
    "KrakenLedgerClassic",
    "KrakenLedgerClassicUsd",
    "KrakenLedgerWallet",
    "KrakenLedgerWalletUsd",
    "KrakenLedgerCurrent",
    "KrakenLedgerCurrentUsd",
    "LEDGER_LAYOUTS",
]

_CLASSIC = ("txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance")
_WALLET = ("txid", "refid", "time", "type", "subtype", "aclass", "asset", "wallet", "amount", "fee", "balance")
_CURRENT = ("txid", "refid", "time", "type", "subtype", "aclass", "subclass", "asset", "wallet",
            "amount", "fee", "balance")


@dataclass(frozen=True, slots=True)
class _Pending:
    source: SourceRef


class _KrakenLedger(KrakenCsvLayout):
    def parse(self, file: FileText) -> ImportResult:
        builder = ResultBuilder(self.name)
        rows: list[LedgerRow] = []
        for item in self.good_rows(file, builder):
            row = read_ledger_row(item)
            if isinstance(row, _Pending):
                builder.skip(row.source, "pending or failed ledger row (empty txid; the booked row follows)")
            elif row is None:
                builder.reject(item.errors)
            else:
                rows.append(row)
        if rows:
            builder.note_once("assumed-timezone", "Kraken ledger times carry no zone; taken as UTC "
                              "(Kraken's documented zone)", rows[0].source)
        check_balances(rows, builder)
        build_ledger_events(rows, builder)
        result = builder.result()
        # authoritative: its event replaces a trades.csv one with the same id (P14)
        return replace(result, balances=ledger_checkpoints(rows, result), authority=AUTHORITY_LEDGER)


class KrakenLedgerOldest(_KrakenLedger):
    name = "kraken-ledgers-oldest"
    description = "Kraken ledgers.csv, oldest header (no subtype)"
    columns = ("txid", "refid", "time", "type", "aclass", "asset", "amount", "fee", "balance")


class KrakenLedgerClassic(_KrakenLedger):
    name = "kraken-ledgers-classic"
    description = "Kraken ledgers.csv, classic 10-column header (≈2019–2023)"
    columns = _CLASSIC


class KrakenLedgerClassicUsd(_KrakenLedger):
    name = "kraken-ledgers-classic-usd"
    description = "Kraken ledgers.csv, classic header + amountusd"
    columns = (*_CLASSIC, "amountusd")


class KrakenLedgerWallet(_KrakenLedger):
    name = "kraken-ledgers-wallet"
    description = "Kraken ledgers.csv, classic header + wallet"
    columns = _WALLET


class KrakenLedgerWalletUsd(_KrakenLedger):
    name = "kraken-ledgers-wallet-usd"
    description = "Kraken ledgers.csv, wallet header + amountusd"
    columns = (*_WALLET, "amountusd")


class KrakenLedgerCurrent(_KrakenLedger):
    name = "kraken-ledgers-current"
    description = "Kraken ledgers.csv, current 12-column header (2024→, subclass + wallet)"
    columns = _CURRENT


class KrakenLedgerCurrentUsd(_KrakenLedger):
    name = "kraken-ledgers-current-usd"
    description = "Kraken ledgers.csv, current header + amountusd, feeusd, balanceusd, feecurrency"
    columns = (*_CURRENT, "amountusd", "feeusd", "balanceusd", "feecurrency")


LEDGER_LAYOUTS = (
    KrakenLedgerOldest(),
    KrakenLedgerClassic(),
    KrakenLedgerClassicUsd(),
    KrakenLedgerWallet(),
    KrakenLedgerWalletUsd(),
    KrakenLedgerCurrent(),
    KrakenLedgerCurrentUsd(),
)


def _asset(ctx: RowContext, column: str) -> str:
    asset = kraken_asset(ctx.get(column))
    if asset is None:
        ctx.fail(column, "is not an asset code")
        return ""
    return asset


def read_ledger_row(ctx: RowContext) -> LedgerRow | _Pending | None:
    """Validate one ledger row; None (with column errors in ``ctx``) when it is bad."""
    if not ctx.get("txid"):
        return _Pending(ctx.source)
    time = ctx.time("time")
    kind = " ".join(ctx.get("type").lower().split())
    if not kind:
        ctx.fail("type", "is required")
    raw_asset = ctx.get("asset").upper()
    asset = _asset(ctx, "asset")
    fee_asset = _asset(ctx, "feecurrency") if ctx.get("feecurrency") else asset
    amount = ctx.decimal("amount", signed=True)
    fee = ctx.decimal("fee", signed=True, required=False) or Decimal(0)
    if fee < 0:
        ctx.fail("fee", "a negative fee (refund) is not supported; enter it with the generic CSV")
    balance = ctx.decimal("balance", signed=True, required=False)
    amount_usd = ctx.decimal("amountusd", signed=True, required=False)
    fee_usd = ctx.decimal("feeusd", signed=True, required=False)
    if not ctx.get("refid"):
        ctx.fail("refid", "is required")
    if ctx.errors or time is None or amount is None:
        return None
    return LedgerRow(
        source=ctx.source, txid=ctx.get("txid"), refid=ctx.get("refid"), time=time, kind=kind,
        subtype=ctx.get("subtype").lower(), raw_asset=raw_asset, asset=asset,
        wallet=ctx.get("wallet").lower(), amount=amount, fee=fee, fee_asset=fee_asset,
        balance=balance, amount_usd=amount_usd, fee_usd=fee_usd,
    )


def check_balances(rows: list[LedgerRow], builder: ResultBuilder) -> None:
    """balance = previous balance + amount − fee, per (asset code, wallet) [KR-L]."""
    last: dict[tuple[str, str], Decimal] = {}
    warned: set[tuple[str, str]] = set()
    for row in rows:
        if row.balance is None:
            continue
        key = (row.raw_asset, row.wallet)
        change = row.amount - (row.fee if row.fee_asset == row.asset else Decimal(0))
        if key in last and last[key] + change != row.balance and key not in warned:
            warned.add(key)
            builder.note("balance-mismatch",
                         f"{row.raw_asset} balance {row.balance} does not follow from the previous row "
                         f"({last[key]} + {change}); rows may be missing from the export",
                         row.source, severity=Severity.WARNING)
        last[key] = row.balance


def _change(row: LedgerRow) -> Decimal:
    """The row's change of its own asset code's balance: amount − fee (a fee charged in
    another currency, ``feecurrency``, leaves this balance alone) [KR-L]."""
    return row.amount - (row.fee if row.fee_asset == row.asset else Decimal(0))


def ledger_checkpoints(rows: list[LedgerRow], result: ImportResult) -> tuple[BalanceCheckpoint, ...]:
    """The ``balance`` column as checkpoints of account ``kraken`` (issue 7).

    Kraken keeps one balance per asset code and wallet (``DOT``, ``DOT.S``, ``spot / main``,
    ``earn / bonded``...); the pool is their sum (tax-rules.md §5.1, U6). Rows the importer
    knowingly skips (moves between those wallets) count as ``skipped``; rejected rows do
    not, so a balance check points at them. ``KFEE`` is not an asset (no checkpoints).
    """
    skipped = {row.source for row in result.non_taxable}
    stated = [
        BalanceRow(source=row.source, time=row.time, account=ACCOUNT, asset=row.asset,
                   stream=f"{row.raw_asset} {row.wallet}", before=row.balance - _change(row),
                   after=row.balance, skipped=row.source in skipped)
        for row in rows
        if row.balance is not None and row.asset != KFEE
    ]
    return balance_checkpoints(stated)
