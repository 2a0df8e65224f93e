"""The ``Notes`` cell of the Coinbase retail report: the other leg of a trade.

A ``Convert`` row has the sold asset in ``Asset`` and the received asset only in ``Notes``
(``Converted 0.00363125 BTC to 156.145683 XRP``); advanced trades name the quote asset
(``Bought 0.25 BTC for 34234.6 EUR on BTC-EUR at 100000 EUR/BTC``), which is not always
the report's currency (``... for 0.05 BTC on ETH-BTC``). Quantities may carry thousands
separators and currency symbols (exchange-formats.md §3, P6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from taxmargin.importers.coinbase_common import parse_money
from taxmargin.importers.coinbase_rows import coinbase_asset
from taxmargin.money import DecimalParseError

__all__ = ["Leg", "convert_legs", "advanced_quote"]

_NUMBER = r"[-$€£¥₹A-Z]{0,3}[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_CONVERTED = re.compile(rf"Converted\s+({_NUMBER})\s+([A-Za-z0-9.]+)\s+to\s+({_NUMBER})\s+([A-Za-z0-9.]+)")
_TRADED = re.compile(rf"(?:Bought|Sold)\s+({_NUMBER})\s+([A-Za-z0-9.]+)\s+for\s+({_NUMBER})\s+([A-Za-z0-9.]+)")


@dataclass(frozen=True, slots=True)
class Leg:
    quantity: Decimal
    asset: str


def _leg(number: str, asset: str) -> Leg | None:
    try:
        value = abs(parse_money(number))
    except DecimalParseError:
        return None
    if value == 0:
        return None
    return Leg(value, coinbase_asset(asset))


def convert_legs(notes: str) -> tuple[Leg, Leg] | None:
    """``(from, to)`` of ``Converted X A to Y B``, or None when Notes do not say it."""
    match = _CONVERTED.search(notes)
    if match is None:
        return None
    source = _leg(match.group(1), match.group(2))
    target = _leg(match.group(3), match.group(4))
    if source is None or target is None:
        return None
    return source, target


def advanced_quote(notes: str) -> Leg | None:
    """The quote leg of ``Bought/Sold X A for Y Q on PAIR`` (``Y Q``), or None."""
    match = _TRADED.search(notes)
    if match is None:
        return None
    return _leg(match.group(3), match.group(4))
