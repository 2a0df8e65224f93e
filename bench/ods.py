"""Minimal ODS spreadsheets, written and read with the standard library only.

Writing: rp2's input (docs/input_files.md in eprbell/rp2): one sheet per asset with an
``IN`` table and an ``OUT`` table, each opened by its keyword row, then a header row, then
one row per transaction, closed by ``TABLE END``. Number cells are ``float`` cells whose
``office:value`` is the exact decimal text. Streamed row by row into the zip.

Reading: the rows of one sheet as lists of cell values (floats for numbers, text
otherwise), honouring ``number-columns-repeated`` / ``number-rows-repeated``; used to read
rp2's ``tax_report_us.ods``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import iterparse
from xml.sax.saxutils import escape

__all__ = ["write_ods", "read_sheet"]

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_HEAD = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content xmlns:office="{_OFFICE}" '
         f'xmlns:table="{_TABLE}" xmlns:text="{_TEXT}" office:version="1.2"><office:body><office:spreadsheet>')
_TAIL = "</office:spreadsheet></office:body></office:document-content>"

Cell = str | Decimal | int | None


def _cell(value: Cell) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, (Decimal, int)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'


def write_ods(path: Path, sheets: Iterable[tuple[str, Iterable[Sequence[Cell]]]]) -> None:
    """Write ``(sheet name, rows)`` pairs as an ODS file."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        with archive.open(zipfile.ZipInfo("content.xml", (2024, 1, 1, 0, 0, 0)), "w") as raw:
            raw.write(_HEAD.encode())
            for name, rows in sheets:
                raw.write(f'<table:table table:name="{escape(name)}">'.encode())
                buffer: list[str] = []
                for row in rows:
                    buffer.append("<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>")
                    if len(buffer) >= 2_000:
                        raw.write("".join(buffer).encode())
                        buffer.clear()
                raw.write(("".join(buffer) + "</table:table>").encode())
            raw.write(_TAIL.encode())


def read_sheet(path: Path, sheet: str) -> Iterator[list[object]]:
    """Rows of ``sheet`` (trailing empty cells dropped; repeated empty rows skipped)."""
    t_table, t_row, t_cell = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row", f"{{{_TABLE}}}table-cell"
    t_cover, t_p = f"{{{_TABLE}}}covered-table-cell", f"{{{_TEXT}}}p"
    repeat = f"{{{_TABLE}}}number-columns-repeated"
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as raw:
        inside = False
        for event, elem in iterparse(raw, events=("start", "end")):
            if elem.tag == t_table and event == "start":
                inside = elem.get(f"{{{_TABLE}}}name") == sheet
            elif elem.tag == t_row and event == "end":
                if inside:
                    row: list[object] = []
                    for cell in elem:
                        if cell.tag not in (t_cell, t_cover):
                            continue
                        kind = cell.get(f"{{{_OFFICE}}}value-type")
                        if kind in ("float", "currency", "percentage"):
                            value: object = float(cell.get(f"{{{_OFFICE}}}value", "0"))
                        else:
                            value = "".join("".join(p.itertext()) for p in cell.iter(t_p))
                        row.extend([value] * min(int(cell.get(repeat, "1")), 64))
                    while row and row[-1] in ("", None):
                        row.pop()
                    if row:
                        yield row
                elem.clear()
            elif elem.tag == t_table and event == "end":
                if inside:
                    return
                elem.clear()
