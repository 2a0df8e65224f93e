"""Shared helpers for the tests that hand-build Bookings (test_build, test_rules_us,
forms_factory): exact Decimals and UTC times from text, and a Booking with every part
empty unless given."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from taxmargin.booking import Booking


def D(text: str) -> Decimal:
    return Decimal(text)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def booking(**kw: object) -> Booking:
    base: dict[str, object] = {"disposals": (), "income": (), "interest": (), "funding_paid": (),
                               "open_lots": (), "open_shorts": (), "liabilities": (), "diagnostics": ()}
    base.update(kw)
    return Booking(**base)  # type: ignore[arg-type]
