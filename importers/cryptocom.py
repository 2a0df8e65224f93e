"""Crypto.com importers.

* :mod:`~taxmargin.importers.cryptocom_app` — the App transaction history (v1 10 columns,
  v2 with ``Transaction Hash``), with credited/debited pairs in
  :mod:`~taxmargin.importers.cryptocom_app_pairs`.
* :mod:`~taxmargin.importers.cryptocom_exchange` — the Exchange 3.0 transaction journal
  (``OEX_TRANSACTION``): spot trades by fill, margin interest, liquidation fees, staking
  rewards, deposits and withdrawals.

Not implemented: the Exchange 1.x/2.x page exports (``create_time_utc,…`` headers, §11) —
lower-case headers known only from an unmerged parser and a fictive data set.

Account name: ``cryptocom`` for both the App and the Exchange (App<->Exchange transfers are
Withdrawal/Deposit pairs that the transfer stage matches).
"""

from __future__ import annotations

from taxmargin.importers import cryptocom_app, cryptocom_exchange
from taxmargin.importers.base import Layout

__all__ = ["LAYOUTS"]

LAYOUTS: tuple[Layout, ...] = (*cryptocom_app.LAYOUTS, *cryptocom_exchange.LAYOUTS)
