"""Kraken importers: ``ledgers.csv`` (authoritative, all margin effects) and ``trades.csv``.

Layouts (one class per header version; exact header match after unwrapping the
whole-row-quoted variant, P3):

==============================  ========================================================
``kraken-ledgers-oldest``       ``txid,refid,time,type,aclass,asset,amount,fee,balance``
``kraken-ledgers-classic``      + ``subtype`` (≈2019–2023; margin/rollover era)
``kraken-ledgers-classic-usd``  classic + ``amountusd``
``kraken-ledgers-wallet``       classic + ``wallet``
``kraken-ledgers-wallet-usd``   wallet + ``amountusd``
``kraken-ledgers-current``      2024→: + ``subclass``, ``wallet``
``kraken-ledgers-current-usd``  current + ``amountusd,feeusd,balanceusd,feecurrency``
``kraken-trades-22``            old trades with position columns (``postxid``…)
``kraken-trades-13``            13 columns (≈2020–2024); ``kraken-trades-13-usd`` + costusd
``kraken-trades-11``            without ``margin``, ``misc``
``kraken-trades-24``            current 24 columns; ``kraken-trades-24-usd`` + costusd
==============================  ========================================================

Sources: exchange-formats.md §4 — Kraken support articles [KR-L] (ledger fields), [KR-D]
(ledger vs trades, liquidations), [KR-T] (trade fields); BittyTax ``kraken.py``
[BT-kraken]; real exports [ROYE] (2024 ledger + trades) and [FEEL]; CoinTaxman [CTM].

Time zone: Kraken writes UTC without a zone (``2024-11-02 08:39:43``, trades with fractional
seconds); an ``assumed-timezone`` note says so once per file.

Margin mapping (details in :mod:`kraken_ledger_groups`): Kraken margin is P/L-settled — no
borrow/repay rows exist. ``margin`` rows -> RealizedPnl (close P/L with its closing fee;
opening fees as losses, part of the position's capital P&L, tax-rules.md §4.7); ``rollover``
-> Interest (Form 4952); ``settled`` -> Trade (the position settled with spot balance);
several ``margin`` rows of one refid -> liquidation (warning). Trades in ``trades.csv``
share ids with the ledger (txid = refid), so both files together store each trade once;
margin rows of ``trades.csv`` are non-taxable there (their P&L is in the ledger).

Pitfalls handled (§0): P3 quoted/unquoted and whole-row-quoted files; P13 two ledger rows
(+ fee row) per trade, fee on either leg; P14 trades.csv fee is an estimate; P15 one-legged
trades rejected, not invented; P17 signed amounts, fee column separate; X/Z asset codes and
staking suffixes normalised; pending rows with an empty txid skipped; reversed
deposits/withdrawals; balance chain checked.
"""

from __future__ import annotations

from taxmargin.importers.base import Layout
from taxmargin.importers.coinbase_common import as_layouts
from taxmargin.importers.kraken_ledger import LEDGER_LAYOUTS
from taxmargin.importers.kraken_trades import TRADES_LAYOUTS

__all__ = ["LAYOUTS"]

LAYOUTS: tuple[Layout, ...] = as_layouts((*LEDGER_LAYOUTS, *TRADES_LAYOUTS))
