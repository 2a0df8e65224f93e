"""PDF renderers read back with pypdf (issue 5 output 1-4).

Expected numbers are the hand-worked ones in ``tests/forms_factory.py`` (its docstring
shows the arithmetic); tax-rules.md sections are cited per case.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from taxmargin.reports import pdf
from taxmargin.reports.forms import Form8949, Form8949Page, TaxForms
from taxmargin.reports.pdf_4952 import write_form_4952
from taxmargin.reports.pdf_8949 import SCHEDULE_D_LINE
from taxmargin.reports.pdf_common import money

from forms_factory import FULL_SSN, MASKED_SSN, D, make_forms


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    out = tmp_path_factory.mktemp("pdf")
    paths = pdf.write(make_forms(), out)
    assert [p.name for p in paths] == list(pdf.FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(pdf.FILES)  # no temp files left
    return {p.name: _pages(p) for p in paths}


def _box_pages(pages: list[str], part: str, box: str) -> list[str]:
    return [t for t in pages if f"Part {part}, Box {box} — page" in t]


def test_form_8949_page_count(written: dict[str, list[str]]) -> None:
    # §1.5: 23 box-I rows at 11 a page -> 3 pages; box H (one summary row) and box L
    # (2 rows) one page each; then one statement page (§1.6).
    pages = written["form8949.pdf"]
    assert len(pages) == 1 + 3 + 1 + 1
    assert [len(_box_pages(pages, "I", b)) for b in "HI"] == [1, 3]
    assert len(_box_pages(pages, "II", "L")) == 1


def test_box_i_pages_hold_11_11_and_1_rows(written: dict[str, list[str]]) -> None:
    pages = _box_pages(written["form8949.pdf"], "I", "I")
    assert [t.count("(kraken txid T") for t in pages] == [11, 11, 1]
    for n, text in enumerate(pages, start=1):
        assert f"Part I, Box I — page {n} of 3" in text


@pytest.mark.parametrize(("part", "box"), [("I", "H"), ("I", "I"), ("II", "L")])
def test_exactly_the_page_box_is_checked(written: dict[str, list[str]], part: str,
                                         box: str) -> None:
    # §1.1: each page carries exactly one checked box, with the 2025 wording.
    for text in _box_pages(written["form8949.pdf"], part, box):
        assert re.findall(r"X\s*\(([A-L])\)", text) == [box]
        assert all(f"({b})" in text for b in ("ABCGHI" if part == "I" else "DEFJKL"))


@pytest.mark.parametrize(("page", "expected"), [
    # §1.5 line 2 = sum of the page's rows: 11 x 100.00, 11 x 90.00, 11 x 10.00
    (0, ("1,100.00", "990.00", "110.00")),
    (1, ("1,100.00", "990.00", "110.00")),
    # the last page: one row 50.00 / 80.00 / (30.00), a loss in parentheses [I8949 (h)]
    (2, ("50.00", "80.00", "(30.00)")),
])
def test_box_i_page_totals(written: dict[str, list[str]], page: int,
                           expected: tuple[str, str, str]) -> None:
    text = _box_pages(written["form8949.pdf"], "I", "I")[page]
    d, e, h = expected
    assert re.search(rf"line 3 \(Box C or I\s+checked\)\.\s+{re.escape(d)}\s+{re.escape(e)}"
                     rf"\s+0\.00\s+{re.escape(h)}", text)


def test_part_ii_rows_and_totals(written: dict[str, list[str]]) -> None:
    (text,) = _box_pages(written["form8949.pdf"], "II", "L")
    # row: 05/01/2023, 06/02/2025, 1,234.56, 1,000.00, 234.56; loss row in parentheses
    assert re.search(r"05/01/2023\s+06/02/2025\s+1,234\.56\s+1,000\.00\s+234\.56", text)
    assert "(200.00)" in text
    # box L totals: 1,234.56 + 500.00; 1,000.00 + 700.00; 234.56 - 200.00 (§1.5)
    assert re.search(r"1,734\.56\s+1,700\.00\s+0\.00\s+34\.56", text)
    assert "Long-Term." in text and "line 10" in text


def test_various_and_summary_row_dates(written: dict[str, list[str]]) -> None:
    # §1.3 (b): a detail row with several acquisition dates prints VARIOUS; an Exception 2
    # summary row leaves (b) and (c) blank and carries code M with -0- in (g) (§1.4, §1.6).
    last_i = _box_pages(written["form8949.pdf"], "I", "I")[2]
    assert re.search(r"VARIOUS\s+03/14/2025\s+50\.00\s+80\.00\s+\(30\.00\)", last_i)
    (h_page,) = _box_pages(written["form8949.pdf"], "I", "H")
    assert re.search(r"coinbase — see attached statement\s+60\.00\s+40\.00\s+M\s+-0-\s+20\.00",
                     h_page)
    assert "VARIOUS" not in h_page


def test_exception_2_statement_with_group_totals(written: dict[str, list[str]]) -> None:
    statement = written["form8949.pdf"][-1]
    assert "Exception 2" in statement
    assert "Part I — Box H — account coinbase" in statement
    assert re.search(r"2\.00000000 SOL \(coinbase\)\s+01/05/2025\s+04/02/2025\s+20\.00\s+"
                     r"25\.00\s+\(5\.00\)", statement)
    # group totals = the summary row: 10 + 20 + 30; 5 + 25 + 10; 5 - 5 + 20 (§1.6)
    assert re.search(r"Totals — Box H, coinbase\s+60\.00\s+40\.00\s+0\.00\s+20\.00", statement)


def test_masked_id_on_every_page_and_full_id_nowhere(written: dict[str, list[str]]) -> None:
    for name, pages in written.items():
        for text in pages:
            assert MASKED_SSN in text, name
            assert "Alex Q. Trader" in text, name
            assert FULL_SSN not in text, name


def _line_totals(forms: TaxForms, line: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    pages = [p for p in forms.form_8949.pages if SCHEDULE_D_LINE[p.box] == line]
    return (sum((p.totals.proceeds for p in pages), D("0")),
            sum((p.totals.cost_basis for p in pages), D("0")),
            sum((p.totals.adjustment for p in pages), D("0")),
            sum((p.totals.gain for p in pages), D("0")))


@pytest.mark.parametrize(("line", "label", "hand"), [
    # §1.5: Schedule D line = the sum over all pages of the boxes routed there (§1.2)
    ("2", "Box B or H checked", ("60.00", "40.00", "0.00", "20.00")),
    ("3", "Box C or I checked", ("2,250.00", "2,060.00", "0.00", "190.00")),
    ("10", "Box F or L checked", ("1,734.56", "1,700.00", "0.00", "34.56")),
    ("1b", "Box A or G checked", ("0.00", "0.00", "0.00", "0.00")),
])
def test_schedule_d_totals_equal_the_8949_pages(written: dict[str, list[str]], line: str,
                                                label: str, hand: tuple[str, ...]) -> None:
    from_pages = tuple(money(v) for v in _line_totals(make_forms(), line))
    assert from_pages == hand
    text = written["schedule_d.pdf"][0]
    pattern = r"\s+".join([re.escape(label), *(re.escape(v) for v in hand)])
    assert re.search(pattern, text), (line, text)


def test_schedule_d_net_lines_and_limit(written: dict[str, list[str]]) -> None:
    first, second = written["schedule_d.pdf"]
    # line 6 carryover (1,000.00); line 7 = 20 + 190 - 1,000 = (790.00); line 15 = 34.56
    assert re.search(r"Carryover Worksheet in the instructions\s+\(1,000\.00\)", first)
    assert re.search(r"Part III on the back\s+\(790\.00\)", first)
    assert re.search(r"go to Part III on the back\s+34\.56", first)
    assert "Box A or G → line 1b" in first and "Box F or L → line 10" in first
    # §2.2: line 16 = -790.00 + 34.56 = (755.44); line 21 the smaller loss vs (3,000.00)
    assert re.search(r"line 7a\.\s+\(755\.44\)", second)
    assert re.search(r"Limit for this return: \(3,000\.00\)\s+\(755\.44\)", second)
    assert "skip (16 not a gain)" in second
    # §2.3 worksheet for next year: 3 = 50,000.00 + 755.44; 8 = 790.00 - 790.00 = 0
    assert "Capital Loss Carryover Worksheet — for your 2026 Schedule D" in second
    assert re.search(r"Combine lines 1 and 2\. If zero or less, enter -0-\s+50,755\.44", second)
    assert re.search(r"carryover to 2026 \(Schedule D, line 6\)\s+0\.00", second)


def test_form_4952_lines(written: dict[str, list[str]]) -> None:
    (text,) = written["form4952.pdf"]
    for line, value in [("1", "1,500.00"), ("2", "200.00"), ("3", "1,700.00"),
                        ("4a", "25.00"), ("4g", "0.00"), ("4h", "25.00"), ("6", "25.00"),
                        ("7", "1,675.00"), ("8", "25.00")]:
        # §3.1: 3 = 1 + 2; 7 = 3 - 6 = 1,700.00 - 25.00; 8 = min(3, 6)
        assert re.search(rf"(^|\n){re.escape(line)}\n[^\n]*\n{re.escape(value)}\n", text), \
            (line, value)
    assert "Form 4952 is required: disallowed investment interest carried from 2024" in text
    assert "Line 4g election: none" in text
    assert "carried forward to 2026" in text and "2026 Form 4952, line 2" in text


def test_form_4952_election_shown() -> None:
    f = make_forms()
    elected = dataclasses.replace(f, form_4952=dataclasses.replace(
        f.form_4952, line_4g=D("25.00"), lost_if_not_itemizing=D("25.00")))
    with tempfile.TemporaryDirectory() as tmp:
        (text,) = _pages(write_form_4952(elected, Path(tmp) / "f.pdf"))
    assert "Line 4g election: 25.00 of qualified dividends and net capital gain" in text
    assert "With the standard deduction, 25.00 of allowable investment interest" in text


def test_review_pdf(written: dict[str, list[str]]) -> None:
    text = "\n".join(written["review.pdf"])
    # chart category labels: months with a liquidation are starred (March, June)
    assert "Mar*" in text and "Jun*" in text and "Feb*" not in text
    assert re.search(r"Mar\s+\(30\.00\)\s+0\.00\s+1", text)
    assert "Liquidation 1: 2025-03-14 09:30:00 UTC — account kraken" in text
    assert "Liquidation 2: 2025-06-02 14:05:00 UTC — account binance" in text
    assert "although the margin position lost money" in text
    assert re.search(r"1\.00000000 ETH\s+05/01/2023\s+1,234\.56\s+1,000\.00\s+234\.56\s+long",
                     text)


@pytest.mark.parametrize(("value", "whole", "shown"), [
    (D("-30.00"), False, "(30.00)"), (D("1234.56"), False, "1,234.56"),
    (D("0.00"), False, "0.00"), (D("1235.00"), True, "1,235"), (D("-3000.00"), True, "(3,000)"),
])
def test_money_format(value: Decimal, whole: bool, shown: str) -> None:
    # [I8949 col (h)]: negatives in parentheses; §1.7 whole dollars print without cents
    assert money(value, whole) == shown


def test_long_statement_streams_over_pages(tmp_path: Path) -> None:
    f = make_forms()
    group = f.form_8949.statement[0]
    many = dataclasses.replace(group, rows=group.rows * 200)  # 600 rows
    forms = dataclasses.replace(f, form_8949=dataclasses.replace(f.form_8949, statement=(many,)))
    pages = _pages(pdf.write_form_8949(forms, tmp_path / "f.pdf"))
    statement = [t for t in pages if "Exception 2" in t]
    assert len(statement) > 5
    assert all("(continued)" in t for t in statement[1:])
    assert sum(t.count("SOL (coinbase)") for t in statement) == 600
    assert "Totals — Box H, coinbase" in statement[-1]
    assert [t.split("Statement page ")[1].split()[0] for t in statement] == \
        [str(n) for n in range(1, len(statement) + 1)]


def test_no_disposals_still_writes_a_page(tmp_path: Path) -> None:
    f = make_forms()
    empty = dataclasses.replace(f, form_8949=Form8949(rows=(), pages=(), statement=()))
    (text,) = _pages(pdf.write_form_8949(empty, tmp_path / "f.pdf"))
    assert "Form 8949 is not needed" in text


def test_hostile_description_is_one_line(tmp_path: Path) -> None:
    f = make_forms()
    page = f.form_8949.pages[-1]
    row = dataclasses.replace(page.rows[0], description="BTC\x00\nINJECTED\r")
    forms = dataclasses.replace(f, form_8949=dataclasses.replace(
        f.form_8949, pages=(Form8949Page("II", "L", 1, 1, (row,), page.totals),),
        statement=()))
    (text,) = _pages(pdf.write_form_8949(forms, tmp_path / "f.pdf"))
    assert "BTC INJECTED" in text.replace("  ", " ")
