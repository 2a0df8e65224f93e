"""Kraken asset codes, trading pairs, the whole-row-quoted CSV variant and the layout base
both Kraken files share (:class:`KrakenCsvLayout`).

Asset codes (exchange-formats.md §4.1, [BT-kraken] ``ALT_ASSETS``): classic X/Z-prefixed
codes (``XXBT``, ``XETH``, ``XXDG``, ``ZUSD``, ``ZEUR``...), ``XBT`` = BTC, ``XDG`` = DOGE,
staking/earn suffixes ``.S``, ``.M``, ``.B``, ``.F``, ``.P``, ``.HOLD`` and bonded codes
with a period (``DOT28.S``). Suffixed units are the same coin in another Kraken wallet
(one pool per exchange account, tax-rules.md U6), so they normalise to the plain code.
``ETH2``/``ETH2.S`` stay ``ETH2``: Kraken listed them as a separately priced asset.
``KFEE`` (fee credits) is not an asset.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

from taxmargin.importers.base import CsvLayout, FileText, RowContext
from taxmargin.importers.coinbase_common import ResultBuilder

__all__ = [
    "ACCOUNT", "KFEE", "KrakenCsvLayout", "kraken_asset", "has_wallet_suffix", "split_pair", "unwrap_quoted_rows",
]

ACCOUNT = "kraken"
KFEE = "KFEE"

_ALIASES: dict[str, str] = {
    "XXBT": "BTC", "XBT": "BTC", "XBT.M": "BTC", "XETH": "ETH", "XXDG": "DOGE", "XDG": "DOGE",
    "XXRP": "XRP", "XLTC": "LTC", "XXLM": "XLM", "XXMR": "XMR", "XETC": "ETC", "XMLN": "MLN",
    "XREP": "REP", "XZEC": "ZEC", "XICN": "ICN", "XNMC": "NMC", "XXVN": "XVN",
    "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY", "ZAUD": "AUD",
    "ZCHF": "CHF", "ZKRW": "KRW",
}
_SUFFIX = re.compile(r"^(?P<base>[A-Z0-9]+?)(?P<period>\d\d)?\.(?:S|M|B|F|P|HOLD)$")
_CODE = re.compile(r"[A-Z0-9]{1,16}(?:\.[A-Z]{1,4})?")

#: quote assets of slash-less pairs, longest first ([BT-kraken] QUOTE_ASSETS)
_QUOTES = sorted(
    ("ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZAUD", "XXBT", "XETH", "USDT", "USDC", "PYUSD",
     "USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "AED", "DAI", "XBT", "ETH", "DOT"),
    key=len, reverse=True,
)
_PAIR_QUOTES = {"ETHPYUSD": "PYUSD", "XBTPYUSD": "PYUSD", "XTZUSD": "USD", "XTZEUR": "EUR",
                "XTZGBP": "GBP", "XTZAUD": "AUD", "ICXETH": "ETH", "SNXETH": "ETH", "TRXETH": "ETH"}


def kraken_asset(code: str) -> str | None:
    """The normalised asset of a Kraken code, or None when ``code`` is not an asset code."""
    raw = code.strip().upper()
    if not _CODE.fullmatch(raw):
        return None
    if raw in _ALIASES:
        return _ALIASES[raw]
    match = _SUFFIX.match(raw)
    if match:
        base = match.group("base")  # the bonding period (``28`` of DOT28.S) is dropped
        return _ALIASES.get(base, base)
    return raw


def has_wallet_suffix(code: str) -> bool:
    """True for staking/earn wallet codes (``DOT.S``, ``USD.HOLD``, ``ETH2.S``)."""
    return _SUFFIX.match(code.strip().upper()) is not None


def split_pair(pair: str) -> tuple[str, str] | None:
    """``(base, quote)`` normalised, from ``ETH/BTC`` or ``XXBTZUSD`` (quote table)."""
    text = pair.strip().upper()
    if "/" in text:
        base, _, quote = text.partition("/")
    elif text in _PAIR_QUOTES:
        quote = _PAIR_QUOTES[text]
        base = text[: -len(quote)]
    else:
        quote = next((q for q in _QUOTES if text.endswith(q) and len(text) > len(q)), "")
        base = text[: -len(quote)] if quote else ""
    base_asset, quote_asset = kraken_asset(base), kraken_asset(quote)
    if not base_asset or not quote_asset:
        return None
    return base_asset, quote_asset


def unwrap_quoted_rows(file: FileText) -> FileText:
    """Undo the broken export where each whole row is one quoted field with doubled inner
    quotes (``"txid,""ordertxid"",…"``, exchange-formats.md P3). Lines keep their numbers."""
    first = next((line for line in file.head_lines(5) if line.strip()), "")
    if not _is_wrapped(first):
        return file
    out: list[str] = []
    for line in file.text.splitlines():
        out.append(_unwrap(line) if _is_wrapped(line) else line)
    return replace(file, text="\n".join(out) + "\n")


def _cells(line: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(line)), [])
    except csv.Error:
        return []


def _is_wrapped(line: str) -> bool:
    cells = _cells(line)
    return len(cells) == 1 and "," in cells[0] and line.lstrip().startswith('"')


def _unwrap(line: str) -> str:
    return _cells(line)[0]


class KrakenCsvLayout(CsvLayout):
    """Base of the Kraken ``ledgers.csv`` and ``trades.csv`` layouts: each header must match
    exactly (``strict_columns``), and a file whose whole rows are quoted
    (:func:`unwrap_quoted_rows`) is detected and read as the plain file."""

    strict_columns = True
    columns: ClassVar[tuple[str, ...]] = ()

    def detect(self, file: FileText) -> bool:
        return super().detect(unwrap_quoted_rows(file))

    def good_rows(self, file: FileText, builder: ResultBuilder) -> Iterator[RowContext]:
        """The readable rows of ``file`` (unwrapped); every row counts in
        ``builder.rows_read`` and a CSV-level bad row is rejected in ``builder``."""
        for item in self.rows(unwrap_quoted_rows(file)):
            builder.rows_read += 1
            if not isinstance(item, RowContext):
                builder.reject([item])
                continue
            yield item
