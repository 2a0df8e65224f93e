"""The ``form_8949`` entries of forms.json as values and as text, row by row (issue 6).

:func:`rows_values` is the one place a :class:`~taxmargin.reports.forms.Form8949Row`
becomes printed values (``csvout`` reuses it); :func:`rows_json` renders those values as
compact JSON lines without building a dict per row. ``reports.jsonout`` streams the lines
into the document (and re-exports these names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP
from json.encoder import encode_basestring
from typing import TypeVar

from taxmargin.money import CENT
from taxmargin.reports.forms import Form8949Row

__all__ = ["ROW_KEYS", "RowValues", "row_json", "row_to_dict", "row_values", "rows_json", "rows_values"]

#: The keys of a ``form_8949`` entry: those of interfaces.md §4, in that order, plus
#: ``term`` and ``purpose``.
ROW_KEYS: tuple[str, ...] = (
    "part", "box", "description", "date_acquired", "date_sold", "proceeds", "cost_basis", "code",
    "adjustment", "gain", "account", "asset", "quantity", "short_sale", "liquidation", "sources",
    "term", "purpose",
)

RowValues = tuple[str, str, str, str, str, str, str, str, str, str, str, str, str, bool, bool, tuple[str, ...], str, str]


_K = TypeVar("_K")


class _Memo(dict[_K, str]):
    """``text(key)`` per distinct key, made on first use (``memo[key]``): for the dates,
    which repeat from row to row (a year has a few hundred)."""

    __slots__ = ("text",)

    def __init__(self, text: Callable[[_K], str]) -> None:
        super().__init__()
        self.text = text

    def __missing__(self, key: _K) -> str:
        value = self[key] = self.text(key)
        return value


def _acquired_text(value: date | None) -> str:
    return "VARIOUS" if value is None else value.isoformat()


def _sold_text(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def rows_values(rows: Iterable[Form8949Row]) -> Iterator[RowValues]:
    """:func:`row_values` of each row, in one loop (issue 6: a million rows), with
    ``money.fmt_money`` inlined (cents half-up; a quantized non-zero amount prints as
    ``str`` does, zero, ``-0.00`` too, as 0.00) and ``money.fmt_quantity`` inlined; each
    distinct date's text is made once."""
    acquired, sold = _Memo(_acquired_text), _Memo(_sold_text)
    cent, half_up = CENT, ROUND_HALF_UP
    for row in rows:
        proceeds = row.proceeds.quantize(cent, half_up)
        basis = row.cost_basis.quantize(cent, half_up)
        adjustment = row.adjustment.quantize(cent, half_up)
        gain = row.gain.quantize(cent, half_up)
        quantity = row.quantity
        if quantity.is_zero():
            units = "0"
        else:
            units = format(quantity, "f")
            if "." in units:
                units = units.rstrip("0").rstrip(".")
        yield (
            row.part, row.box, row.description, acquired[row.date_acquired], sold[row.date_sold],
            str(proceeds) if proceeds else "0.00", str(basis) if basis else "0.00", row.code,
            str(adjustment) if adjustment else "0.00", str(gain) if gain else "0.00", row.account,
            row.asset, units, row.short_sale, row.liquidation, row.sources, row.term, row.purpose,
        )


def row_values(row: Form8949Row) -> RowValues:
    """The values of one ``form_8949`` entry in :data:`ROW_KEYS` order (``sources`` as a
    tuple). A missing acquisition date prints ``VARIOUS`` [I8949 col (b)]. Amounts as
    ``money.fmt_money``, the quantity as ``money.fmt_quantity``, dates ISO."""
    return next(rows_values((row,)))


def row_to_dict(row: Form8949Row) -> dict[str, object]:
    """One ``form_8949`` entry: the keys of interfaces.md §4, in that order, plus
    ``term`` and ``purpose``. A missing acquisition date prints ``VARIOUS`` [I8949 col (b)]."""
    out: dict[str, object] = dict(zip(ROW_KEYS, row_values(row)))
    out["sources"] = list(row.sources)
    return out


_TRUE_FALSE = ("false", "true")


def row_json(row: Form8949Row) -> str:
    """:func:`row_to_dict` as one line of compact JSON (``", "`` and ``": "`` separators),
    built directly: every text value goes through the JSON string encoder (``ensure_ascii``
    off, like the rest of the file); the other values are JSON literals already."""
    return rows_json((row,))[0]


def rows_json(rows: Iterable[Form8949Row]) -> list[str]:
    """:func:`row_json` of each row, from :func:`rows_values` in one comprehension; amounts
    and quantities are digits and need no encoding."""
    enc, flag = encode_basestring, _TRUE_FALSE
    return [
        f'{{"part": {enc(part)}, "box": {enc(box)}, "description": {enc(description)}, '
        f'"date_acquired": {enc(acquired)}, "date_sold": {enc(sold)}, "proceeds": "{proceeds}", '
        f'"cost_basis": "{basis}", "code": {enc(code)}, "adjustment": "{adjustment}", "gain": "{gain}", '
        f'"account": {enc(account)}, "asset": {enc(asset)}, "quantity": "{quantity}", '
        f'"short_sale": {flag[short_sale]}, "liquidation": {flag[liquidation]}, '
        f'"sources": [{", ".join(map(enc, sources))}], "term": {enc(term)}, "purpose": {enc(purpose)}}}'
        for (part, box, description, acquired, sold, proceeds, basis, code, adjustment, gain, account, asset,
             quantity, short_sale, liquidation, sources, term, purpose) in rows_values(rows)
    ]
