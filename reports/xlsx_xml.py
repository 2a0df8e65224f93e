"""Rows serialized as the XML openpyxl would write for them (the fast path, issue 6).

For a cell of a kind (``xlsx_cells``), openpyxl writes ``<c r="D2"`` and then a *tail*
that depends on the value only: its style id, type and value (``' s="1" t="n"><v>12.5</v>
</c>'``), or nothing at all for a ``None`` plain cell. ``FastCells`` makes the tails of one
workbook (its style ids come from template cells, so openpyxl registers the styles as
usual), and ``RowEncoder`` a chunk of rows a column at a time: repeated values (dates,
times, accounts, assets, flags) come from caches read by ``map`` without a Python call
per cell, money is formatted as openpyxl does (``%.16g``), text is cleaned
(``xlsx_cells.clean_text``), escaped as lxml escapes it, and non-ASCII characters become
decimal character references (lxml writes the sheets in ASCII). ``tests/test_perf_xlsx.py``
checks that the sheets come out byte for byte as openpyxl writes the same cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, TypeVar

from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from taxmargin.reports.xlsx_cells import (
    DATE,
    MONEY,
    MONEY_IF,
    PLAIN,
    TEXT,
    UTC_TIME,
    VARIOUS,
    amount,
    clean_text,
    day,
    utc,
)

T = TypeVar("T")

__all__ = ["FastCells", "RowEncoder", "text_tail"]

_EMPTY_TEXT = ' t="inlineStr"></c>'
_TEXT, _TEXT_END = ' t="inlineStr"><is><t>', "</t></is></c>"
#: a character ``clean_text`` drops or XML escapes
_SPECIAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff&<>\r]")
_FORMULA_START = ("=", "+", "-", "@")  # (tab and CR: text.strip() differs)
_MAX_TEXT = 32_767
_CACHED = 200_000  # values kept per cache (bounded memory on a million rows)
_is_finite = Decimal.is_finite


def _escape(value: str) -> str:
    """XML text escaping as lxml writes it (``"`` and ``'`` stay; CR as a reference)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def text_tail(value: str) -> str:
    """The tail of a text cell (non-ASCII characters are referenced by ``RowEncoder``)."""
    if (value and _SPECIAL.search(value) is None and value.strip() == value
            and not value.startswith(_FORMULA_START) and len(value) <= _MAX_TEXT):
        return _TEXT + value + _TEXT_END  # the common case: nothing to clean or escape
    value = clean_text(value)
    if not value:
        return _EMPTY_TEXT
    if value != value.strip():
        return ' t="inlineStr"><is><t xml:space="preserve">' + _escape(value) + "</t></is></c>"
    return _TEXT + _escape(value) + _TEXT_END


def plain_tail(value: bool | int | None) -> str | None:
    """The tail of a bool or int cell; None: no cell at all."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ' t="b"><v>1</v></c>' if value else ' t="b"><v>0</v></c>'
    number: str = safe_string(value)
    return ' t="n"><v>' + number + "</v></c>"


class _Memo(dict[Any, str]):
    """value -> tail, computed on a miss; read through ``map(memo.__getitem__, column)``."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> str:
        tail = self.make(key)
        if len(self) < _CACHED:
            self[key] = tail
        return tail

    def column(self, values: Sequence[Any], always: bool = False) -> list[str | None]:
        """The tails of ``values``: through the cache when they repeat (as in an account,
        asset or date column), else one by one."""
        if always or _repeats(values):
            return list(map(self.__getitem__, values))
        return list(map(self.make, values))


def _repeats(values: Sequence[Any]) -> bool:
    """Whether a column repeats its values (judged on its first 64)."""
    return len(set(values[:64])) * 2 <= min(len(values), 64)


class FastCells:
    """The tails of one workbook's cells, by kind (module doc)."""

    def __init__(self, wb: Any) -> None:
        ws = SimpleNamespace(parent=wb)  # all a template cell needs of its worksheet
        self._epoch = wb.epoch
        ids = {kind: f' s="{template.style_id}" t="n">' for kind, template in (
            (MONEY, amount(ws, Decimal(0))), (DATE, day(ws, date(2000, 1, 1))),
            (UTC_TIME, utc(ws, datetime(2000, 1, 1, tzinfo=UTC))))}
        self._money_none = ids[MONEY] + "</c>"
        self._money_pre = ids[MONEY] + "<v>"
        self._money = ids[MONEY] + "<v>%.16g</v></c>"  # safe_string's format
        self._date, self._utc = ids[DATE] + "<v>", ids[UTC_TIME] + "<v>"
        self._texts = _Memo(text_tail)
        self._moneys = _Memo(lambda text: self._money % Decimal(text))
        self._dates = _Memo(self._date_tail)
        self._various = _Memo(lambda d: self._date_tail(d, "VARIOUS"))
        self._times = _Memo(self._utc_tail)
        self.columns: dict[str, Callable[[Sequence[Any]], list[str | None]]] = {
            TEXT: self._texts_of, MONEY: self._money_of, MONEY_IF: self._money_if_of,
            DATE: self._dates_of, VARIOUS: self._various_of, UTC_TIME: self._times_of,
            PLAIN: self._plain_of}

    def tail(self, kind: str, value: Any) -> str | None:
        """The tail of one cell of ``kind`` (None: no cell)."""
        return self.columns[kind]((value,))[0]

    def _date_tail(self, value: date | None, missing: str = "") -> str:
        if value is None:
            return text_tail(missing)
        number: str = safe_string(to_excel(value, self._epoch))
        return self._date + number + "</v></c>"

    def _utc_tail(self, value: datetime | None) -> str:
        if value is None:
            return _EMPTY_TEXT
        naive = value.astimezone(UTC).replace(tzinfo=None)
        number: str = safe_string(to_excel(naive, self._epoch))
        return self._utc + number + "</v></c>"

    def _money_tail(self, value: Decimal | None) -> str:
        if value is None:
            return self._money_none
        number: str = safe_string(value)  # "" for NaN and infinities
        return self._money_pre + number + "</v></c>"

    def _texts_of(self, column: Sequence[Any]) -> list[str | None]:
        return self._texts.column(column)

    def _money_of(self, column: Sequence[Any]) -> list[str | None]:
        if set(map(type, column)) <= {Decimal} and all(map(_is_finite, column)):
            if _repeats(column):  # cached by text: 0 == -0, yet they print "0" and "-0"
                return list(map(self._moneys.__getitem__, map(str, column)))
            return list(map(self._money.__mod__, column))
        return list(map(self._money_tail, column))

    def _money_if_of(self, column: Sequence[Any]) -> list[str | None]:
        if None not in column:
            return self._money_of(column)
        return [None if v is None else self._money_tail(v) for v in column]

    def _dates_of(self, column: Sequence[Any]) -> list[str | None]:
        return self._dates.column(column)

    def _various_of(self, column: Sequence[Any]) -> list[str | None]:
        return self._various.column(column)

    def _times_of(self, column: Sequence[Any]) -> list[str | None]:
        return self._times.column(column, always=True)  # a disposal's time recurs

    @staticmethod
    def _plain_of(column: Sequence[Any]) -> list[str | None]:
        return list(map(plain_tail, column))


class RowEncoder:
    """Serializes chunks of rows of one table (columns of ``kinds``)."""

    def __init__(self, fast: FastCells, kinds: Sequence[str]) -> None:
        self._kinds = tuple(kinds)
        self._columns = tuple(fast.columns[kind] for kind in kinds)
        self._letters = tuple(get_column_letter(i) for i in range(1, len(kinds) + 1))
        self._format = ('<row r="{0}">' + "".join(
            f'<c r="{letter}{{0}}"{{{i}}}' for i, letter in enumerate(self._letters, 1))
            + "</row>").format

    def rows(self, items: Iterable[T], values: Callable[[T], Sequence[Any]],
             first: int) -> bytes:
        """``<row>`` elements for ``items`` (``values(item)`` in columns of the kinds),
        numbered from row ``first``."""
        table = list(map(values, items))
        if not table:
            return b""
        columns = [encode(column) for encode, column in
                   zip(self._columns, zip(*table, strict=True), strict=True)]
        numbers = range(first, first + len(table))
        if any(None in column for column in columns):
            lines: Iterable[str] = map(self._sparse, numbers, zip(*columns, strict=True))
        else:
            lines = map(self._format, numbers, *columns)
        # lxml writes the sheets in ASCII: anything else as a decimal character reference
        return "".join(lines).encode("ascii", "xmlcharrefreplace")

    def _sparse(self, n: int, cells: Sequence[str | None]) -> str:
        """A row with some cells absent (a plain or ``MONEY_IF`` column holding None)."""
        return f'<row r="{n}">' + "".join(
            f'<c r="{letter}{n}"{tail}' for letter, tail in zip(self._letters, cells, strict=True)
            if tail is not None) + "</row>"
