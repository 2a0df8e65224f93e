"""Coinbase importers: the retail transaction report and Coinbase Pro / Advanced Trade.

Layouts (one class per version; detection by exact header, after any BOM and preamble):

==============================  ==========================================================
``coinbase-v0``                 retail report ≤2018, ``<CCY> Amount Transacted (Inclusive
                                of Coinbase Fees)``, ``MM/DD/YYYY`` dates
``coinbase-v1``                 2020 → mid-2021, currency in column names (``EUR Subtotal``)
``coinbase-v2``                 mid-2021 → 2022, ``Spot Price Currency``
``coinbase-v3``                 2022-09 → early 2024, ``Fees and/or Spread``
``coinbase-v4``                 2024-05 →, ``ID`` column, symbols, signed quantities
``coinbase-v5``                 v4 + ``Sender Address``, ``Recipient Address``
``coinbase-pro-fills``          Pro / Advanced Trade fills (with ``portfolio``)
``coinbase-pro-fills-v1``       older fills (no ``portfolio``)
``coinbase-pro-account``        Pro account statement (with ``portfolio``)
``coinbase-pro-account-v1``     older statement (no ``portfolio``)
``coinbase-pro-account-title``  Title-Case statement (``Timestamp``)
==============================  ==========================================================

Sources: exchange-formats.md §3 and §3.1 — BittyTax ``coinbase.py`` / ``coinbasepro.py``
[BT-coinbase] [BT-coinbasepro], CoinTaxman [CTM], GhostfolioSidekick fixtures [GFS],
Export-To-Ghostfolio sample [ETG], everytrade parser files [ET-files], rotki [ROTKI].

Time zone: every timestamp is UTC (``Z`` or `` UTC`` in the value); v0 dates have no time
and are taken as 00:00 UTC with an ``assumed-timezone`` diagnostic.

Pitfalls handled (exchange-formats.md §0): P1 BOM and blank line before the preamble;
P2 preamble found by content (disclaimer, ``Transactions``, ``User,…``); P6 currency symbols
and quoted thousands in money cells (``"$16,047.61"``, ``-€597.49846``; cp1252 ``€`` byte
0x80 decoded by ``base.load_file``); P7 exponent quantities; P11 newest-first rows (events
are returned in time order); P12 identical rows without an ID are all kept; P17 signed
(v4+) and unsigned quantities. Duplicate ``ID`` with conflicting data is rejected on the
later row. Coinbase ``ETH2`` (staked ETH) is pooled as ``ETH``; ETH→ETH2 converts and
ETH2→ETH Send/Receive pairs are non-taxable migrations. The account is ``coinbase`` for
retail and Pro alike (one exchange account, tax-rules.md U6).
"""

from __future__ import annotations

from taxmargin.importers.base import Layout
from taxmargin.importers.coinbase_common import as_layouts
from taxmargin.importers.coinbase_pro import CoinbaseProFills, CoinbaseProFillsV1
from taxmargin.importers.coinbase_pro_account import (
    CoinbaseProAccount,
    CoinbaseProAccountTitle,
    CoinbaseProAccountV1,
)
from taxmargin.importers.coinbase_retail import RETAIL_LAYOUTS

__all__ = ["LAYOUTS"]

LAYOUTS: tuple[Layout, ...] = as_layouts((
    *RETAIL_LAYOUTS,
    CoinbaseProFills(),
    CoinbaseProFillsV1(),
    CoinbaseProAccount(),
    CoinbaseProAccountV1(),
    CoinbaseProAccountTitle(),
))
