"""Bybit importers: the layouts of every Bybit export taxmargin reads.

* :mod:`~taxmargin.importers.bybit_uta` — Unified Trading Account transaction log (three
  header versions): spot fills, spot-margin interest and implied borrowing, perpetual and
  futures realized P&L, funding, liquidations, transfers.
* :mod:`~taxmargin.importers.bybit_fund` — Funding account log ("AssetChangeDetails_fund").
* :mod:`~taxmargin.importers.bybit_pnl` — derivatives "Closed P&L" export.

Account name: ``bybit`` (spot, margin, derivatives and funding sub-accounts are one pool,
tax-rules.md §5.1, U6). Do not import the closed-P&L export together with the UTA log of
the same period: both contain the same realized P&L.
"""

from __future__ import annotations

from taxmargin.importers import bybit_fund, bybit_pnl, bybit_uta
from taxmargin.importers.base import Layout

__all__ = ["LAYOUTS"]

LAYOUTS: tuple[Layout, ...] = (*bybit_uta.LAYOUTS, *bybit_fund.LAYOUTS, *bybit_pnl.LAYOUTS)
