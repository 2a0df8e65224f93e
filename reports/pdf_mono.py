"""Fixed-width text for long PDF tables: rows formatted in Python, written as one PDF text
object per block (issue 6).

The Exception 2 statement lists every Form 8949 row (796,411 at 1M events). Drawing each
cell with reportlab's text API (a font lookup, a string width, an encoding and an escape
per cell) cost ~80 µs a row. Here a row is one line of a monospaced font (Courier: every
glyph is 0.6 em wide), so columns are character positions: amounts are right-aligned with
``str.format`` and need no width measurement, and a whole block of lines is written with
one ``BT ... ET`` and one ``'`` (next line, show text) operator per line.

Text is WinAnsi-encoded like reportlab's standard fonts; a character outside WinAnsi
prints as "?" (one glyph, so columns stay aligned), where reportlab would switch font for
a substitution glyph. Lines stay extractable (the tests read them back with pypdf).
"""

from __future__ import annotations

from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfgen.canvas import Canvas

__all__ = ["CHAR_EM", "MONO", "MONO_BOLD", "TextBlock", "pdf_string"]

MONO = "Courier"
MONO_BOLD = "Courier-Bold"
#: Advance width of every Courier glyph, in em (600 / 1000 font units).
CHAR_EM = 0.6


def pdf_string(line: str) -> str:
    """The body of a PDF string literal showing ``line`` in a WinAnsi font: ``\\``, ``(``
    and ``)`` escaped, bytes above 126 as octal escapes, characters WinAnsi lacks as "?"."""
    if not line.isascii():
        line = line.encode("cp1252", "replace").decode("latin-1")
    return str(escapePDF(line))


class TextBlock:
    """Lines of one font and size, ``leading`` points apart, the first with its baseline at
    ``(x, y)``; ``flush`` writes them to the canvas as one text object."""

    def __init__(self, c: Canvas, font: str, size: float, leading: float, x: float,
                 y: float) -> None:
        c.setFont(font, size)  # registers the font in the page resources
        name = c._doc.getInternalFontName(font)  # the resource name (/F5)
        self._c = c
        self._head = (f"BT {name} {fp_str(size)} Tf {fp_str(leading)} TL "
                      f"1 0 0 1 {fp_str(x)} {fp_str(y + leading)} Tm")
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        """Append one line (text without control characters)."""
        self.lines.append(f"({pdf_string(line)})'")

    def add_all(self, lines: list[str]) -> None:
        """Append several lines."""
        self.lines.extend([f"({pdf_string(line)})'" for line in lines])

    def flush(self) -> None:
        """Write the lines added so far (nothing when there are none) and forget them."""
        if self.lines:
            self.lines.append("ET")
            self._c.addLiteral(self._head + "\n" + "\n".join(self.lines))
            self.lines = []
