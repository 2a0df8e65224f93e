"""Helpers shared by the Binance (binance.com) and Binance.US importers.

* :class:`Collector` gathers events, rejected rows, non-taxable rows and diagnostics while a
  file is read, and keeps ``rows_per_event`` parallel to the events (issue 7: every row read
  ends up in exactly one bucket).
* :func:`parse_exchange_time` reads the fixed ``YYYY-MM-DD HH:MM:SS`` stamps of the Binance
  exports, and the two-digit-year form of the 2026 statement (exchange-formats.md P9).
* :func:`split_pair` / :func:`split_suffixed` split ``BTCUSDT`` and ``0.0416BTC`` with the
  pair as the authority, never with a regex on the first letter (P5: ``1INCH``, ``1000SATS``).
* :func:`split_equal` divides a quantity into parts that add up exactly (by subtraction).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from decimal import ROUND_DOWN, Decimal
from typing import cast

from taxmargin.errors import Diagnostic, RowError, Severity
from taxmargin.importers.base import EARLIEST, LATEST, CsvLayout, ImportResult, Layout, NonTaxableRow
from taxmargin.models import EventBase, SourceRef
from taxmargin.money import DecimalParseError, parse_decimal

__all__ = [
    "Collector",
    "parse_exchange_time",
    "split_pair",
    "split_suffixed",
    "split_equal",
    "plain",
    "QUOTE_ASSETS",
    "as_layouts",
]

#: Quote assets of binance.com pairs (BittyTax's list [BT-binance], plus USD for Binance.US).
QUOTE_ASSETS: tuple[str, ...] = (
    "AEUR", "ARS", "AUD", "BIDR", "BKRW", "BNB", "BRL", "BTC", "BUSD", "BVND", "COP", "CZK",
    "DAI", "DOGE", "DOT", "ETH", "EUR", "EURI", "FDUSD", "GBP", "GYEN", "IDRT", "JPY", "MXN",
    "NGN", "PAX", "PLN", "RON", "RUB", "SOL", "TRX", "TRY", "TUSD", "UAH", "USD", "USDC",
    "USDP", "USDS", "USDT", "UST", "VAI", "XMR", "XRP", "ZAR",
)
#: Pairs whose longest quote suffix is wrong (``ADAEUR`` ends in ``AEUR``) [BT-binance].
PAIR_QUOTE_EXCEPTIONS: dict[str, str] = {
    "ADAEUR": "EUR", "ENAEUR": "EUR", "GALAEUR": "EUR", "LUNAEUR": "EUR", "THETAEUR": "EUR",
}

_TIME = re.compile(r"^(\d{2}|\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(\.\d{1,6})?$")
_ASSET = re.compile(r"^[A-Za-z0-9]{1,20}$")


def parse_exchange_time(raw: str, *, two_digit_year: bool = False, tz: tzinfo = timezone.utc) -> datetime:
    """``YYYY-MM-DD HH:MM:SS[.ffffff]`` (or ``YY-MM-DD ...`` when ``two_digit_year``) in ``tz``
    to aware UTC. Two-digit years are 20YY (the 2026 statement, exchange-formats.md P9).

    Raises ``ValueError`` with a user-facing reason. Cached: the rows of one trade share
    their timestamp.
    """
    return _parse_time(raw, two_digit_year, tz)


@functools.lru_cache(maxsize=4096)
def _parse_time(raw: str, two_digit_year: bool, tz: tzinfo) -> datetime:
    match = _TIME.match(raw.strip())
    if not match:
        wanted = "YY-MM-DD HH:MM:SS" if two_digit_year else "YYYY-MM-DD HH:MM:SS"
        raise ValueError(f"not a date/time in the form {wanted}")
    year_text, *rest = match.groups()
    if len(year_text) == 2 and not two_digit_year:
        raise ValueError("two-digit year where this layout writes four digits")
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    month, day, hour, minute, second = (int(x) for x in rest[:5])
    micro = int((rest[5] or ".0")[1:].ljust(6, "0"))
    try:
        value = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        raise ValueError("not a valid calendar date/time") from None
    value = value.astimezone(timezone.utc)
    if value < EARLIEST or value >= LATEST:
        raise ValueError("date/time outside 2009-01-03 .. 2099-12-31")
    return value


def valid_asset(code: str) -> bool:
    """Asset codes: 1-20 letters or digits (``1INCH``, ``1000SATS`` are valid)."""
    return bool(_ASSET.match(code))


def split_pair(pair: str, candidates: Iterable[int] | None = None) -> tuple[str, str] | None:
    """``BTCUSDT`` -> ``("BTC", "USDT")`` by the longest known quote suffix (exceptions first).

    ``candidates`` restricts the base lengths allowed (from suffixed amounts); None = any.
    """
    allowed = set(candidates) if candidates is not None else set(range(1, len(pair)))
    if pair in PAIR_QUOTE_EXCEPTIONS:
        quote = PAIR_QUOTE_EXCEPTIONS[pair]
        if len(pair) - len(quote) in allowed:
            return pair[: -len(quote)], quote
    for quote in sorted(QUOTE_ASSETS, key=len, reverse=True):
        base_len = len(pair) - len(quote)
        if pair.endswith(quote) and base_len in allowed and base_len > 0:
            return pair[:base_len], quote
    if len(allowed) == 1:
        (base_len,) = allowed
        return pair[:base_len], pair[base_len:]
    return None


def split_suffixed(cell: str, asset: str) -> Decimal | None:
    """The quantity of ``cell`` when it is ``<number><asset>`` or ``<number> <asset>``
    (P5), else None. Thousands commas are allowed (``1,234.5USDT``)."""
    text = cell.strip()
    if not asset or not text.endswith(asset):
        return None
    number = text[: -len(asset)].strip()
    try:
        return parse_decimal(number)
    except DecimalParseError:
        return None


def plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros and without exponent notation."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def split_equal(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` equal pieces (rounded down at 10 places beyond the input's,
    at most 24); the last piece takes the remainder, so the pieces add up to ``total``."""
    if parts <= 1:
        return [total]
    exponent = total.as_tuple().exponent
    places = min(24, max(8, -exponent if isinstance(exponent, int) else 8) + 2)
    piece = plain((total / parts).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN))
    return [piece] * (parts - 1) + [plain(total - piece * (parts - 1))]


