"""KuCoin importers: the layouts of every KuCoin export taxmargin reads.

* :mod:`~taxmargin.importers.kucoin_orders` — spot (and margin) order / trade history, old
  (``tradeCreatedAt``) and new (``Spot Orders_Filled Orders``) layouts.
* :mod:`~taxmargin.importers.kucoin_ledger` — the Account History ledger, including the
  cross-margin and isolated-margin account members (borrowings, repayments with interest,
  margin trades, liquidation fees).

Account name: ``kucoin`` (trading, funding and margin accounts are one pool, tax-rules.md
§5.1, U6). Time zones: the header's offset is honoured; headers with none use UTC+8
(BittyTax's Asia/Singapore default) with an ``assumed-timezone`` diagnostic.
"""

from __future__ import annotations

from taxmargin.importers import kucoin_ledger, kucoin_orders
from taxmargin.importers.base import Layout

__all__ = ["LAYOUTS"]

LAYOUTS: tuple[Layout, ...] = (*kucoin_orders.LAYOUTS, *kucoin_ledger.LAYOUTS)
