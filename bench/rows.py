"""Row writers of the benchmark generator: the taxmargin CSV and the Binance statement.

Both stream straight to disk (one ``write`` per row), so a million events never sit in
memory. Amounts arrive as integers in 1e-8 units (``ledgerstate.SCALE``).

- taxmargin CSV: interfaces.md §2, every column of ``taxmargin.codec.GENERIC_COLUMNS``
  (the literal list below is used when the codec cannot be imported).
- Binance "Transaction History" statement v2 (exchange-formats.md §1.1): header
  ``User_ID,UTC_Time,Account,Operation,Coin,Change,Remark``, every field quoted as in
  ``shared/samples/binance/binance_margin_statement_constructed.csv``, ``Change`` signed
  with 8 decimals, times ``YYYY-MM-DD HH:MM:SS`` UTC.
"""

from __future__ import annotations

import time
from typing import TextIO

from ledgerstate import SCALE

try:
    from taxmargin.codec import GENERIC_COLUMNS
except ImportError:  # the codec is another helper's module; keep the generator usable
    GENERIC_COLUMNS = (
        "time", "account", "type",
        "sent_quantity", "sent_asset", "received_quantity", "received_asset",
        "fee_quantity", "fee_asset", "usd_value", "fee_usd_value", "to_account",
        "basis_usd", "acquired", "lots", "id", "note", "source",
    )  # fmt: skip

__all__ = ["GENERIC_COLUMNS", "fx", "iso", "Leg", "GenericWriter", "BinanceWriter"]

#: (sub-account, operation, coin, signed change in 1e-8 units)
Leg = tuple[str, str, str, int]

_INDEX = {name: i for i, name in enumerate(GENERIC_COLUMNS)}
_BINANCE_HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"\n'
_USER = "12345678"


def fx(value: int) -> str:
    """A non-negative 1e-8 integer as a plain decimal without trailing zeros."""
    whole, frac = divmod(value, SCALE)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:08d}".rstrip("0")


def iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _signed8(value: int) -> str:
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), SCALE)
    return f"{sign}{whole}.{frac:08d}"


class GenericWriter:
    """Writes taxmargin-CSV rows; counts events per type."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.counts: dict[str, int] = {}
        stream.write(",".join(GENERIC_COLUMNS) + "\n")

    def event(
        self,
        ts: int,
        account: str,
        kind: str,
        *,
        sent: tuple[int, str] | None = None,
        received: tuple[int, str] | None = None,
        fee: tuple[int, str] | None = None,
        usd: int | None = None,
        fee_usd: int | None = None,
        to_account: str = "",
        basis: int | None = None,
        acquired: int | None = None,
    ) -> None:
        cells = [""] * len(GENERIC_COLUMNS)
        cells[0], cells[1], cells[2] = iso(ts), account, kind
        if sent is not None:
            cells[3], cells[4] = fx(sent[0]), sent[1]
        if received is not None:
            cells[5], cells[6] = fx(received[0]), received[1]
        if fee is not None and fee[0] > 0:
            cells[7], cells[8] = fx(fee[0]), fee[1]
            if fee_usd is not None:
                cells[10] = fx(fee_usd)
        if usd is not None:
            cells[9] = fx(usd)
        if to_account:
            cells[_INDEX["to_account"]] = to_account
        if basis is not None:
            cells[_INDEX["basis_usd"]] = fx(basis)
        if acquired is not None:
            cells[_INDEX["acquired"]] = iso(acquired)
        self.stream.write(",".join(cells) + "\n")
        self.counts[kind] = self.counts.get(kind, 0) + 1


class BinanceWriter:
    """Writes Binance statement v2 rows (one per balance change)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.rows = 0
        stream.write(_BINANCE_HEADER)

    def legs(self, ts: int, legs: list[Leg]) -> None:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))
        write = self.stream.write
        for account, operation, coin, change in legs:
            write(f'"{_USER}","{when}","{account}","{operation}","{coin}","{_signed8(change)}",""\n')
        self.rows += len(legs)
