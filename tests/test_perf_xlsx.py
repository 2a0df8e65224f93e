"""Issue 6 (performance), the audit workbook: rows serialized by ``reports.xlsx_xml`` into
``reports.xlsx_fast.FastSheet``s come out byte for byte as openpyxl's own write-only cells
(the general path, ``reports.xlsx_cells``) write them.

Random tables of every column kind (hostile, unstorable, non-ASCII and white-space-edged
text; Decimals of every shape, NaN and infinities; dates, VARIOUS, aware times, flags,
missing values) go through ``SheetStream.extend`` both ways, with random sheet-split and
chunk sizes, and the worksheet XML of the two packages is compared; then whole workbooks.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from forms_factory import make_forms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl import Workbook, load_workbook
from taxmargin.reports import xlsx, xlsx_sheets
from taxmargin.reports.xlsx_cells import (
    DATE,
    MONEY,
    MONEY_IF,
    PLAIN,
    TEXT,
    UTC_TIME,
    VARIOUS,
    clean_text,
)
from taxmargin.reports.xlsx_fast import FastSheet, fast_sheets_supported
from taxmargin.reports.xlsx_sheets import SheetStream
from taxmargin.reports.xlsx_xml import FastCells

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = (TEXT, MONEY, MONEY_IF, DATE, VARIOUS, UTC_TIME, PLAIN)

#: characters that need care: formula starts, XML specials, white space of every sort,
#: characters XML cannot hold, non-ASCII
_SPECIAL = list("=+-@\t\r\n &<>\"'#;") + ["\x00", "\x01", "\x0b", "\x1c", "\x1f", "\x7f",
                                          "\x85", "\xa0", "\u2028", "\u3000", "\ufffe",
                                          "\uffff", "\ud800", "\udfff", "é", "€", "😀"]
#: text: pieces of special characters, any characters and ordinary words
texts = (st.lists(st.sampled_from(_SPECIAL) | st.characters()
                  | st.sampled_from(["abc", "BTC", "x.csv:12", " "]), max_size=8).map("".join)
         | st.sampled_from(["", "binance", "BTC", "=1+2", "#N/A", " padded ", "VARIOUS",
                            "a" * 32_770, "=" + "b" * 32_770, "\ud83d"]))
finite = st.builds(
    lambda digits, exp, negative: (-1 if negative else 1) * Decimal(digits).scaleb(exp),
    st.integers(0, 10**18), st.integers(-20, 20), st.booleans(),
) | st.sampled_from([Decimal("-0"), Decimal("0.00"), Decimal("-0.00"), Decimal("1E+2"),
                     Decimal("696761199.81"), Decimal("8870131928.89")])
decimals = finite | st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
zones = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=13)),
                         timezone(timedelta(hours=5, minutes=45))])
times = st.datetimes(min_value=datetime(1899, 12, 1), max_value=datetime(9998, 12, 31),
                     timezones=zones)
dates = st.dates() | st.sampled_from([date(1900, 2, 28), date(1900, 3, 1), date(2025, 1, 2)])
#: by kind: (values of a typical column, any values including missing ones)
VALUES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    TEXT: (texts, texts), MONEY: (finite, decimals | st.none()),
    MONEY_IF: (finite, decimals | st.none()), DATE: (dates, dates | st.none()),
    VARIOUS: (dates, dates | st.none()), UTC_TIME: (times, times | st.none()),
    PLAIN: (st.booleans(), st.booleans() | st.integers(-(10**20), 10**20) | st.none()),
}


def _sheets(data: bytes) -> dict[str, bytes]:
    """Every worksheet part of a package, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


def _table(kinds: tuple[str, ...], rows: list[tuple[Any, ...]], max_rows: int, fast: bool,
           chunk: int) -> dict[str, bytes]:
    """``rows`` written through ``SheetStream.extend``, with money totals; the worksheets.
    Both ways register the fast path's styles first, so style ids agree."""
    wb = Workbook(write_only=True)
    cells = FastCells(wb)
    stream = SheetStream(wb, "T", [f"h{i}" for i in range(len(kinds))], (9,) * len(kinds),
                         max_rows, cells if fast else None)
    with mock.patch.object(xlsx_sheets, "_CHUNK", chunk):
        stream.extend(rows, lambda row: row, kinds)
    totals = [i for i, kind in enumerate(kinds, 1) if kind in (MONEY, MONEY_IF)]
    stream.close(totals)
    out = io.BytesIO()
    wb.save(out)
    return _sheets(out.getvalue())


