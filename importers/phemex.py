"""Phemex importers.

* :mod:`~taxmargin.importers.phemex_fund` — the contract funds / tax report
  (``TAXATION_FUND``): closed-position P&L, trade fees, funding.

Not implemented (no verified layout): Phemex's spot trade, spot order, spot-margin
(borrow / repay / interest) and deposit/withdrawal exports. No public importer, fixture or
help page giving their columns was found (exchange-formats.md §9; searches of public code,
documentation and help pages for this issue found none either); the only candidate is a
third-party docstring that *guesses* ``Time,Symbol,Side,Type,Order Price,Order Qty,Avg
Price,Total,Trading Fee,Status`` [pub-phx-guess], which taxmargin does not implement
rather than invent a layout. Such files are refused as an unknown format; the generic
taxmargin CSV is the way to import them.

Account name: ``phemex``.
"""

from __future__ import annotations

from taxmargin.importers import phemex_fund
from taxmargin.importers.base import Layout

__all__ = ["LAYOUTS"]

LAYOUTS: tuple[Layout, ...] = (*phemex_fund.LAYOUTS,)
