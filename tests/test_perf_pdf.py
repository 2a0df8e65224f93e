"""The fast Exception 2 statement (issue 6) against the general formatting it replaces.

- ``RowLines`` (inline money, cached dates, no wrapping when (a) fits) prints exactly
  ``StatementLayout.row_lines(description, pdf_8949.row_values(row))``, the general path.
- ``StatementLayout.for_groups`` never cuts a value: every cell fits its column and every
  line fits the page at the chosen font size (tax-rules.md §1.6: the statement holds all
  of columns (a)-(h)).
- ``pdf_mono.pdf_string`` is the WinAnsi bytes of the line, escaped.
- A statement written to PDF and read back with pypdf shows every row and each group's
  totals (which the form's code-M summary row carries).
"""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from taxmargin.reports.forms import Form8949Row, StatementGroup, Totals
from taxmargin.reports.pdf_8949 import row_values
from taxmargin.reports.pdf_common import MARGIN, PAGE_W, fit, money
from taxmargin.reports.pdf_mono import CHAR_EM, pdf_string
from taxmargin.reports.pdf_statement import draw_statement
from taxmargin.reports.pdf_statement_layout import (
    RowLines,
    StatementLayout,
    description_lines,
)

from forms_factory import make_forms

_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _amounts(whole: bool) -> st.SearchStrategy[Decimal]:
    places = 0 if whole else 2
    return st.one_of(
        st.decimals(min_value=-10**6, max_value=10**6, places=places, allow_nan=False,
                    allow_infinity=False),
        st.decimals(min_value=-10**14, max_value=10**14, places=places, allow_nan=False,
                    allow_infinity=False),
        st.sampled_from([Decimal(0), Decimal("-0.00"), Decimal("0.00"), Decimal("-0.004"),
                         Decimal("0.005"), Decimal("-1E+2")]),
    )


_DATES = st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)))
_CODES = st.sampled_from(["", "", "M", "E", "BE", "BEMOTW"])
_TEXT = st.one_of(st.text(max_size=60), st.text(max_size=400),
                  st.from_regex(r"[0-9]\.[0-9]{8} [A-Z]{3,5} \([a-z]+ txid [A-Z0-9-]{0,40}\)",
                                fullmatch=True))


@st.composite
def _rows(draw: st.DrawFn, whole: bool) -> Form8949Row:
    amount = _amounts(whole)
    return Form8949Row(
        part="I", box="H", description=draw(_TEXT), date_acquired=draw(_DATES),
        date_sold=draw(_DATES), proceeds=draw(amount), cost_basis=draw(amount),
        code=draw(_CODES), adjustment=draw(amount), gain=draw(amount), account="acct",
        asset="BTC", quantity=Decimal(1), term="short", summary=draw(st.booleans()))


@st.composite
def _groups(draw: st.DrawFn) -> tuple[bool, list[StatementGroup]]:
    whole = draw(st.booleans())
    groups = []
    for n in range(draw(st.integers(1, 3))):
        rows = tuple(draw(st.lists(_rows(whole), min_size=0, max_size=12)))
        totals = Totals(draw(_amounts(whole)), draw(_amounts(whole)), draw(_amounts(whole)),
                        draw(_amounts(whole)))
        groups.append(StatementGroup("I" if n % 2 else "II", "HL"[n % 2], f"account {n}",
                                     rows, totals))
    return whole, groups


@_SETTINGS
@given(_groups())
def test_row_lines_equal_the_general_formatting(case: tuple[bool, list[StatementGroup]]) -> None:
    whole, groups = case
    layout = StatementLayout.for_groups(groups, whole)
    fast = RowLines(layout, whole)
    for group in groups:
        for row in group.rows:
            assert fast(row) == layout.row_lines(row.description, row_values(row, whole))


@_SETTINGS
@given(_groups())
def test_layout_cuts_no_value_and_fits_the_page(case: tuple[bool, list[StatementGroup]]) -> None:
    whole, groups = case
    layout = StatementLayout.for_groups(groups, whole)
    chars = layout.chars
    assert chars * layout.size * CHAR_EM <= PAGE_W - 2 * MARGIN - 4 + 1e-6
    for group in groups:
        t = group.totals
        totals = (money(t.proceeds, whole), money(t.cost_basis, whole), "",
                  money(t.adjustment, whole), money(t.gain, whole))
        assert all(len(v) <= w for v, w in zip(totals, layout.widths[3:], strict=True))
        for row in group.rows:
            cells = row_values(row, whole)
            assert all(len(v) <= w for v, w in zip(cells, layout.widths[1:], strict=True))
            lines = layout.row_lines(row.description, cells)
            assert all(len(line) <= chars for line in lines)
            assert len(lines[0]) == chars  # (h), right-aligned, ends the line
            # the first line holds columns (b)-(h) at fixed positions
            assert lines[0].split() [-1:] == [v for v in cells if v][-1:]


@_SETTINGS
@given(st.text(max_size=300), st.integers(5, 80))
def test_description_lines_keep_every_word(text: str, width: int) -> None:
    lines = description_lines(text, width)
    assert all(len(line) <= width for line in lines)
    if len(lines) < 30:  # not cut at 30 lines: the words are all there, in order
        assert "".join("".join(lines).split()) == "".join(
            re.sub(r"[\x00-\x1f\x7f]", " ", text).split())


def _unescape(body: str) -> str:
    return re.sub(r"\\([0-7]{3}|.)", lambda m: chr(int(m[1], 8)) if len(m[1]) == 3 else m[1],
                  body)


@_SETTINGS
@given(st.text(max_size=80).map(lambda s: re.sub(r"[\x00-\x1f\x7f]", " ", s)))
def test_pdf_string_is_the_escaped_winansi_text(line: str) -> None:
    body = pdf_string(line)
    assert body.isascii()
    assert _unescape(body) == line.encode("cp1252", "replace").decode("latin-1")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_groups())
def test_statement_pdf_shows_every_row_and_group_totals(
        case: tuple[bool, list[StatementGroup]]) -> None:
    whole, groups = case
    base = make_forms()
    forms = dataclasses.replace(base, round_whole_dollars=whole, form_8949=dataclasses.replace(
        base.form_8949, statement=tuple(groups)))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    pages = draw_statement(canvas, forms)
    canvas.save()
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    assert len(reader.pages) == pages
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    layout = StatementLayout.for_groups(groups, whole)
    for group in groups:
        for row in group.rows:
            for line in layout.row_lines(row.description, row_values(row, whole)):
                shown = line.encode("cp1252", "replace").decode("cp1252", "replace")
                assert " ".join(shown.split()) in text
        t = group.totals
        amounts = " ".join(v for v in (money(t.proceeds, whole), money(t.cost_basis, whole),
                                       money(t.adjustment, whole), money(t.gain, whole)))
        assert f"Box {group.box}, {group.account} {amounts}" in text


def _fit_one_by_one(text: str, width: float, size: float, font: str) -> str:
    """``pdf_common.fit`` before issue 6: cut one character at a time."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


@_SETTINGS
@given(st.text(max_size=120), st.floats(0, 400), st.sampled_from([6.0, 7.0, 8.5, 9.0]),
       st.sampled_from(["Helvetica", "Helvetica-Bold", "Courier"]))
def test_fit_bisection_equals_cutting_one_by_one(text: str, width: float, size: float,
                                                 font: str) -> None:
    assert fit(text, width, size, font) == _fit_one_by_one(text, width, size, font)
