"""The ``form_8949`` entries of forms.json as values and as text, row by row (issue 6).

:func:`rows_values` is the one place a :class:`~taxmargin.reports.forms.Form8949Row`
becomes printed values (``csvout`` reuses it); :func:`rows_json` renders those values as
compact JSON lines without building a dict per row. ``reports.jsonout`` streams the lines
into the document (and re-exports these names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from json.encoder import encode_basestring
from typing import TypeVar

from taxmargin.reports.forms import Form8949Row, IncomeLine, InterestLine, OpenPosition

from taxmargin.money import CENT, fmt_money, fmt_quantity

__all__ = [
    "ROW_KEYS", "RowValues", "lines_json", "positions_json", "row_json", "row_to_dict", "row_values", "rows_json",
    "rows_values",
]

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
    which repeat from row to row (a year has a few hundred), and the JSON string of the
    texts that repeat (accounts, assets, boxes)."""

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


def _money(value: Decimal) -> str:
    """``money.fmt_money``: cents half-up; a non-zero amount prints as ``str`` does, zero
    (``-0.00`` too) as 0.00."""
    cents = value.quantize(CENT, ROUND_HALF_UP)
    return str(cents) if cents else "0.00"


def rows_values(rows: Iterable[Form8949Row]) -> Iterator[RowValues]:
    """:func:`row_values` of each row, in one loop (issue 6: a million rows); each
    distinct date's text is made once.

    Amounts: the form builder already rounded them to cents (tax-rules.md §1.7), so an
    amount whose ``str`` has exactly two decimals is printed as that text (rounding an
    amount to the cents it already has gives the same number: ``money.fmt_money`` would
    print the same); any other (``-0.00``, more or fewer places, an exponent) goes
    through :func:`_money`. The quantity is ``money.fmt_quantity`` inlined."""
    acquired, sold = _Memo(_acquired_text), _Memo(_sold_text)
    money = _money
    for row in rows:
        proceeds = str(row.proceeds)
        if proceeds[-3:-2] != "." or proceeds == "-0.00":
            proceeds = money(row.proceeds)
        basis = str(row.cost_basis)
        if basis[-3:-2] != "." or basis == "-0.00":
            basis = money(row.cost_basis)
        adjustment = str(row.adjustment)
        if adjustment[-3:-2] != "." or adjustment == "-0.00":
            adjustment = money(row.adjustment)
        gain = str(row.gain)
        if gain[-3:-2] != "." or gain == "-0.00":
            gain = money(row.gain)
        quantity = row.quantity
        units = str(quantity)
        if "E" in units:
            units = format(quantity, "f")
        if units[-1] == "0" and "." in units:
            units = units.rstrip("0").rstrip(".")
        yield (
            row.part, row.box, row.description, acquired[row.date_acquired], sold[row.date_sold],
            proceeds, basis, row.code, adjustment, gain, row.account, row.asset, "0" if units == "-0" else units,
            row.short_sale, row.liquidation, row.sources, row.term, row.purpose,
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
    and quantities are digits and need no encoding. The texts from a small vocabulary
    (part, box, code, dates, account, asset, term, purpose) are encoded once each
    (:class:`_Memo`); the description and the sources, nearly all distinct, every time."""
    enc, flag = encode_basestring, _TRUE_FALSE
    text = _Memo(enc)
    return [
        f'{{"part": {text[part]}, "box": {text[box]}, "description": {enc(description)}, '
        f'"date_acquired": {text[acquired]}, "date_sold": {text[sold]}, "proceeds": "{proceeds}", '
        f'"cost_basis": "{basis}", "code": {text[code]}, "adjustment": "{adjustment}", "gain": "{gain}", '
        f'"account": {text[account]}, "asset": {text[asset]}, "quantity": "{quantity}", '
        f'"short_sale": {flag[short_sale]}, "liquidation": {flag[liquidation]}, '
        f'"sources": [{", ".join(map(enc, sources))}], "term": {text[term]}, "purpose": {text[purpose]}}}'
        for (part, box, description, acquired, sold, proceeds, basis, code, adjustment, gain, account, asset,
             quantity, short_sale, liquidation, sources, term, purpose) in rows_values(rows)
    ]


def lines_json(lines: Iterable[IncomeLine | InterestLine]) -> list[str]:
    """The ``income_lines`` / ``interest_lines`` entries of forms.json as compact JSON
    lines, built directly (issue 6: thousands of lines): the same text as the encoder
    gives for ``jsonout._line`` (keys time, account, asset, quantity, usd, kind, source,
    and ``flagged`` for an interest line). Times, amounts and quantities are ASCII
    digits and signs and need no encoding; every other text goes through the encoder's
    string function."""
    enc, flag = encode_basestring, _TRUE_FALSE
    out = []
    for x in lines:
        text = (
            f'{{"time": "{x.time.isoformat()}", "account": {enc(x.account)}, "asset": {enc(x.asset)}, '
            f'"quantity": "{fmt_quantity(x.quantity)}", "usd": "{fmt_money(x.usd)}", "kind": {enc(x.kind)}, '
            f'"source": {enc(x.source)}'
        )
        out.append(f'{text}, "flagged": {flag[x.flagged]}}}' if isinstance(x, InterestLine) else text + "}")
    return out


def positions_json(positions: Iterable[OpenPosition]) -> list[str]:
    """The ``open_positions`` entries of forms.json as compact JSON lines, built directly
    like :func:`lines_json`: the encoder's text of ``jsonout._position`` (a missing
    amount, time or source is ``null``)."""
    enc = encode_basestring
    out = []
    for p in positions:
        usd = "null" if p.usd is None else f'"{fmt_money(p.usd)}"'
        since = "null" if p.since is None else f'"{p.since.isoformat()}"'
        out.append(
            f'{{"kind": {enc(p.kind)}, "account": {enc(p.account)}, "asset": {enc(p.asset)}, '
            f'"quantity": "{fmt_quantity(p.quantity)}", "usd": {usd}, "since": {since}, '
            f'"source": {enc(p.source) if p.source else "null"}}}'
        )
    return out