@st.composite
def tables(draw: st.DrawFn) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    kinds = tuple(draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6)))
    typical = [draw(st.booleans()) for _ in kinds]  # typical column: the fast paths
    rows = draw(st.lists(st.tuples(*(VALUES[k][0 if t else 1] for k, t in zip(kinds, typical))),
                         max_size=14))
    return kinds, rows


@SETTINGS
@given(tables(), st.integers(1, 9), st.integers(1, 6))
def test_serialized_rows_are_openpyxls_cells(table: tuple[tuple[str, ...], list[tuple[Any, ...]]],
                                             max_rows: int, chunk: int) -> None:
    kinds, rows = table
    general = _table(kinds, rows, max_rows, fast=False, chunk=chunk)
    assert _table(kinds, rows, max_rows, fast=True, chunk=chunk) == general


def test_repeated_values_through_the_caches() -> None:
    """Long columns of few values take the cached path; the result is the same."""
    kinds = (TEXT, TEXT, MONEY, DATE, VARIOUS, UTC_TIME, PLAIN)
    when = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    rows = [(f"acct{i % 3}", f"desc {i}", Decimal(i % 4).scaleb(-2), date(2025, 1, 1 + i % 5),
             None if i % 7 == 0 else date(2024, 2, 29), when + timedelta(hours=i % 3), i % 2 == 0)
            for i in range(300)]
    for chunk in (7, 100, 2000):
        assert _table(kinds, rows, 120, True, chunk) == _table(kinds, rows, 120, False, chunk)


# ---- whole workbooks -----------------------------------------------------------------------

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _styles(z: zipfile.ZipFile) -> list[tuple[str, bytes]]:
    """Each cell style id's (number format, font)."""
    root = etree.fromstring(z.read("xl/styles.xml"))
    formats = {n.get("numFmtId"): n.get("formatCode")
               for n in root.iterfind("m:numFmts/m:numFmt", _NS)}
    fonts = [etree.tostring(f) for f in root.iterfind("m:fonts/m:font", _NS)]
    return [(formats.get(xf.get("numFmtId"), xf.get("numFmtId")), fonts[int(xf.get("fontId"))])
            for xf in root.iterfind("m:cellXfs/m:xf", _NS)]


def _package(path: Path) -> dict[str, bytes]:
    """Every part but the document times, with style ids replaced by what they stand for."""
    with zipfile.ZipFile(path) as z:
        styles = _styles(z)
        parts = {n: z.read(n) for n in z.namelist() if n not in ("docProps/core.xml",
                                                                   "xl/styles.xml")}
    return {n: re.sub(rb' s="(\d+)"', lambda m: b' s="%r"' % (styles[int(m.group(1))],), x)
            for n, x in parts.items()}


def test_fast_path_is_the_default_with_lxml() -> None:
    assert fast_sheets_supported()
    wb = Workbook(write_only=True)
    stream = SheetStream(wb, "T", ["a"], fast=FastCells(wb))
    stream.extend([("x",)], lambda row: row, (TEXT,))
    assert isinstance(wb.worksheets[0], FastSheet)
    wb.save(io.BytesIO())  # closes the sheet's stream


def test_workbook_fast_equals_general(tmp_path: Path) -> None:
    forms = make_forms(inject=True)
    for max_rows in (xlsx_sheets.MAX_DATA_ROWS, 10, 23):
        fast = xlsx.write_workbook(forms, tmp_path / f"fast{max_rows}.xlsx", max_rows)
        general = xlsx.write_workbook(forms, tmp_path / f"general{max_rows}.xlsx", max_rows,
                                      fast=False)
        assert _package(fast) == _package(general), max_rows


def test_workbook_split_across_chunks(tmp_path: Path) -> None:
    forms = make_forms(inject=True)
    with mock.patch.object(xlsx_sheets, "_CHUNK", 4):
        fast = xlsx.write_workbook(forms, tmp_path / "fast.xlsx", 10)
    general = xlsx.write_workbook(forms, tmp_path / "general.xlsx", 10, fast=False)
    assert _package(fast) == _package(general)


def test_unstorable_text_is_dropped_not_fatal(tmp_path: Path) -> None:
    """U+FFFE, U+FFFF and lone surrogates (lxml refuses them) are dropped like control
    characters, on both paths."""
    forms = make_forms()
    row = replace(forms.form_8949.rows[0], description="a\ufffeb\ud800c\x00d\uffff")
    forms = replace(forms, form_8949=replace(forms.form_8949, rows=(row,)))
    assert clean_text(row.description) == "abcd"
    for fast in (True, False):
        path = xlsx.write_workbook(forms, tmp_path / f"{fast}.xlsx", fast=fast)
        book = load_workbook(path)
        assert book[f"8949 Box {row.box}"]["A2"].value == "abcd"
