"""A validated Kraken ledger row (shared by the ledger layouts and the event mapping)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from taxmargin.models import SourceRef

__all__ = ["LedgerRow"]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One booked ledger row. ``amount`` is signed and excludes ``fee`` (≥ 0, charged in
    ``fee_asset``); assets are normalised (``XXBT`` -> ``BTC``, ``DOT.S`` -> ``DOT``),
    ``raw_asset`` is the code as written. ``amount_usd``/``fee_usd`` only where the file
    has those columns."""

    source: SourceRef
    txid: str
    refid: str
    time: datetime
    kind: str
    subtype: str
    raw_asset: str
    asset: str
    wallet: str
    amount: Decimal
    fee: Decimal
    fee_asset: str
    balance: Decimal | None
    amount_usd: Decimal | None
    fee_usd: Decimal | None
