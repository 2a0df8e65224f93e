"""Importers (installed as ``taxmargin.importers``; see pyproject package-dir).

Explicit registry: every layout of every module, in one tuple. Adding an exchange means
adding its module's ``LAYOUTS`` here; detection (``base.detect_layout``) tries them all and
requires exactly one match.
"""

from __future__ import annotations

from taxmargin.importers import (
    binance,
    binance_us,
    bybit,
    coinbase,
    cryptocom,
    generic,
    kraken,
    kucoin,
    phemex,
)
from taxmargin.importers.base import Layout

__all__ = ["LAYOUTS", "layout_by_name"]

LAYOUTS: tuple[Layout, ...] = (
    *generic.LAYOUTS,
    *binance.LAYOUTS,
    *binance_us.LAYOUTS,
    *coinbase.LAYOUTS,
    *kraken.LAYOUTS,
    *bybit.LAYOUTS,
    *kucoin.LAYOUTS,
    *phemex.LAYOUTS,
    *cryptocom.LAYOUTS,
)


def layout_by_name(name: str) -> Layout:
    for layout in LAYOUTS:
        if layout.name == name:
            return layout
    raise KeyError(name)
