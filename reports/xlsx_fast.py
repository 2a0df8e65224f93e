"""Write-only worksheets that also take rows already serialized as XML (issue 6).

openpyxl's write-only mode spends ~10 us on every cell (a ``WriteOnlyCell``, type
inference, a style lookup, one lxml element per cell); the Form 8949 and Lots sheets of a
million-event year hold ~30 million cells. ``FastSheet`` is openpyxl's own
``WriteOnlyWorksheet`` (same views, columns, filter, styles and package, saved by
``Workbook.save``) whose ``sheetData`` stream also accepts ``append_xml(bytes, rows)``:
``<row>`` elements made by ``xlsx_cells.FastCells``, which writes each cell exactly as
openpyxl would (``tests/test_perf_xlsx.py`` compares the sheet XML byte for byte).

How: the sheet's XML stream is opened on a file object we hold (openpyxl opens it on a
file name), so between two of openpyxl's own elements the pending lxml output is flushed
and the rows' bytes are written to the file directly. This leans on three private parts
of openpyxl 3.1 (``WorksheetWriter.get_stream``, ``WriteOnlyWorksheet._write_rows`` and
``Workbook._add_sheet``), copied here with the one change each; ``fast_sheets_supported``
is False without lxml (openpyxl then streams through et_xmlfile, which cannot flush), and
the workbook then takes the general path.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl import LXML
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

__all__ = ["FastSheet", "add_sheet", "fast_sheets_supported"]


#: The openpyxl releases whose private parts above were copied and checked (pyproject
#: pins openpyxl to this series; any other version takes the general path).
CHECKED_SERIES = "3.1."


def fast_sheets_supported() -> bool:
    """True when openpyxl writes through lxml (whose incremental writer can flush) and is
    of the series whose internals this module leans on."""
    return bool(LXML) and openpyxl.__version__.startswith(CHECKED_SERIES)


@dataclass(frozen=True, slots=True)
class _Rows:
    """Serialized ``<row>`` elements and how many rows they are."""

    xml: bytes
    count: int


class _FileWriter(WorksheetWriter):  # type: ignore[misc]
    """openpyxl's worksheet writer with the XML stream on a file object we keep."""

    file: Any = None

    def get_stream(self) -> Generator[Any, Any, None]:
        """``WorksheetWriter.get_stream`` of openpyxl 3.1, on ``open(self.out, "wb")``."""
        with (open(self.out, "wb") as self.file, xmlfile(self.file) as xf,
              xf.element("worksheet", xmlns=SHEET_MAIN_NS)):
            try:
                while True:
                    el = yield
                    if el is True:
                        yield xf
                    elif el is None:  # et_xmlfile chokes
                        continue
                    else:
                        xf.write(el)
            except GeneratorExit:
                pass


class FastSheet(WriteOnlyWorksheet):  # type: ignore[misc]
    """A write-only worksheet that also takes serialized rows (module doc)."""

    _writer: Any = None
    _rows: Any = None

    def _get_writer(self) -> None:
        if self._writer is None:
            self._writer = _FileWriter(self)
            self._writer.write_top()

    def append_xml(self, xml: bytes, rows: int) -> None:
        """Append ``rows`` serialized ``<row>`` elements, numbered by the caller from the
        next row on (``<row r="N">`` and every ``<c r="...N">``)."""
        self._get_writer()
        if self._rows is None:
            self._rows = self._write_rows()
            next(self._rows)
        self._rows.send(_Rows(xml, rows))

    def _write_rows(self) -> Generator[None, Any, None]:
        """``WriteOnlyWorksheet._write_rows`` of openpyxl 3.1, plus serialized rows."""
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    row = yield
                    if isinstance(row, _Rows):
                        xf.flush()
                        self._writer.file.write(row.xml)
                        row_idx += row.count
                        continue
                    row = self._values_to_row(row, row_idx)
                    self._writer.write_row(xf, row, row_idx)
                    row_idx += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)


def add_sheet(wb: Any, title: str) -> FastSheet:
    """A new ``FastSheet`` at the end of write-only workbook ``wb``
    (``Workbook.create_sheet`` with our class)."""
    ws = FastSheet(parent=wb, title=title)
    wb._add_sheet(ws)
    return ws
