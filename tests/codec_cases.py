"""Shared rows and events for the codec tests (test_codec, test_codec_write, test_codec_fast):
the base trade row, one valid row per type (``VALID``) and one fully set event per type
(``ROUND_TRIP``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from taxmargin.models import (
    EVENT_TYPES,
    Amount,
    Borrow,
    Deposit,
    EventBase,
    Fee,
    Funding,
    Income,
    Interest,
    Liquidation,
    RealizedPnl,
    Repay,
    SourceRef,
    Spend,
    Trade,
    Transfer,
    Withdrawal,
    WriteOff,
)

T = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HERE = SourceRef("g.csv", 7)
KNOWN = ", ".join(EVENT_TYPES)
TRADE = {
    "time": "2024-03-01T12:00:00Z", "account": "kraken", "type": "trade",
    "sent_quantity": "100", "sent_asset": "USD", "received_quantity": "0.002", "received_asset": "BTC",
}  # fmt: skip


def row(base: dict[str, str] = TRADE, **changes: str) -> dict[str, str]:
    return {**base, **changes}


# ---- valid rows: one per type (interfaces.md §2 type table) ------------------------------
BTC = Amount(Decimal("0.002"), "BTC")
USD100 = Amount(Decimal(100), "USD")
VALID: list[tuple[dict[str, str], EventBase]] = [
    (TRADE, Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC)),
    (row(type="liquidation", sent_asset="btc", sent_quantity="0.002", received_asset="usdt", received_quantity="100"),
     Liquidation(time=T, account="kraken", source=HERE, sent=BTC, received=Amount(Decimal(100), "USDT"))),
    (row(type="deposit", sent_quantity="", sent_asset="", basis_usd="50.5", acquired="2023-01-02T03:04:05Z"),
     Deposit(time=T, account="kraken", source=HERE, received=BTC, basis_usd=Decimal("50.5"),
             acquired=datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC))),
    (row(type="withdrawal", received_quantity="", received_asset="", fee_quantity="0.0001", fee_asset="BTC"),
     Withdrawal(time=T, account="kraken", source=HERE, sent=USD100, fee=Amount(Decimal("0.0001"), "BTC"))),
    (row(type="transfer", received_quantity="", received_asset="", to_account="ledger-nano"),
     Transfer(time=T, account="kraken", source=HERE, sent=USD100, to_account="ledger-nano")),
    (row(type="borrow", sent_quantity="", sent_asset=""), Borrow(time=T, account="kraken", source=HERE, received=BTC)),
    (row(type="repay", received_quantity="", received_asset=""), Repay(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="interest", received_quantity="", received_asset="", usd_value="100"),
     Interest(time=T, account="kraken", source=HERE, sent=USD100, usd_value=Decimal(100))),
    (row(type="fee", received_quantity="", received_asset=""), Fee(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="income", sent_quantity="", sent_asset="", usd_value="0"),
     Income(time=T, account="kraken", source=HERE, received=BTC, usd_value=Decimal(0))),
    (row(type="spend", received_quantity="", received_asset=""), Spend(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="realized_pnl", sent_quantity="", sent_asset="", acquired="2024-02-01T00:00:00Z"),
     RealizedPnl(time=T, account="kraken", source=HERE, received=BTC, acquired=datetime(2024, 2, 1, tzinfo=UTC))),
    (row(type="funding", received_quantity="", received_asset=""), Funding(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="writeoff", received_quantity="", received_asset=""), WriteOff(time=T, account="kraken", source=HERE, sent=USD100)),
    # no offset = UTC; an offset is converted; blanks around cells are ignored; Type in capitals
    (row(time="2024-03-01 12:00:00"), Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC)),
    (row(time="2024-03-01T14:00:00+02:00", type=" Trade ", account=" kraken "),
     Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC)),
    # 1e-8 accepted (interfaces.md §2); a zero fee is no fee; -0 fee is zero
    (row(received_quantity="1e-8", fee_quantity="-0", fee_asset="USD", fee_usd_value="0"),
     Trade(time=T, account="kraken", source=HERE, sent=USD100, received=Amount(Decimal("0.00000001"), "BTC"))),
    (row(fee_quantity="0.5", fee_asset="usd", fee_usd_value="0.5", usd_value="100", id="K-1", lots="a; b;",
         note="  first fill  "),
     Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC, fee=Amount(Decimal("0.5"), "USD"),
           fee_usd=Decimal("0.5"), usd_value=Decimal(100), event_id="K-1", lots=("a", "b"), note="first fill")),
    # `source` (written by export) is kept as the event's source
    (row(source="kraken_ledgers.csv:12"),
     Trade(time=T, account="kraken", source=SourceRef("kraken_ledgers.csv", 12), sent=USD100, received=BTC)),
    (row(source="C:\\exports\\k.csv:3"),
     Trade(time=T, account="kraken", source=SourceRef("C:\\exports\\k.csv", 3), sent=USD100, received=BTC)),
]


# ---- round trips: event -> row -> event, for every type ---------------------------------
SRC = SourceRef("binance statement.csv", 41)
FEE = Amount(Decimal("0.000123456789012345678"), "BNB")


def full(cls: type[EventBase], **fields: Any) -> EventBase:
    """An event with every common field set (plus ``fields``)."""
    return cls(time=T, account="binance", source=SRC, seq=2, fee=FEE, fee_usd=Decimal("0.07"),
               usd_value=Decimal("123456.789"), event_id="X-9", lots=("L1", "L2"), note="line one\nline two",
               **fields)


ROUND_TRIP: list[EventBase] = [
    full(Trade, sent=USD100, received=BTC),
    full(Liquidation, sent=BTC, received=USD100),
    full(Deposit, received=BTC, basis_usd=Decimal("12.5"), acquired=datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
    Deposit(time=T, account="binance", received=BTC, source=SRC),
    full(Withdrawal, sent=BTC),
    full(Transfer, sent=BTC, to_account="kraken"),
    full(Borrow, received=BTC),
    full(Repay, sent=BTC),
    full(Interest, sent=BTC),
    full(Fee, sent=BTC),
    full(Income, received=BTC),
    full(Spend, sent=BTC),
    full(RealizedPnl, sent=USD100, acquired=datetime(2024, 1, 1, tzinfo=UTC)),
    RealizedPnl(time=T, account="binance", received=USD100, source=SRC),
    Funding(time=T + timedelta(microseconds=1), account="binance", received=USD100, source=SRC, note="x"),
    full(WriteOff, sent=USD100),
]
