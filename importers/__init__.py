"""Importers (installed as ``taxmargin.importers``; see pyproject package-dir).

Explicit registry: every layout of every module, in one tuple. Adding an exchange means
adding its module's ``LAYOUTS`` to :func:`_registry`; detection (``base.detect_layout``)
tries them all and requires exactly one match.

The registry is built on first use (``taxmargin.importers.LAYOUTS``, PEP 562 module
``__getattr__``): importing ``taxmargin.importers.base`` (the pricing table, the ledger)
does not load the 55 layouts, which keeps ``taxmargin report`` quick to start (issue 6).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taxmargin.importers.base import Layout

    LAYOUTS: tuple[Layout, ...]

__all__ = ["LAYOUTS", "layout_by_name"]


@cache
def _registry() -> tuple[Layout, ...]:
    """Every layout, in detection-report order."""
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

    return (
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


def __getattr__(name: str) -> object:
    if name == "LAYOUTS":
        return _registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def layout_by_name(name: str) -> Layout:
    for layout in _registry():
        if layout.name == name:
            return layout
    raise KeyError(name)
