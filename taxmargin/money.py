"""Exact decimal money and quantities.

Amounts are ``Decimal`` built from strings, never floats (design.md §3). Quantizing to cents
happens only where a form is built (tax-rules.md §1.7), through :func:`to_cents` and
:func:`to_whole_dollars`.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "ZERO",
    "CENT",
    "DECIMAL_CONTEXT",
    "parse_decimal",
    "to_cents",
    "to_whole_dollars",
    "fmt_money",
    "fmt_quantity",
]

ZERO = Decimal(0)
CENT = Decimal("0.01")
DOLLAR = Decimal(1)

#: Context used by the whole program: enough precision that 18-decimal token units times
#: six-figure prices stay exact. (Tests also turn on the FloatOperation trap: tests/conftest.py.)
DECIMAL_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999)
decimal.setcontext(DECIMAL_CONTEXT)
decimal.DefaultContext.prec = 60

#: Largest magnitude accepted from an input file; anything bigger is a typo or hostile.
MAX_MAGNITUDE = Decimal("1e18")
#: Most decimal places accepted (ERC-20 tokens carry 18).
MAX_PLACES = 24


class DecimalParseError(ValueError):
    """Raised by :func:`parse_decimal` with a user-facing reason."""


def parse_decimal(text: str, *, allow_negative: bool = False) -> Decimal:
    """Parse a user-supplied number exactly.

    Accepts plain and exponent notation (``0.00000001``, ``1e-8``), surrounding blanks and
    thousands separators (``1,234.5``). Rejects underscores (``1_000``), NaN, infinities,
    over-long numbers, magnitudes above 1e18, more than 24 decimal places, and (unless
    ``allow_negative``) negative values. ``-0`` is read as zero.
    """
    raw = text.strip().replace(",", "")
    if not raw:
        raise DecimalParseError("empty number")
    if len(raw) > 64:
        raise DecimalParseError("number is too long")
    if "_" in raw:  # Decimal("1_000") is 1000 (PEP 515); no export writes numbers that way
        raise DecimalParseError("not a number")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise DecimalParseError("not a number") from None
    if not value.is_finite():
        raise DecimalParseError("not a finite number")
    if value.is_zero():
        return ZERO
    if abs(value) > MAX_MAGNITUDE:
        raise DecimalParseError("number is too large")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        raise DecimalParseError("too many decimal places")
    if value < 0 and not allow_negative:
        raise DecimalParseError("must not be negative")
    return value + ZERO  # normalises -0 and applies the context


def to_cents(value: Decimal) -> Decimal:
    """Round to cents, half up on magnitude (tax-rules.md §1.7; I8949 rounding rule)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_whole_dollars(value: Decimal) -> Decimal:
    """Round to whole dollars: "drop cent amounts under 50 cents and increase cent amounts
    over 49 cents to the next dollar" [I8949], applied to the magnitude with the sign kept.
    Returned with two places (``12.00``) so forms.json keeps its two-decimal format."""
    return value.quantize(DOLLAR, rounding=ROUND_HALF_UP).quantize(CENT)


def fmt_money(value: Decimal) -> str:
    """Two-decimal text with a leading ``-`` for negatives (interfaces.md §4)."""
    cents = to_cents(value)
    if cents.is_zero():
        cents = abs(cents)
    return f"{cents:.2f}"


def fmt_quantity(value: Decimal) -> str:
    """Plain (non-exponent) text of a quantity without trailing zeros: ``0.5``, ``120``
    (``1E-8`` -> ``0.00000001``, ``-0`` -> ``0``). ``str`` first: it is the plain text
    already unless it has an exponent (the codec writes every amount with this)."""
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    if text[-1] == "0" and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