@dataclass
class Collector:
    """Mutable accumulator for one parse (local to one ``parse`` call)."""

    layout: str
    rows_read: int = 0
    events: list[tuple[EventBase, int]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    non_taxable: list[NonTaxableRow] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def event(self, event: EventBase, rows: int = 1) -> None:
        """Record ``event`` built from ``rows`` input rows (0 for the 2nd+ event of a row)."""
        self.events.append((event, rows))

    def reject(self, errors: Iterable[RowError]) -> None:
        self.errors.extend(errors)

    def fail(self, source: SourceRef, column: str, value: str, message: str) -> None:
        self.errors.append(RowError(source, column, value, message))

    def skip(self, source: SourceRef, reason: str) -> None:
        self.non_taxable.append(NonTaxableRow(source, reason))

    def note(self, severity: Severity, code: str, message: str, source: SourceRef | None) -> None:
        self.diagnostics.append(Diagnostic(severity, code, message, source))

    def result(self) -> ImportResult:
        """The frozen result, events in booking order with ``rows_per_event`` kept parallel."""
        ordered = sorted(self.events, key=lambda pair: pair[0].sort_key)
        return ImportResult(
            layout=self.layout,
            events=tuple(e for e, _ in ordered),
            errors=tuple(sorted(self.errors, key=lambda e: (e.source, e.column))),
            rows_read=self.rows_read,
            rows_in_events=sum(n for _, n in ordered),
            non_taxable=tuple(sorted(self.non_taxable, key=lambda r: r.source)),
            diagnostics=tuple(self.diagnostics),
            rows_per_event=tuple(n for _, n in ordered),
        )


def as_layouts(*layouts: CsvLayout) -> tuple[Layout, ...]:
    """The layouts typed as :class:`Layout`. cast: base.Layout declares ``name`` and
    ``description`` as instance variables while CsvLayout declares them ClassVar, which mypy
    treats as incompatible although every instance has them (same cast as importers/generic.py)."""
    return tuple(cast(Layout, layout) for layout in layouts)
